using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dkim;
using MailOps.Dmarc;
using MailOps.Dnsbl;
using MailOps.Dns;
using MailOps.MtaSts;
using MailOps.Mx;
using MailOps.Smtp;
using MailOps.Spf;

namespace MailOps.DomainHealth
{
    /// <summary>What Test-MailDomain runs, and how.</summary>
    public sealed class MailDomainOptions
    {
        /// <summary>DKIM selectors to check; null or empty: probe the built-in list (as Find-DkimSelector does).</summary>
        public IReadOnlyList<string>? DkimSelectors { get; set; }
        /// <summary>Concurrent selector probes per domain.</summary>
        public int DkimThrottleLimit { get; set; } = 8;
        public DmarcDiscoveryMethod DmarcDiscovery { get; set; } = DmarcDiscoveryMethod.TreeWalk;
        public PublicSuffixList? PublicSuffixList { get; set; }
        public MtaStsOptions MtaSts { get; set; } = new MtaStsOptions();
        public MailDomainProfile Profile { get; set; }
        /// <summary>Probe SMTP on each MX and match DANE against the live certificate.</summary>
        public bool Live { get; set; }
        /// <summary>For -Live: the port to probe (25; other values for tests and private setups).</summary>
        public int SmtpPort { get; set; } = 25;
        /// <summary>For -Live: timeout, HELO name, resolver.</summary>
        public MailServiceOptions Smtp { get; set; } = new MailServiceOptions();
        /// <summary>The blocklists to ask about each MX address and the domain itself; null: none. One check per run, so
        /// its zone tests, throttle and the resolver's cache serve every domain.</summary>
        public DnsblCheck? Blocklists { get; set; }
        /// <summary>The most MX addresses asked per domain (the lowest preferences first).</summary>
        public int MaxBlocklistAddresses { get; set; } = 8;
    }

    /// <summary>A check that could not run for a domain: the area and the exception the single check threw
    /// (<see cref="DnsQueryFailedException"/>, <see cref="PolicyFetchException"/>, <see cref="MailConnectionException"/>).</summary>
    public sealed class MailDomainCheckFailure
    {
        internal MailDomainCheckFailure(string area, string? target, Exception exception)
        {
            Area = area;
            Target = target;
            Exception = exception;
        }

        public string Area { get; }
        public string? Target { get; }
        public Exception Exception { get; }
    }

    public sealed class MailDomainCheckOutcome
    {
        internal MailDomainCheckOutcome(MailDomainResult result, IReadOnlyList<MailDomainCheckFailure> failures, IReadOnlyList<string> partial,
            IReadOnlyList<DnsblResult> blocklistErrors)
        {
            Result = result;
            Failures = failures;
            Partial = partial;
            BlocklistErrors = blocklistErrors;
        }

        public MailDomainResult Result { get; }
        /// <summary>Checks that could not run at all: each becomes an ErrorRecord.</summary>
        public IReadOnlyList<MailDomainCheckFailure> Failures { get; }
        /// <summary>Checks that ran with questions unanswered: each becomes a warning.</summary>
        public IReadOnlyList<string> Partial { get; }
        /// <summary>Blocklist answers with Status Error (the list could not be asked, or answered an error code): each makes
        /// the result Incomplete; the cmdlet writes one ErrorRecord per zone and kind.</summary>
        public IReadOnlyList<DnsblResult> BlocklistErrors { get; }
    }

    /// <summary>
    /// Test-MailDomain's engine: composes the single checks (MX, SPF audit, DMARC, DKIM, MTA-STS, TLS-RPT, DANE, and with
    /// Live the SMTP service) for one domain, concurrently, through one resolver (whose cache the caller shares across
    /// domains), and merges their findings in fix-first order. It changes none of the single checks' verdicts.
    /// </summary>
    public static class MailDomainCheck
    {
        public static async Task<MailDomainCheckOutcome> RunAsync(IDnsResolver dns, string domain, MailDomainOptions options, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            options = options ?? new MailDomainOptions();
            domain = DnsName.Normalize(domain.Trim()).ToLowerInvariant();
            var failures = new List<MailDomainCheckFailure>();
            var partial = new List<string>();
            var r = new MailDomainResult { Domain = domain, Profile = options.Profile.ToString(), Live = options.Live };

            async Task<T?> Guard<T>(string area, string target, Func<Task<T>> run) where T : class
            {
                try
                {
                    return await run().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DnsQueryFailedException || ex is PolicyFetchException || ex is MailConnectionException)
                {
                    lock (failures) failures.Add(new MailDomainCheckFailure(area, target, ex));
                    return null;
                }
            }
            void Partial(string area, IEnumerable<DnsQueryResult> unanswered)
            {
                foreach (var u in unanswered ?? Enumerable.Empty<DnsQueryResult>())
                    lock (partial) partial.Add($"{area}: {new DnsQueryFailedException(u).Message}");
            }

            var mxTask = Guard("Mx", domain, () => MxCheck.RunAsync(dns, domain, ct));
            var spfTask = Guard("Spf", domain, () => SpfAudit.RunAsync(dns, domain, ct));
            var dmarcTask = Guard("Dmarc", "_dmarc." + domain, () => DmarcCheck.RunAsync(dns, domain, options.DmarcDiscovery, options.PublicSuffixList, ct));
            var dkimTask = CheckDkimAsync(dns, domain, options, failures, ct);
            var stsTask = Guard("MtaSts", "_mta-sts." + domain, () => MtaStsCheck.RunAsync(dns, domain, options.MtaSts, ct));
            var rptTask = Guard("TlsRpt", "_smtp._tls." + domain, () => TlsRptCheck.RunAsync(dns, domain, ct));
            var daneTask = CheckDaneAsync(dns, domain, options, failures, ct);
            var blocklistTask = options.Blocklists == null
                ? Task.FromResult<IReadOnlyList<DnsblResult>>(Array.Empty<DnsblResult>())
                : CheckBlocklistsAsync(options.Blocklists, domain, mxTask, options.MaxBlocklistAddresses, ct);
            var smtpTask = options.Live ? CheckSmtpAsync(dns, domain, options, failures, ct) : Task.FromResult<IReadOnlyList<MailServiceResult>>(Array.Empty<MailServiceResult>());

            var mx = await mxTask.ConfigureAwait(false);
            var spf = await spfTask.ConfigureAwait(false);
            var dmarc = await dmarcTask.ConfigureAwait(false);
            var dkim = await dkimTask.ConfigureAwait(false);
            var sts = await stsTask.ConfigureAwait(false);
            var rpt = await rptTask.ConfigureAwait(false);
            var dane = await daneTask.ConfigureAwait(false);
            var smtp = await smtpTask.ConfigureAwait(false);
            var blocklists = await blocklistTask.ConfigureAwait(false);

            if (mx != null) { r.Mx = new ResultList<MailMxHost>(mx.Result); Partial("Mx", mx.Unanswered); }
            if (spf != null) { r.Spf = spf.Result; Partial("Spf", spf.Unanswered); }
            if (dmarc != null) { r.Dmarc = dmarc.Result; Partial("Dmarc", dmarc.Unanswered); }
            if (sts != null) { r.MtaSts = sts.Result; Partial("MtaSts", sts.Unanswered); }
            r.TlsRpt = rpt;
            r.Dkim = new ResultList<MailDkimRecord>(dkim);
            r.Dane = new ResultList<MailDaneResult>(dane);
            r.Smtp = new ResultList<MailServiceResult>(smtp);
            r.Blocklists = new ResultList<DnsblResult>(blocklists);
            r.ListedOn = new ResultList<string>(blocklists.Where(b => b.IsListed).Select(b => $"{b.Target} on {b.Zone}"));
            var blocklistErrors = blocklists.Where(b => b.Status == DnsblStatus.Error).ToList();
            // A zone that failed its test fails every target alike: one line per zone and kind, not per address.
            foreach (var e in blocklistErrors.GroupBy(b => (b.Zone, b.ErrorKind)).Select(g => g.First()))
                partial.Add($"Blocklist {e.Zone}: {e.Message}");

            var primaryMx = r.Mx.Where(h => !h.IsNullMx && !h.IsImplicit && h.HostName != null).OrderBy(h => h.Preference ?? int.MaxValue).Select(h => h.HostName).FirstOrDefault();
            if (options.Profile != MailDomainProfile.None)
            {
                var client = await Guard("Client", domain, () => CheckClientRecordsAsync(dns, domain, primaryMx, options.Profile, ct)).ConfigureAwait(false);
                if (client != null) r.ClientRecords = new ResultList<MailClientRecord>(client);
            }

            var raw = new List<(string Area, Finding Finding)>();
            foreach (var h in r.Mx) foreach (var f in h.Findings) raw.Add(("Mx", f));
            foreach (var b in blocklists.Where(b => b.IsListed)) raw.Add(("Blocklist", BlocklistFinding(b, r)));
            if (r.Spf != null) foreach (var f in r.Spf.Findings) raw.Add(("Spf", f));
            if (r.Dmarc != null) foreach (var f in r.Dmarc.Findings) raw.Add(("Dmarc", f));
            foreach (var k in r.Dkim) foreach (var f in k.Findings) raw.Add(("Dkim", f));
            if (dkim.Count == 0 && !failures.Any(f => f.Area == "Dkim") && !IsNonMailDomain(r))
                raw.Add(("Dkim", NoDkimFinding(domain, options)));
            foreach (var d in r.Dane) foreach (var f in d.Findings) raw.Add(("Dane", f));
            if (r.MtaSts != null) foreach (var f in r.MtaSts.Findings) raw.Add(("MtaSts", f));
            if (r.TlsRpt != null) foreach (var f in r.TlsRpt.Findings) raw.Add(("TlsRpt", f));
            foreach (var s in r.Smtp) foreach (var f in s.Findings) raw.Add(("Smtp", f));
            foreach (var c in r.ClientRecords.Where(c => !c.Found))
                raw.Add(("Client", new Finding("ClientRecordMissing", FindingSeverity.Warning,
                    $"{c.Name} ({c.Purpose}) is not published; {options.Profile} asks for it so that mail clients configure themselves.",
                    $"Publish: {c.Expected}", c.Name)));

            r.Findings = new ResultList<MailDomainFinding>(FindingPriority.Rank(domain, raw, r));
            r.CouldNotCheck = new ResultList<string>(
                failures.Select(f => $"{f.Area}: {f.Exception.Message}").Concat(partial));
            FindingPriority.Grade(r, incomplete: failures.Count > 0 || partial.Count > 0);
            return new MailDomainCheckOutcome(r, failures, partial, blocklistErrors);
        }

        /// <summary>The domain on the domain lists, and each public address of its MX hosts (lowest preference first, at
        /// most <paramref name="max"/>) on the IP lists, once the MX check has its answer.</summary>
        private static async Task<IReadOnlyList<DnsblResult>> CheckBlocklistsAsync(DnsblCheck dnsbl, string domain, Task<CheckOutcome<IReadOnlyList<MailMxHost>>?> mxTask,
            int max, CancellationToken ct)
        {
            var targets = new List<DnsblTarget> { DnsblTarget.ForDomain(domain) };
            var mx = await mxTask.ConfigureAwait(false);
            if (mx != null)
            {
                var addresses = mx.Result.Where(h => !h.IsNullMx).OrderBy(h => h.Preference ?? int.MaxValue)
                    .SelectMany(h => h.IPv4Address.Concat(h.IPv6Address))
                    .Select(System.Net.IPAddress.Parse)
                    // A private or loopback MX address is the MX check's Blocking finding already; no list holds it.
                    .Where(ip => !MxCheck.IsNonPublic(ip))
                    .Distinct().Take(max);
                targets.AddRange(addresses.Select(DnsblTarget.ForAddress));
            }
            var results = (await Task.WhenAll(targets.Select(t => dnsbl.CheckAsync(t, ct))).ConfigureAwait(false)).SelectMany(r => r).ToList();
            // Stable order for output and reports: the domain first, then the addresses as the MX order gave them; zones by name.
            return results.OrderBy(x => targets.FindIndex(t => t.Text == x.Target)).ThenBy(x => x.Zone, StringComparer.OrdinalIgnoreCase).ToList();
        }

        private static Finding BlocklistFinding(DnsblResult b, MailDomainResult r)
        {
            var meaning = b.Meaning.Count > 0 ? string.Join("; ", b.Meaning) : string.Join(", ", b.ReturnCodes);
            var reason = Strings.IsNullOrEmpty(b.Reason) ? "" : $" ({b.Reason})";
            var delist = b.DelistUrl != null ? $" then ask for removal at {b.DelistUrl}" : " then ask the list's operator for removal";
            if (b.TargetType == "Domain")
                return new Finding("DomainBlocklisted", FindingSeverity.Fail,
                    $"{b.Target} is listed on {b.Zone}: {meaning}{reason}. Spam filters that use this list reject or junk mail that names the domain (in From, links or signatures).",
                    $"Find what got the domain listed (links in bulk mail, a compromised site or account),{delist}.", b.Target);
            var hosts = r.Mx.Where(h => h.IPv4Address.Contains(b.Target) || h.IPv6Address.Contains(b.Target)).Select(h => h.HostName).Distinct().ToList();
            return new Finding("Blocklisted", FindingSeverity.Fail,
                $"{b.Target} ({string.Join(", ", hosts)}, an MX of {r.Domain}) is listed on {b.Zone}: {meaning}{reason}. Receivers that use this list refuse or junk mail sent from it, which is all of this domain's mail when the MX also sends.",
                $"Find the cause (an open relay, a compromised account or form, a dynamic-range address),{delist}.", b.Target);
        }

        /// <summary>A null MX or no address at all: the domain neither sends nor receives, and DKIM does not apply.</summary>
        private static bool IsNonMailDomain(MailDomainResult r) => r.Mx.Count > 0 && r.Mx.All(h => h.IsNullMx);

        private static Finding NoDkimFinding(string domain, MailDomainOptions options)
        {
            var given = options.DkimSelectors != null && options.DkimSelectors.Count > 0;
            return new Finding("NoDkimSelectorFound", FindingSeverity.Warning,
                given
                    ? $"None of the selectors given ({string.Join(", ", options.DkimSelectors)}) publishes a DKIM key for {domain}."
                    : $"None of the {DkimSelectorSearch.Candidates(new string[0]).Count} common DKIM selectors is published for {domain}. Gmail and Yahoo require DKIM for bulk senders; mail may still be signed with a selector not on the list.",
                "Sign outgoing mail with DKIM; if it is signed already, its selector is the s= of its DKIM-Signature.",
                domain);
        }

        private static async Task<IReadOnlyList<MailDkimRecord>> CheckDkimAsync(IDnsResolver dns, string domain, MailDomainOptions options,
            List<MailDomainCheckFailure> failures, CancellationToken ct)
        {
            var found = new List<MailDkimRecord>();
            if (options.DkimSelectors != null && options.DkimSelectors.Count > 0)
            {
                foreach (var selector in options.DkimSelectors)
                {
                    try
                    {
                        var rec = await DkimRecordCheck.RunAsync(dns, domain, selector, null, ct).ConfigureAwait(false);
                        found.Add(rec);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        lock (failures) failures.Add(new MailDomainCheckFailure("Dkim", DkimRecordCheck.KeyName(selector, domain), ex));
                    }
                }
                // Selectors given by the user that are absent are findings of their own (NoDkimRecord); keep them.
                return found;
            }
            var extra = new List<string>();
            var suite = ClientRecordProfiles.DefaultDkimSelector(options.Profile);
            if (suite != null) extra.Add(suite);
            var candidates = DkimSelectorSearch.Candidates(extra);
            var search = await DkimSelectorSearch.RunAsync(dns, domain, candidates, options.DkimThrottleLimit, CheckSink.None, ct).ConfigureAwait(false);
            found.AddRange(search.Found);
            // One unanswered probe among many is enough to say the search could not run completely: "none found" would
            // then be a guess.
            if (search.Failed.Count > 0 && found.Count == 0)
                lock (failures) failures.Add(new MailDomainCheckFailure("Dkim", domain, search.Failed[0].Error));
            return found.OrderBy(k => k.Selector, StringComparer.Ordinal).ToList();
        }

        private static async Task<IReadOnlyList<MailDaneResult>> CheckDaneAsync(IDnsResolver dns, string domain, MailDomainOptions options,
            List<MailDomainCheckFailure> failures, CancellationToken ct)
        {
            IReadOnlyList<DaneTarget> targets;
            try
            {
                targets = await DaneCheck.GetTargetsAsync(dns, domain, ct).ConfigureAwait(false);
            }
            catch (DnsQueryFailedException)
            {
                return Array.Empty<MailDaneResult>(); // the MX check reports the same unanswered question
            }
            // Only real MX hosts: an implicit MX (the domain itself), a null MX or an NXDOMAIN is the MX check's business.
            var hosts = targets.Where(t => t.Finding == null && t.HostName != "." && t.HostName != domain).ToList();
            var results = new MailDaneResult[hosts.Count];
            await Task.WhenAll(hosts.Select(async (t, i) =>
            {
                try
                {
                    results[i] = options.Live
                        ? await DaneCheck.CheckHostAsync(dns, t, new DaneOptions { Port = options.SmtpPort, Timeout = options.Smtp.Timeout, HeloName = options.Smtp.HeloName }, ct).ConfigureAwait(false)
                        : await TlsaPresenceAsync(dns, t, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DnsQueryFailedException || ex is MailConnectionException)
                {
                    lock (failures) failures.Add(new MailDomainCheckFailure("Dane", t.HostName, ex));
                }
            })).ConfigureAwait(false);
            return results.Where(x => x != null).ToList();
        }

        /// <summary>TLSA presence without connecting: the records, their DNSSEC status, and "Published" (not matched live).</summary>
        private static async Task<MailDaneResult> TlsaPresenceAsync(IDnsResolver dns, DaneTarget target, CancellationToken ct)
        {
            var host = target.HostName;
            var r = new MailDaneResult
            {
                Domain = target.Domain,
                HostName = host,
                Port = 25,
                TlsaName = $"_25._tcp.{host}",
                MxDnssecValidated = target.MxDnssecValidated,
                DaneStatus = "NotChecked",
                Rollover = "None",
            };
            var tlsa = await dns.QueryAsync(r.TlsaName, DnsRecordType.TLSA, ct).ConfigureAwait(false);
            if (tlsa.IsError) throw new DnsQueryFailedException(tlsa);
            var records = tlsa.RecordsOf<TlsaRecord>().ToList();
            r.DnssecValidated = tlsa.AuthenticData;
            var findings = new List<Finding>();
            if (records.Count == 0)
            {
                r.DaneStatus = "NoTlsa";
                findings.Add(new Finding("NoTlsa", FindingSeverity.Info,
                    $"{host} publishes no TLSA record at {r.TlsaName} ({tlsa.Outcome}): senders use opportunistic TLS without authentication.",
                    $"To deploy DANE, sign the zone with DNSSEC and publish '{r.TlsaName}. IN TLSA 3 1 1 <hash>'.", host));
            }
            else
            {
                r.DaneStatus = "Published";
                r.TlsaRecords = new ResultList<TlsaRecordMatch>(records.Select(t => new TlsaRecordMatch(t, "NotChecked", null, "not matched: run with -Live to compare with the certificate the server presents")));
                if (!DaneCheck.IsFromZoneFile(tlsa) && !tlsa.AuthenticData)
                    findings.Add(new Finding("TlsaNotDnssecValidated", FindingSeverity.Fail,
                        $"The TLSA answer for {r.TlsaName} from {tlsa.Server} was not DNSSEC-validated (no AD bit): senders ignore TLSA records that are not secure.",
                        "Sign the zone with DNSSEC and publish its DS record; if the zone is signed, ask a validating resolver - this one may not validate.", host));
            }
            r.Findings = new ResultList<Finding>(findings);
            return r;
        }

        private static async Task<IReadOnlyList<MailServiceResult>> CheckSmtpAsync(IDnsResolver dns, string domain, MailDomainOptions options,
            List<MailDomainCheckFailure> failures, CancellationToken ct)
        {
            var mx = await dns.QueryAsync(domain, DnsRecordType.MX, ct).ConfigureAwait(false);
            if (mx.IsError) return Array.Empty<MailServiceResult>(); // reported by the MX check
            var hosts = mx.RecordsOf<MxRecord>().Where(m => m.Exchange != ".").OrderBy(m => m.Preference)
                .Select(m => m.Exchange.ToLowerInvariant()).Distinct().ToList();
            var results = new MailServiceResult[hosts.Count];
            await Task.WhenAll(hosts.Select(async (h, i) =>
            {
                try
                {
                    var o = options.Smtp;
                    var svc = new MailServiceOptions
                    {
                        Protocol = MailProtocol.Smtp,
                        Timeout = o.Timeout,
                        HeloName = o.HeloName,
                        TrustedCertificates = o.TrustedCertificates,
                        Resolve = o.Resolve,
                    };
                    results[i] = await MailServiceCheck.RunAsync(h, options.SmtpPort, svc, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DnsQueryFailedException || ex is MailConnectionException)
                {
                    lock (failures) failures.Add(new MailDomainCheckFailure("Smtp", $"{h}:{options.SmtpPort}", ex));
                }
            })).ConfigureAwait(false);
            return results.Where(x => x != null).ToList();
        }

        private static async Task<IReadOnlyList<MailClientRecord>> CheckClientRecordsAsync(IDnsResolver dns, string domain, string? mailHost,
            MailDomainProfile profile, CancellationToken ct)
        {
            var target = (mailHost ?? "mail." + domain).TrimEnd('.') + ".";
            var specs = ClientRecordProfiles.For(profile);
            var list = new MailClientRecord[specs.Count];
            await Task.WhenAll(specs.Select(async (s, i) =>
            {
                var name = $"{s.Label}.{domain}";
                if (s.Type == "SRV")
                {
                    var q = await dns.QueryAsync(name, DnsRecordType.SRV, ct).ConfigureAwait(false);
                    if (q.IsError) throw new DnsQueryFailedException(q);
                    var srv = q.RecordsOf<SrvRecord>().Where(x => x.Target != ".").ToList();
                    list[i] = new MailClientRecord(domain, name, "SRV", s.Purpose, srv.Count > 0,
                        srv.Count > 0 ? string.Join("; ", srv.Select(x => $"{x.Priority} {x.Weight} {x.Port} {x.Target}")) : null,
                        $"{name}. IN SRV 0 1 {s.Port} {target}", s.Source);
                }
                else
                {
                    var q = await dns.QueryAsync(name, DnsRecordType.A, ct).ConfigureAwait(false);
                    if (q.IsError) throw new DnsQueryFailedException(q);
                    var alias = q.CnameChain.Select(c => c.Target).LastOrDefault();
                    var addresses = q.RecordsOf<AddressRecord>().Select(a => a.Address.ToString()).ToList();
                    var found = alias != null || addresses.Count > 0;
                    list[i] = new MailClientRecord(domain, name, "CNAME", s.Purpose, found,
                        alias ?? (addresses.Count > 0 ? string.Join("; ", addresses) : null),
                        $"{name}. IN CNAME {target}", s.Source);
                }
            })).ConfigureAwait(false);
            return list;
        }
    }
}
