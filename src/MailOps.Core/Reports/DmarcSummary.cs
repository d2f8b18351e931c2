using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MailOps.Reports
{
    /// <summary>The summary of one sending source (one address) for one domain across DMARC aggregate report rows
    /// (Get-DmarcSummary -By Source). Flat: every property is a scalar or a list that prints as one cell.</summary>
    public sealed class DmarcSourceSummary
    {
        internal DmarcSourceSummary() { }

        /// <summary>The header From domain (lower case); the policy domain when a row has none.</summary>
        public string Domain { get; internal set; } = "";
        public string SourceIP { get; internal set; } = "";
        /// <summary>The PTR name of the address; empty when there is none or when enrichment was skipped or failed (see EnrichmentProblem).</summary>
        public string? ReverseDns { get; internal set; }
        /// <summary>The registrable domain of the PTR name (Public Suffix List).</summary>
        public string? BaseDomain { get; internal set; }
        public int? Asn { get; internal set; }
        public string? AsName { get; internal set; }
        public string? Country { get; internal set; }
        /// <summary>Messages (the sum of the rows' counts).</summary>
        public long Messages { get; internal set; }
        /// <summary>Messages that passed DMARC (aligned SPF or aligned DKIM).</summary>
        public long DmarcPass { get; internal set; }
        public double DmarcPassPercent { get; internal set; }
        public long SpfAligned { get; internal set; }
        public double SpfAlignedPercent { get; internal set; }
        public long DkimAligned { get; internal set; }
        public double DkimAlignedPercent { get; internal set; }
        /// <summary>Messages failing DMARC that look forwarded (a forwarded/mailing_list override, or SPF passing for another domain).</summary>
        public long Forwarded { get; internal set; }
        public long DispositionNone { get; internal set; }
        public long DispositionQuarantine { get; internal set; }
        public long DispositionReject { get; internal set; }
        /// <summary>Report rows summed up.</summary>
        public long Rows { get; internal set; }
        /// <summary>The organisations that reported this source, sorted.</summary>
        public ResultList<string> Reporters { get; internal set; } = ResultList<string>.Empty;
        /// <summary>Earliest report begin date (UTC).</summary>
        public DateTime? FirstSeen { get; internal set; }
        /// <summary>Latest report end date (UTC).</summary>
        public DateTime? LastSeen { get; internal set; }
        /// <summary>The published policy (p) in the latest report.</summary>
        public string? Policy { get; internal set; }
        /// <summary>Pass, Warning or Fail by the worst finding (Info counts as Pass: Finding.StatusOf).</summary>
        public string Status { get; internal set; } = "";
        /// <summary>The finding codes, joined with ";", for filtering and Export-Csv.</summary>
        public string FindingCodes { get; internal set; } = "";
        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;
        /// <summary>Null when enrichment answered everything (or was skipped); else what went unanswered, e.g. "PTR timed out".</summary>
        public string? EnrichmentProblem { get; internal set; }

        public override string ToString() =>
            $"{Domain} {SourceIP} {(Strings.IsNullOrEmpty(ReverseDns) ? "" : "(" + ReverseDns + ") ")}{Messages} msg, {DmarcPassPercent.ToString("0.#", CultureInfo.InvariantCulture)}% DMARC pass: {Status}";
    }

    /// <summary>The summary of one domain across DMARC aggregate report rows (Get-DmarcSummary -By Domain): its sources'
    /// findings are listed here too, each naming its source address as Subject.</summary>
    public sealed class DmarcDomainSummary
    {
        internal DmarcDomainSummary() { }

        public string Domain { get; internal set; } = "";
        public long Messages { get; internal set; }
        public long DmarcPass { get; internal set; }
        public double DmarcPassPercent { get; internal set; }
        public long SpfAligned { get; internal set; }
        public double SpfAlignedPercent { get; internal set; }
        public long DkimAligned { get; internal set; }
        public double DkimAlignedPercent { get; internal set; }
        public long Forwarded { get; internal set; }
        public long DispositionNone { get; internal set; }
        public long DispositionQuarantine { get; internal set; }
        public long DispositionReject { get; internal set; }
        public long Rows { get; internal set; }
        /// <summary>Distinct source addresses.</summary>
        public int Sources { get; internal set; }
        public ResultList<string> Reporters { get; internal set; } = ResultList<string>.Empty;
        public DateTime? FirstSeen { get; internal set; }
        public DateTime? LastSeen { get; internal set; }
        public string? Policy { get; internal set; }
        public string Status { get; internal set; } = "";
        public string FindingCodes { get; internal set; } = "";
        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;

        public override string ToString() =>
            $"{Domain}: {Messages} msg from {Sources} source(s), {DmarcPassPercent.ToString("0.#", CultureInfo.InvariantCulture)}% DMARC pass: {Status}";
    }

    /// <summary>One report row as the summary reads it (from a DmarcReportRow or a ParsedmarcRow).</summary>
    internal struct DmarcSummaryRow
    {
        public string? HeaderFrom, PolicyDomain, SourceIP, Disposition, OrgName, Policy;
        public long Count;
        public bool SpfAligned, DkimAligned;
        /// <summary>An override reason of forwarded, mailing_list or trusted_forwarder, or a raw SPF pass that was not aligned.</summary>
        public bool LooksForwarded;
        public DateTime? Begin, End;
        /// <summary>Source columns already filled (a ParsedmarcRow from an enriched import); null when not.</summary>
        public SourceInfo? Source;

        public static DmarcSummaryRow From(DmarcReportRow r) => new DmarcSummaryRow
        {
            HeaderFrom = r.HeaderFrom,
            PolicyDomain = r.Domain,
            SourceIP = r.SourceIP,
            Disposition = r.Disposition,
            OrgName = r.OrgName,
            Policy = r.P,
            Count = r.Count,
            SpfAligned = r.SpfAligned,
            DkimAligned = r.DkimAligned,
            LooksForwarded = !r.SpfAligned && (Any(r.PolicyOverrideReasons, IsForwardReason) || Any(r.SpfResults, x => x == "pass")),
            Begin = r.BeginDate,
            End = r.EndDate,
        };

        public static DmarcSummaryRow From(ParsedmarcRow r) => new DmarcSummaryRow
        {
            HeaderFrom = r.header_from,
            PolicyDomain = r.domain,
            SourceIP = r.source_ip_address,
            Disposition = r.disposition,
            OrgName = r.org_name,
            Policy = r.p,
            Count = r.count,
            SpfAligned = r.spf_aligned,
            DkimAligned = r.dkim_aligned,
            LooksForwarded = !r.spf_aligned && ((r.policy_override_reasons ?? "").Split(',').Any(IsForwardReason)
                || (r.spf_results ?? "").Split(',').Any(x => x == "pass")),
            Begin = ParseDate(r.begin_date),
            End = ParseDate(r.end_date),
            Source = Strings.IsNullOrEmpty(r.source_reverse_dns) && Strings.IsNullOrEmpty(r.source_asn) ? null
                : new SourceInfo(r.source_ip_address, Empty(r.source_reverse_dns), Empty(r.source_base_domain),
                    int.TryParse(r.source_asn, NumberStyles.None, CultureInfo.InvariantCulture, out var asn) ? asn : (int?)null,
                    Empty(r.source_as_name), Empty(r.source_country), null),
        };

        private static bool IsForwardReason(string? s) =>
            s == "forwarded" || s == "mailing_list" || s == "trusted_forwarder";

        private static bool Any(ResultList<string> list, Func<string, bool> test)
        {
            for (int i = 0; i < list.Count; i++) if (test(list[i])) return true;
            return false;
        }

        private static string? Empty(string? s) => Strings.IsNullOrEmpty(s) ? null : s;

        private static DateTime? ParseDate(string? s) =>
            DateTime.TryParseExact(s, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)
                ? d : (DateTime?)null;
    }

    /// <summary>Thresholds of the summary's findings.</summary>
    public sealed class DmarcSummaryOptions
    {
        /// <summary>A source needs at least this many messages of a kind before a finding is raised (default 10).</summary>
        public long MinimumMessages { get; set; } = 10;

        /// <summary>...and at least this share of its messages, 0 to 1 (default 0.5).</summary>
        public double FailureThreshold { get; set; } = 0.5;

        /// <summary>Sources seen before ("domain|ip", lower case); null: no NewSource findings.</summary>
        public ISet<string>? Baseline { get; set; }
    }

    /// <summary>
    /// Aggregates DMARC report rows by domain and by (domain, source address) without holding the rows, then gives the
    /// summaries with findings: UnauthenticatedSource, DkimNotAligned, ForwardedDkimFailure, NewSource (see docs/dmarc.md).
    /// Not thread-safe: Add from one thread.
    /// </summary>
    public sealed class DmarcSummaryBuilder
    {
        private sealed class Agg
        {
            public required string Domain;
            /// <summary>The source address; "" in a domain's aggregate.</summary>
            public string SourceIP = "";
            public string? Policy;
            public long Messages, DmarcPass, Spf, Dkim, SpfOnly, Forwarded, None, Quarantine, Reject, Rows;
            public DateTime? First, Last, PolicyAt;
            // Most sources are reported by one or two organisations: the first is kept as a string, a set only from the second on.
            private string? _reporter;
            private HashSet<string>? _reporters;
            public SourceInfo? Source;

            public IEnumerable<string> Reporters =>
                _reporters ?? (_reporter == null ? Enumerable.Empty<string>() : new[] { _reporter });

            private void AddReporter(string org)
            {
                if (_reporter == null) { _reporter = org; return; }
                if (_reporters == null)
                {
                    if (string.Equals(org, _reporter, StringComparison.Ordinal)) return;
                    _reporters = new HashSet<string>(StringComparer.Ordinal) { _reporter };
                }
                if (_reporters.Count < 1000) _reporters.Add(org);
            }

            public void Add(in DmarcSummaryRow r)
            {
                var n = r.Count < 0 ? 0 : r.Count;
                Rows++;
                Messages += n;
                if (r.SpfAligned || r.DkimAligned) DmarcPass += n;
                else if (r.LooksForwarded) Forwarded += n;
                if (r.SpfAligned) Spf += n;
                if (r.DkimAligned) Dkim += n;
                if (r.SpfAligned && !r.DkimAligned) SpfOnly += n;
                switch (r.Disposition)
                {
                    case "quarantine": Quarantine += n; break;
                    case "reject": Reject += n; break;
                    default: None += n; break;
                }
                if (!Strings.IsNullOrEmpty(r.OrgName)) AddReporter(r.OrgName);
                if (r.Begin != null && (First == null || r.Begin < First)) First = r.Begin;
                if (r.End != null && (Last == null || r.End > Last)) Last = r.End;
                if (r.Policy != null && (PolicyAt == null || (r.End ?? DateTime.MinValue) >= PolicyAt)) { Policy = r.Policy; PolicyAt = r.End ?? DateTime.MinValue; }
                if (Source == null && r.Source != null) Source = r.Source;
            }
        }

        private readonly Dictionary<string, Agg> _sources = new Dictionary<string, Agg>(StringComparer.Ordinal);
        private readonly Dictionary<string, Agg> _domains = new Dictionary<string, Agg>(StringComparer.Ordinal);
        private readonly DmarcSummaryOptions _options;

        public DmarcSummaryBuilder(DmarcSummaryOptions? options = null)
        {
            _options = options ?? new DmarcSummaryOptions();
        }

        /// <summary>Rows added.</summary>
        public long Rows { get; private set; }

        /// <summary>Distinct (domain, address) sources so far.</summary>
        public int SourceCount => _sources.Count;

        /// <summary>The distinct source addresses, for enrichment (those already enriched by the input excluded).</summary>
        public IEnumerable<string> AddressesToEnrich() =>
            _sources.Values.Where(a => a.Source == null).Select(a => a.SourceIP).Distinct(StringComparer.OrdinalIgnoreCase);

        /// <summary>Adds one Import-DmarcReport row.</summary>
        public void Add(DmarcReportRow row) => Add(DmarcSummaryRow.From(row ?? throw new ArgumentNullException(nameof(row))));

        /// <summary>Adds one Import-DmarcReport -Format Parsedmarc row (its source columns, when filled, are used as they are).</summary>
        public void Add(ParsedmarcRow row) => Add(DmarcSummaryRow.From(row ?? throw new ArgumentNullException(nameof(row))));

        internal void Add(in DmarcSummaryRow row)
        {
            Rows++;
            var domain = (Strings.IsNullOrEmpty(row.HeaderFrom) ? row.PolicyDomain ?? "" : row.HeaderFrom).Trim().ToLowerInvariant();
            var ip = (row.SourceIP ?? "").Trim();
            var key = Key(domain, ip);
            if (!_sources.TryGetValue(key, out var s)) _sources[key] = s = new Agg { Domain = domain, SourceIP = ip };
            s.Add(row);
            if (!_domains.TryGetValue(domain, out var d)) _domains[domain] = d = new Agg { Domain = domain };
            d.Add(row);
        }

        /// <summary>The baseline key of a source.</summary>
        public static string Key(string? domain, string? ip) => (domain ?? "").Trim().ToLowerInvariant() + "|" + (ip ?? "").Trim().ToLowerInvariant();

        /// <summary>The source summaries, by domain then by messages (most first).</summary>
        /// <param name="enrichment">What DNS says about each address (null: not enriched).</param>
        public IEnumerable<DmarcSourceSummary> Sources(IReadOnlyDictionary<string, SourceInfo>? enrichment)
        {
            foreach (var a in _sources.Values.OrderBy(x => x.Domain, StringComparer.Ordinal).ThenByDescending(x => x.Messages).ThenBy(x => x.SourceIP, StringComparer.Ordinal))
                yield return ToSource(a, enrichment);
        }

        /// <summary>The domain summaries, by domain; each lists its sources' findings.</summary>
        public IEnumerable<DmarcDomainSummary> Domains(IReadOnlyDictionary<string, SourceInfo>? enrichment)
        {
            var bySource = _sources.Values.GroupBy(a => a.Domain).ToDictionary(g => g.Key, g => g.OrderByDescending(x => x.Messages).ToList());
            foreach (var d in _domains.Values.OrderBy(x => x.Domain, StringComparer.Ordinal))
            {
                var findings = bySource[d.Domain].SelectMany(a => ToSource(a, enrichment).Findings).ToList();
                yield return new DmarcDomainSummary
                {
                    Domain = d.Domain,
                    Messages = d.Messages,
                    DmarcPass = d.DmarcPass,
                    DmarcPassPercent = Percent(d.DmarcPass, d.Messages),
                    SpfAligned = d.Spf,
                    SpfAlignedPercent = Percent(d.Spf, d.Messages),
                    DkimAligned = d.Dkim,
                    DkimAlignedPercent = Percent(d.Dkim, d.Messages),
                    Forwarded = d.Forwarded,
                    DispositionNone = d.None,
                    DispositionQuarantine = d.Quarantine,
                    DispositionReject = d.Reject,
                    Rows = d.Rows,
                    Sources = bySource[d.Domain].Count,
                    Reporters = new ResultList<string>(d.Reporters.OrderBy(x => x, StringComparer.OrdinalIgnoreCase)),
                    FirstSeen = d.First,
                    LastSeen = d.Last,
                    Policy = d.Policy,
                    Status = Finding.StatusOf(findings),
                    FindingCodes = string.Join(";", findings.Select(f => f.Code).Distinct()),
                    Findings = new ResultList<Finding>(findings),
                };
            }
        }

        private DmarcSourceSummary ToSource(Agg a, IReadOnlyDictionary<string, SourceInfo>? enrichment)
        {
            var info = a.Source;
            if (info == null && enrichment != null) enrichment.TryGetValue(a.SourceIP, out info);
            var findings = FindingsOf(a, info);
            return new DmarcSourceSummary
            {
                Domain = a.Domain,
                SourceIP = a.SourceIP,
                ReverseDns = info?.ReverseDns,
                BaseDomain = info?.BaseDomain,
                Asn = info?.Asn,
                AsName = info?.AsName,
                Country = info?.Country,
                Messages = a.Messages,
                DmarcPass = a.DmarcPass,
                DmarcPassPercent = Percent(a.DmarcPass, a.Messages),
                SpfAligned = a.Spf,
                SpfAlignedPercent = Percent(a.Spf, a.Messages),
                DkimAligned = a.Dkim,
                DkimAlignedPercent = Percent(a.Dkim, a.Messages),
                Forwarded = a.Forwarded,
                DispositionNone = a.None,
                DispositionQuarantine = a.Quarantine,
                DispositionReject = a.Reject,
                Rows = a.Rows,
                Reporters = new ResultList<string>(a.Reporters.OrderBy(x => x, StringComparer.OrdinalIgnoreCase)),
                FirstSeen = a.First,
                LastSeen = a.Last,
                Policy = a.Policy,
                Status = Finding.StatusOf(findings),
                FindingCodes = string.Join(";", findings.Select(f => f.Code)),
                Findings = new ResultList<Finding>(findings),
                EnrichmentProblem = info?.Problem,
            };
        }

        private List<Finding> FindingsOf(Agg a, SourceInfo? info)
        {
            var list = new List<Finding>();
            var o = _options;
            var who = Describe(a.SourceIP, info);
            var failing = a.Messages - a.DmarcPass - a.Forwarded;
            if (Over(failing, a.Messages))
            {
                var ownBase = info?.BaseDomain;
                var own = ownBase != null && (a.Domain == ownBase || a.Domain.EndsWith("." + ownBase, StringComparison.Ordinal));
                var enforced = a.Policy == "quarantine" || a.Policy == "reject";
                list.Add(new Finding("UnauthenticatedSource", enforced ? FindingSeverity.Warning : FindingSeverity.Fail,
                    $"{failing} of {a.Messages} message(s) from {who} as {a.Domain} passed neither aligned SPF nor aligned DKIM"
                    + (own ? $"; its reverse DNS is in {ownBase}, so this is most likely your own server or a service you use, not yet authorised."
                           : enforced ? $" (p={a.Policy}: receivers hold them back)." : $" (p={a.Policy ?? "none"}: receivers deliver them anyway)."),
                    own
                        ? $"Authorise {who}: add it to the SPF record of {a.Domain} (ip4:/ip6: or the provider's include:) and turn on DKIM signing for {a.Domain} there."
                        : $"Check whether you know {who}: a service you use (newsletter, CRM, ticketing, a forgotten server) - add it to the SPF record of {a.Domain} and set up DKIM signing with {a.Domain}. "
                          + $"If you do not know it, it is spoofing: once every legitimate source passes, move the DMARC policy of {a.Domain} to p=quarantine and then p=reject.",
                    a.SourceIP));
            }
            if (Over(a.SpfOnly, a.Messages))
                list.Add(new Finding("DkimNotAligned", FindingSeverity.Warning,
                    $"{a.SpfOnly} of {a.Messages} message(s) from {who} as {a.Domain} passed aligned SPF but not aligned DKIM: a legitimate sender that does not sign with {a.Domain}, or signs with a selector whose key is not published. Such mail fails DMARC as soon as it is forwarded.",
                    $"Turn on DKIM signing with d={a.Domain} in the service behind {who}, and publish its selector's key (the rows' dkim selectors say which one it uses).",
                    a.SourceIP, about: a.Domain));
            if (Over(a.Forwarded, a.Messages))
                list.Add(new Finding("ForwardedDkimFailure", FindingSeverity.Info,
                    $"{a.Forwarded} of {a.Messages} message(s) from {who} as {a.Domain} look forwarded (a forwarder or mailing list: SPF passes only for another domain, or the reporter says forwarded/mailing_list) and failed DKIM: the forwarder changed the message, or the original was not signed.",
                    $"Nothing to change in DNS when {who} is a legitimate forwarder or list; keep DKIM signing on every source (DKIM is what survives unmodified forwarding). If the original mail was not DKIM-signed, check the selector and signing of the sending service.",
                    a.SourceIP));
            if (o.Baseline != null && !o.Baseline.Contains(Key(a.Domain, a.SourceIP)))
                list.Add(new Finding("NewSource", FindingSeverity.Info,
                    $"{who} sent {a.Messages} message(s) as {a.Domain} and is not in the baseline.",
                    $"Check that {who} is a sender you expect for {a.Domain}; if it is, keep it in the next baseline.",
                    a.SourceIP));
            return list;
        }

        private bool Over(long part, long total) =>
            total > 0 && part >= _options.MinimumMessages && part > 0 && (double)part / total >= _options.FailureThreshold;

        private static string Describe(string ip, SourceInfo? info)
        {
            var parts = new List<string>();
            if (info?.ReverseDns != null) parts.Add(info.ReverseDns);
            if (info?.Asn != null) parts.Add("AS" + info.Asn.Value.ToString(CultureInfo.InvariantCulture) + (info.AsName == null ? "" : " " + info.AsName));
            return parts.Count == 0 ? ip : $"{ip} ({string.Join(", ", parts)})";
        }

        private static double Percent(long part, long total) => total <= 0 ? 0 : Math.Round(100.0 * part / total, 1);

    }
}
