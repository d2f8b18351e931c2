using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Dmarc
{
    /// <summary>How to find the organizational domain and the policy that applies.</summary>
    public enum DmarcDiscoveryMethod
    {
        /// <summary>RFC 9989 §4.10: the DNS tree walk (at most 8 queries), psd=y/n honoured.</summary>
        TreeWalk,
        /// <summary>RFC 7489 §3.2: the Public Suffix List (plus RFC 9091's PSD record at the public suffix).</summary>
        PublicSuffixList,
    }

    /// <summary>Finds and checks a domain's DMARC policy (RFC 9989, with the RFC 7489 tags and discovery as legacy).</summary>
    public static class DmarcCheck
    {
        /// <summary>The most _dmarc names one tree walk asks (RFC 9989 §4.10).</summary>
        public const int MaxTreeWalkQueries = 8;

        /// <summary>The most external report hosts whose authorization record (RFC 9990 §3) one check asks for; a
        /// record naming more gets a TooManyExternalDestinations finding.</summary>
        public const int MaxExternalChecks = 20;

        /// <summary>Authorization questions in flight at once.</summary>
        public const int ExternalCheckConcurrency = 8;

        private sealed class Lookup
        {
            public required string Name;
            public List<string> Dmarc = new List<string>();
            public List<string> Lookalikes = new List<string>();
            public DmarcRecord? Single;
        }

        /// <summary>Checks one domain; the outcome's Unanswered holds the report authorization questions that went unanswered. Throws <see cref="DnsQueryFailedException"/> when a _dmarc question goes unanswered
        /// (nothing can be concluded about the policy then).</summary>
        public static async Task<CheckOutcome<MailDmarcResult>> RunAsync(IDnsResolver dns, string domain, DmarcDiscoveryMethod method,
            PublicSuffixList? psl, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            domain = DnsName.Normalize(domain.Trim()).ToLowerInvariant();
            if (method == DmarcDiscoveryMethod.PublicSuffixList && psl == null)
                throw new ArgumentNullException(nameof(psl), "The PublicSuffixList discovery method needs the Public Suffix List.");

            var walk = new List<Lookup>();
            async Task<Lookup> Ask(string name)
            {
                var l = await LookupAsync(dns, name, ct).ConfigureAwait(false);
                walk.Add(l);
                return l;
            }

            var start = await Ask(domain).ConfigureAwait(false);
            string? orgDomain, psdDomain = null;
            Lookup? policy = start.Single != null ? start : null;

            if (method == DmarcDiscoveryMethod.TreeWalk)
            {
                var labels = domain.Split('.');
                var stop = start.Single != null && (start.Single.Psd == "y" || start.Single.Psd == "n");
                for (int keep = labels.Length >= MaxTreeWalkQueries ? MaxTreeWalkQueries - 1 : labels.Length - 1; !stop && keep >= 1; keep--)
                {
                    var l = await Ask(string.Join(".", labels, labels.Length - keep, keep)).ConfigureAwait(false);
                    stop = l.Single != null && (l.Single.Psd == "y" || l.Single.Psd == "n");
                }

                orgDomain = null;
                var found = walk.Where(l => l.Single != null).OrderByDescending(l => DnsName.LabelCount(l.Name)).ToList();
                foreach (var l in found)
                {
                    if (l.Single?.Psd == "n") { orgDomain = l.Name; break; }
                    if (l.Single?.Psd == "y" && l.Name != domain)
                    {
                        psdDomain = l.Name;
                        var below = DnsName.LabelCount(l.Name) + 1;
                        var dl = domain.Split('.');
                        orgDomain = string.Join(".", dl, dl.Length - below, below);
                        break;
                    }
                }
                if (orgDomain == null) orgDomain = found.Count > 0 ? found.Last().Name : domain;

                if (policy == null)
                {
                    policy = walk.FirstOrDefault(l => l.Name == orgDomain && l.Single != null)
                        ?? (psdDomain != null ? walk.First(l => l.Name == psdDomain) : null);
                }
            }
            else
            {
                orgDomain = psl!.GetRegistrableDomain(domain) ?? domain;   // checked above: PublicSuffixList needs psl
                if (policy == null && orgDomain != domain)
                {
                    var l = await Ask(orgDomain).ConfigureAwait(false);
                    if (l.Single != null) policy = l;
                }
                if (policy == null)
                {
                    // RFC 9091: a public suffix operator's record, used only when it says psd=y.
                    var suffix = psl.GetPublicSuffix(domain);
                    if (suffix != domain && suffix != orgDomain)
                    {
                        var l = await Ask(suffix).ConfigureAwait(false);
                        if (l.Single != null && l.Single.Psd == "y") { policy = l; psdDomain = suffix; }
                    }
                }
            }

            var findings = new List<Finding>();
            var unanswered = new List<DnsQueryResult>();
            foreach (var l in walk.Where(l => l.Dmarc.Count > 1))
            {
                findings.Add(l.Name == domain
                    ? new Finding("MultipleRecords", FindingSeverity.Fail,
                        $"_dmarc.{l.Name} has {l.Dmarc.Count} DMARC records; receivers discard them all (RFC 9989 §4.10), so the domain has no DMARC policy.",
                        $"Keep exactly one TXT record starting with v=DMARC1 at _dmarc.{l.Name}.", "_dmarc." + l.Name)
                    : new Finding("MultipleRecords", FindingSeverity.Warning,
                        $"_dmarc.{l.Name} (met during discovery) has {l.Dmarc.Count} DMARC records; receivers discard them all.",
                        $"Keep exactly one TXT record starting with v=DMARC1 at _dmarc.{l.Name}.", "_dmarc." + l.Name));
            }
            foreach (var l in walk.Where(l => l.Lookalikes.Count > 0 && (l.Name == domain || l == policy)))
            {
                findings.Add(new Finding("InvalidVersion", l.Dmarc.Count == 0 ? FindingSeverity.Fail : FindingSeverity.Warning,
                    $"_dmarc.{l.Name} has a TXT record that does not start with exactly v=DMARC1 ('{Shorten(l.Lookalikes[0])}'); receivers ignore it (the version is case-sensitive and must come first).",
                    "Start the record with v=DMARC1; (upper case, first tag).", "_dmarc." + l.Name));
            }

            var queried = new ResultList<string>(walk.Select(l => "_dmarc." + l.Name));
            var methodText = method.ToString();
            if (policy == null)
            {
                var target = orgDomain ?? domain;
                findings.Add(new Finding("NoRecord", FindingSeverity.Fail,
                    $"No DMARC policy applies to {domain}: there is no valid record at {string.Join(", ", queried)}. Large mailbox providers (Gmail, Yahoo, Microsoft) reject or junk bulk mail from domains without DMARC.",
                    $"Publish a TXT record at _dmarc.{target}: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{target}\", read the reports, then move to p=quarantine and p=reject.",
                    "_dmarc." + domain));
                return CheckOutcome.Of(new MailDmarcResult(domain, null, null, orgDomain, methodText, null, null, null, null, null, false,
                    psdDomain, ResultList<string>.Empty, ResultList<string>.Empty, queried, new ResultList<Finding>(findings)), unanswered);
            }

            var rec = policy.Single ?? throw new InvalidOperationException($"The DMARC lookup of {policy.Name} has no single record.");
            findings.AddRange(rec.Findings);
            var own = policy.Name == domain;
            if (!own)
            {
                if (policy.Name == psdDomain)
                    findings.Add(new Finding("PublicSuffixPolicy", FindingSeverity.Warning,
                        $"Neither {domain} nor its organizational domain {orgDomain} publishes a DMARC record; the policy comes from the public suffix operator's record at _dmarc.{policy.Name} (psd=y).",
                        $"Publish your own record at _dmarc.{orgDomain} so that you choose the policy and receive the reports.", "_dmarc." + policy.Name));
                else
                    findings.Add(new Finding("InheritedPolicy", FindingSeverity.Info,
                        $"{domain} has no record of its own; the record of its organizational domain {policy.Name} applies, with its subdomain policy (sp, or np if {domain} does not exist).",
                        null, "_dmarc." + policy.Name));
            }

            if (rec.P == "none" && rec.PValid)
                findings.Add(new Finding("MonitoringOnly", FindingSeverity.Warning,
                    $"p=none at _dmarc.{policy.Name}: receivers only report; spoofed mail from {domain} is still delivered.",
                    "Once the aggregate reports show all your legitimate mail passing, move to p=quarantine, then p=reject.", "p"));
            if (rec.Rua.Count == 0)
                findings.Add(new Finding("NoAggregateReports", FindingSeverity.Warning,
                    $"The record at _dmarc.{policy.Name} has no rua tag: no receiver sends you aggregate reports, so you cannot see who sends mail as {domain}.",
                    $"Add rua=mailto:dmarc-reports@{orgDomain} (a mailbox you read, or a report service).", "rua"));
            if (rec.Pct.HasValue)
                findings.Add(rec.Pct.Value < 100
                    ? new Finding("ObsoleteTag", FindingSeverity.Warning,
                        $"pct={rec.Pct} asks receivers to apply the policy to {rec.Pct}% of failing mail; RFC 9989 removed pct and its receivers ignore it (they apply the whole policy).",
                        "Remove pct; to test a policy, publish t=y instead.", "pct")
                    : new Finding("ObsoleteTag", FindingSeverity.Info,
                        "pct=100 is the old default; RFC 9989 removed the pct tag.", "Remove pct.", "pct"));
            foreach (var t in new[] { "rf", "ri" }.Where(rec.Tags.ContainsKey))
                findings.Add(new Finding("ObsoleteTag", FindingSeverity.Info,
                    $"{t}={rec.Tags[t]} is an RFC 7489 tag that RFC 9989 removed; receivers ignore it.", $"Remove {t}.", t));
            if (rec.Sp != null && DmarcRecord.Strength(rec.Sp) < DmarcRecord.Strength(rec.P))
                findings.Add(new Finding("WeakSubdomainPolicy", FindingSeverity.Warning,
                    $"sp={rec.Sp} is weaker than p={rec.P}: spoofers can use any existing subdomain of {policy.Name} instead.",
                    $"Set sp={rec.P} (or remove sp so p applies to subdomains too).", "sp"));
            if (rec.Np != null && DmarcRecord.Strength(rec.Np) < DmarcRecord.Strength(rec.P))
                findings.Add(new Finding("WeakNonExistentPolicy", FindingSeverity.Warning,
                    $"np={rec.Np} is weaker than p={rec.P}: spoofers can invent subdomains of {policy.Name} that do not exist.",
                    $"Set np={rec.P} (or np=reject: names that do not exist never send legitimate mail).", "np"));
            if (rec.Testing)
                findings.Add(new Finding("TestingMode", FindingSeverity.Warning,
                    $"t=y: the policy is in test mode; receivers apply one level less than p={rec.P} (reject acts as quarantine, quarantine as none).",
                    "Remove t=y (or set t=n) when the reports show your mail passing.", "t"));

            foreach (var u in rec.Rua.Concat(rec.Ruf))
            {
                if (u.Problem != null)
                    findings.Add(new Finding("InvalidReportUri", FindingSeverity.Warning,
                        $"{u.Tag} destination '{u.Text}' is invalid: {u.Problem}; receivers skip it.",
                        "Write destinations as mailto:reports@example.com, separated by commas.", u.Text));
                else if (u.Scheme != "mailto")
                    findings.Add(new Finding("NonMailtoReportUri", FindingSeverity.Info,
                        $"{u.Tag} destination '{u.Text}' is not a mailto: URI; receivers must only support mailto:, so few will use it.",
                        "Add a mailto: destination.", u.Text));
                if (u.SizeLimit != null)
                    findings.Add(new Finding("ObsoleteTag", FindingSeverity.Info,
                        $"'{u.Text}' carries an RFC 7489 size limit (!{u.SizeLimit}); RFC 9989 dropped it.", "Remove the !size suffix.", u.Text));
            }

            var baseDomain = policy.Name == psdDomain ? policy.Name : orgDomain;
            var external = rec.Rua.Concat(rec.Ruf).Where(u => u.Problem == null && u.Host != null && !DnsName.IsAtOrBelow(u.Host, baseDomain))
                .GroupBy(u => u.Host).ToList();
            if (external.Count > MaxExternalChecks)
                findings.Add(new Finding("TooManyExternalDestinations", FindingSeverity.Warning,
                    $"The record names {external.Count} report hosts outside {baseDomain}; MailOps checked the authorization of the first {MaxExternalChecks} and not the other {external.Count - MaxExternalChecks} ({string.Join(", ", external.Skip(MaxExternalChecks).Take(5).Select(g => g.Key))}{(external.Count - MaxExternalChecks > 5 ? ", …" : "")}). Receivers too may stop reading a long list.",
                    "Send reports to one or two destinations (a mailbox under your domain, or your report service).", "rua"));
            // Independent questions: asked together, a few at a time; findings keep the record's order.
            var checkedHosts = external.Take(MaxExternalChecks).ToList();
            DnsQueryResult[] answers;
            var lanes = new WorkLanes(ExternalCheckConcurrency);
            answers = await Task.WhenAll(checkedHosts.Select(g =>
                lanes.Run(() => dns.QueryAsync($"{policy.Name}._report._dmarc.{g.Key}", DnsRecordType.TXT, ct), ct))).ConfigureAwait(false);
            for (int i = 0; i < checkedHosts.Count; i++)
            {
                var g = checkedHosts[i];
                var host = g.Key;
                var name = $"{policy.Name}._report._dmarc.{host}";
                var q = answers[i];
                var tags = string.Join(",", g.Select(u => u.Tag).Distinct());
                if (q.IsError)
                {
                    unanswered.Add(q);
                    findings.Add(new Finding("ExternalDestinationUnverified", FindingSeverity.Warning,
                        $"Could not check whether {host} accepts {tags} reports for {policy.Name}: the query for {name} TXT went unanswered ({q.Outcome}).",
                        "Run the check again, or ask the report service to confirm its authorization record.", host));
                }
                else if (q.RecordsOf<TxtRecord>().Any(t => DmarcRecord.IsDmarc1(t.Text)))
                    findings.Add(new Finding("ExternalDestinationAuthorized", FindingSeverity.Info,
                        $"{host} authorizes {tags} reports for {policy.Name} ({name} TXT v=DMARC1).", null, host));
                else
                    findings.Add(new Finding("ExternalDestinationNotAuthorized", FindingSeverity.Warning,
                        $"{host} is outside {baseDomain} and publishes no authorization record at {name}; receivers will not send {tags} reports there (RFC 9990 §3).",
                        $"Ask the operator of {host} to publish \"{name}. TXT \\\"v=DMARC1\\\"\", or send reports to a mailbox under {baseDomain}.", host));
            }

            string? sp = rec.Sp ?? rec.P, np = rec.Np ?? rec.Sp ?? rec.P;
            return CheckOutcome.Of(new MailDmarcResult(domain, rec.Text, policy.Name, orgDomain, methodText, rec.P, sp, np, rec.Adkim, rec.Aspf,
                rec.Testing, psdDomain, new ResultList<string>(rec.Rua.Select(u => u.Text)), new ResultList<string>(rec.Ruf.Select(u => u.Text)),
                queried, new ResultList<Finding>(findings)), unanswered);
        }

        private static async Task<Lookup> LookupAsync(IDnsResolver dns, string name, CancellationToken ct)
        {
            var q = await dns.QueryAsync("_dmarc." + name, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (q.IsError) throw new DnsQueryFailedException(q);
            var l = new Lookup { Name = name };
            foreach (var t in q.RecordsOf<TxtRecord>().Select(r => r.Text))
            {
                if (DmarcRecord.IsDmarc1(t)) l.Dmarc.Add(t);
                else if (DmarcRecord.LooksLikeDmarc(t)) l.Lookalikes.Add(t);
            }
            if (l.Dmarc.Count == 1) l.Single = DmarcRecord.Parse(name, l.Dmarc[0]);
            return l;
        }

        private static string Shorten(string s) => s.Length > 40 ? s.Substring(0, 40) + "…" : s;
    }
}
