using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.Reports;
using MailOps.Testing;

namespace MailOps.Tests.Reports
{
    /// <summary>Source enrichment (PTR, base domain, ASN) against the fixture DNS server, and the summary's aggregation and
    /// findings on synthetic rows.</summary>
    public sealed class DmarcSummaryTests : IDisposable
    {
        private readonly FixtureDnsServer _server;

        public DmarcSummaryTests()
        {
            _server = FixtureDnsServer.Start();
            _server.LoadMasterFileFromPath(Paths.DnsFixture("server/asn.cymru.com.zone"));
            _server.LoadMasterFileFromPath(Paths.DnsFixture("dnsbl/ptr-reverse.zone"));
        }

        public void Dispose() => _server.Dispose();

        // 1 s per answer: long enough that a loaded machine's fixture server is never taken for a timeout (an ASN answer
        // that came late made "PTR timed out" read "PTR timed out; ASN timed out" once), short enough for the timeout tests.
        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(1000), 0));

        private static PublicSuffixList Psl() =>
            PublicSuffixList.Load(Path.Combine(Paths.RepoRoot, "src", "MailOps.Core", "Data", "public_suffix_list.dat"));

        [Fact]
        public async Task Enrichment_gives_ptr_base_domain_and_origin_as_and_asks_once_per_address()
        {
            var e = new SourceEnricher(Dns(), Psl(), 4);
            var a = await e.GetAsync("198.51.100.15", CancellationToken.None);
            var again = await e.GetAsync(" 198.51.100.15", CancellationToken.None);
            Assert.Same(a, again);
            Assert.Equal("dsl-15.cust.example.org", a.ReverseDns);
            Assert.Equal("example.org", a.BaseDomain);
            Assert.Equal(64497, a.Asn);
            Assert.Equal("EXAMPLE-BB - Example Residential Broadband GmbH, DE", a.AsName);
            Assert.Equal("DE", a.Country);
            Assert.Null(a.Problem);
            Assert.Equal(1, _server.QueryCount("15.100.51.198.in-addr.arpa"));
            Assert.Equal(1, _server.QueryCount("15.100.51.198.origin.asn.cymru.com"));
            Assert.Equal(0, e.ProblemCount);
        }

        [Fact]
        public async Task No_ptr_and_no_origin_data_are_empty_answers_not_problems()
        {
            var e = new SourceEnricher(Dns(), Psl());
            var a = await e.GetAsync("198.51.100.11", CancellationToken.None);
            Assert.Null(a.ReverseDns);
            Assert.Null(a.Asn);
            Assert.Null(a.Problem);
            Assert.Equal(0, e.ProblemCount);
        }

        [Fact]
        public async Task A_ptr_timeout_leaves_the_name_empty_and_says_so_while_the_asn_is_kept()
        {
            _server.SetFault("10.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var e = new SourceEnricher(Dns(), Psl());
            var a = await e.GetAsync("198.51.100.10", CancellationToken.None);
            Assert.Null(a.ReverseDns);
            Assert.Null(a.BaseDomain);
            Assert.Equal("PTR timed out", a.Problem);
            Assert.Equal(64496, a.Asn);
            Assert.Equal(1, e.ProblemCount);
            Assert.Equal(1, e.ProblemKinds["PTR timed out"]);
        }

        [Fact]
        public async Task Lookups_run_concurrently_up_to_the_bound()
        {
            // Four addresses with slow-to-fail PTRs: with a bound of 4 they take about one timeout, not four.
            foreach (var n in new[] { 20, 21, 22, 23 })
                _server.SetFault($"{n}.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var e = new SourceEnricher(Dns(), Psl(), 4);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var all = await Task.WhenAll(new[] { 20, 21, 22, 23 }.Select(n => e.GetAsync($"198.51.100.{n}", CancellationToken.None)));
            Assert.All(all, a => Assert.Equal("PTR timed out", a.Problem));
            // Together: about one timeout (1 s); one after the other: 4 s.
            Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(2500), $"took {sw.Elapsed}");
        }

        [Fact]
        public void Parsedmarc_rows_carry_the_enrichment_in_parsedmarcs_columns()
        {
            var info = new SourceInfo("198.51.100.15", "dsl-15.cust.example.org", "example.org", 64497, "EXAMPLE-BB", "DE", null);
            var p = ParsedmarcFormat.ToParsedmarcRow(Row("example.com", "198.51.100.15", 3, spf: true, dkim: true), info);
            Assert.Equal("dsl-15.cust.example.org", p.source_reverse_dns);
            Assert.Equal("example.org", p.source_base_domain);
            Assert.Equal("DE", p.source_country);
            Assert.Equal("64497", p.source_asn);
            Assert.Equal("EXAMPLE-BB", p.source_as_name);
            Assert.Equal("", ParsedmarcFormat.ToParsedmarcRow(Row("example.com", "198.51.100.15", 3, spf: true, dkim: true)).source_reverse_dns);
        }

        internal static DmarcReportRow Row(string domain, string ip, long count, bool spf, bool dkim, string disposition = "none",
            string org = "google.com", string p = "none", DateTime? begin = null, string[]? spfResults = null, string[]? overrides = null) => new DmarcReportRow
        {
            OrgName = org,
            ReportId = "r1",
            BeginDate = begin ?? new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc),
            EndDate = (begin ?? new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc)).AddDays(1).AddSeconds(-1),
            Domain = domain,
            P = p,
            SourceIP = ip,
            Count = count,
            Disposition = disposition,
            PolicySpf = spf ? "pass" : "fail",
            PolicyDkim = dkim ? "pass" : "fail",
            HeaderFrom = domain,
            SpfDomains = new ResultList<string>((spfResults ?? new string[0]).Select(_ => "other.example")),
            SpfScopes = new ResultList<string>((spfResults ?? new string[0]).Select(_ => "mfrom")),
            SpfResults = new ResultList<string>(spfResults ?? new string[0]),
            PolicyOverrideReasons = new ResultList<string>(overrides ?? new string[0]),
        };

        private static Dictionary<string, DmarcSourceSummary> Summarise(IEnumerable<DmarcReportRow> rows, DmarcSummaryOptions? o = null,
            IReadOnlyDictionary<string, SourceInfo>? enrichment = null)
        {
            var b = new DmarcSummaryBuilder(o);
            foreach (var r in rows) b.Add(r);
            return b.Sources(enrichment).ToDictionary(s => s.SourceIP ?? "");
        }

        [Fact]
        public void Sources_sum_counts_rates_dispositions_reporters_and_dates()
        {
            var s = Summarise(new[]
            {
                Row("Example.com", "192.0.2.1", 30, spf: true, dkim: true, org: "google.com"),
                Row("example.com", "192.0.2.1", 10, spf: true, dkim: false, disposition: "quarantine", org: "Yahoo", begin: new DateTime(2026, 11, 3, 0, 0, 0, DateTimeKind.Utc)),
                Row("example.com", "192.0.2.1", 10, spf: false, dkim: false, disposition: "reject", org: "google.com", begin: new DateTime(2026, 10, 30, 0, 0, 0, DateTimeKind.Utc)),
            })["192.0.2.1"];
            Assert.Equal("example.com", s.Domain);
            Assert.Equal(50, s.Messages);
            Assert.Equal(40, s.DmarcPass);
            Assert.Equal(80.0, s.DmarcPassPercent);
            Assert.Equal(40, s.SpfAligned);
            Assert.Equal(30, s.DkimAligned);
            Assert.Equal(60.0, s.DkimAlignedPercent);
            Assert.Equal((30L, 10L, 10L), (s.DispositionNone, s.DispositionQuarantine, s.DispositionReject));
            Assert.Equal(3, s.Rows);
            Assert.Equal("google.com; Yahoo", s.Reporters.ToString());
            Assert.Equal(new DateTime(2026, 10, 30, 0, 0, 0, DateTimeKind.Utc), s.FirstSeen);
            Assert.Equal(new DateTime(2026, 11, 3, 23, 59, 59, DateTimeKind.Utc), s.LastSeen);
            Assert.Equal("Pass", s.Status); // 10 failing of 50 is under the 0.5 threshold
        }

        [Fact]
        public void Unauthenticated_volume_under_p_none_fails_and_says_what_to_check()
        {
            var s = Summarise(new[]
            {
                Row("example.com", "203.0.113.9", 200, spf: false, dkim: false, p: "none"),
                Row("example.com", "203.0.113.10", 9, spf: false, dkim: false),
            }, enrichment: new Dictionary<string, SourceInfo>
            {
                ["203.0.113.9"] = new SourceInfo("203.0.113.9", "host.bad.example", "bad.example", 64511, "BAD-NET", "ZZ", null),
            });
            var none = s["203.0.113.9"];
            var f = Assert.Single(none.Findings);
            Assert.Equal("UnauthenticatedSource", f.Code);
            Assert.Equal("Fail", f.Severity);
            Assert.Contains("host.bad.example", f.Message);
            Assert.Contains("spoofing", f.Remedy);
            Assert.Contains("SPF record of example.com", f.Remedy);
            Assert.Equal("203.0.113.9", f.Subject);
            Assert.Equal("Fail", none.Status);
            Assert.Equal("UnauthenticatedSource", none.FindingCodes);
            Assert.Equal("host.bad.example", none.ReverseDns);
            Assert.Equal(64511, none.Asn);
            // Below -MinimumMessages (9 < 10): nothing.
            Assert.Empty(s["203.0.113.10"].Findings);
        }

        [Fact]
        public void Unauthenticated_under_reject_is_a_warning_and_a_source_in_the_domain_is_called_your_own()
        {
            var b = new DmarcSummaryBuilder();
            b.Add(Row("example.net", "203.0.113.9", 200, spf: false, dkim: false, p: "reject", disposition: "reject"));
            b.Add(Row("example.org", "198.51.100.10", 50, spf: false, dkim: false));
            var all = b.Sources(new Dictionary<string, SourceInfo>
            {
                ["198.51.100.10"] = new SourceInfo("198.51.100.10", "mail.example.org", "example.org", null, null, null, null),
            }).ToList();
            Assert.Equal("Warning", all.Single(x => x.Domain == "example.net").Findings.Single().Severity);
            var own = all.Single(x => x.Domain == "example.org").Findings.Single();
            Assert.Contains("your own server", own.Message);
            Assert.StartsWith("Authorise", own.Remedy);
        }

        [Fact]
        public void Spf_without_dkim_and_forwarded_mail_are_told_apart()
        {
            var s = Summarise(new[]
            {
                Row("example.com", "192.0.2.50", 40, spf: true, dkim: false),
                Row("example.com", "192.0.2.60", 25, spf: false, dkim: false, spfResults: new[] { "pass" }),
                Row("example.com", "192.0.2.61", 25, spf: false, dkim: false, overrides: new[] { "mailing_list" }),
            });
            Assert.Equal("DkimNotAligned", s["192.0.2.50"].FindingCodes);
            // The engine's remedy names no cmdlet; the module adds "Find-DkimSelector ..." (tests/Pester/DmarcSummary.Tests.ps1).
            Assert.Contains("publish its selector's key", s["192.0.2.50"].Findings.Single().Remedy);
            Assert.DoesNotContain("Find-DkimSelector", s["192.0.2.50"].Findings.Single().Remedy);
            Assert.Equal("ForwardedDkimFailure", s["192.0.2.60"].FindingCodes);
            Assert.Equal(25, s["192.0.2.60"].Forwarded);
            // An Info finding is a note, not a problem: Status is Pass (Finding.StatusOf, as every other result), so
            // "Where-Object Status -ne Pass" lists only what needs fixing.
            Assert.Equal("Pass", s["192.0.2.61"].Status);
            Assert.Equal("ForwardedDkimFailure", s["192.0.2.61"].FindingCodes);
        }

        [Fact]
        public void Thresholds_are_options()
        {
            var rows = new[] { Row("example.com", "192.0.2.70", 100, spf: true, dkim: true), Row("example.com", "192.0.2.70", 20, spf: false, dkim: false) };
            Assert.Empty(Summarise(rows)["192.0.2.70"].Findings);
            Assert.Equal("UnauthenticatedSource", Summarise(rows, new DmarcSummaryOptions { FailureThreshold = 0.1 })["192.0.2.70"].FindingCodes);
            Assert.Empty(Summarise(rows, new DmarcSummaryOptions { FailureThreshold = 0.1, MinimumMessages = 21 })["192.0.2.70"].Findings);
        }

        [Fact]
        public void Sources_missing_from_the_baseline_are_new()
        {
            var baseline = new HashSet<string> { DmarcSummaryBuilder.Key("Example.com", "192.0.2.1") };
            var s = Summarise(new[] { Row("example.com", "192.0.2.1", 5, true, true), Row("example.com", "192.0.2.2", 5, true, true) },
                new DmarcSummaryOptions { Baseline = baseline });
            Assert.Empty(s["192.0.2.1"].Findings);
            Assert.Equal("NewSource", s["192.0.2.2"].FindingCodes);
        }

        [Fact]
        public void Domains_count_sources_and_list_their_findings()
        {
            var b = new DmarcSummaryBuilder();
            b.Add(Row("example.com", "192.0.2.1", 30, spf: true, dkim: true));
            b.Add(Row("example.com", "203.0.113.9", 20, spf: false, dkim: false));
            b.Add(Row("example.org", "192.0.2.1", 5, spf: true, dkim: true));
            var d = b.Domains(null).ToList();
            Assert.Equal(new[] { "example.com", "example.org" }, d.Select(x => x.Domain));
            Assert.Equal(50, d[0].Messages);
            Assert.Equal(2, d[0].Sources);
            Assert.Equal(60.0, d[0].DmarcPassPercent);
            Assert.Equal("UnauthenticatedSource", d[0].FindingCodes);
            Assert.Equal("203.0.113.9", d[0].Findings.Single().Subject);
            Assert.Equal("Pass", d[1].Status);
        }

        [Fact]
        public void Parsedmarc_rows_are_summed_the_same_and_their_enrichment_is_kept()
        {
            var b = new DmarcSummaryBuilder();
            var info = new SourceInfo("198.51.100.15", "dsl-15.cust.example.org", "example.org", 64497, "EXAMPLE-BB", "DE", null);
            b.Add(ParsedmarcFormat.ToParsedmarcRow(Row("example.com", "198.51.100.15", 30, spf: true, dkim: false, disposition: "quarantine"), info));
            b.Add(Row("example.com", "198.51.100.15", 10, spf: true, dkim: true));
            Assert.Empty(b.AddressesToEnrich());
            var s = b.Sources(null).Single();
            Assert.Equal(40, s.Messages);
            Assert.Equal(30, s.DispositionQuarantine);
            Assert.Equal(10, s.DkimAligned);
            Assert.Equal("dsl-15.cust.example.org", s.ReverseDns);
            Assert.Equal(64497, s.Asn);
            Assert.Equal(new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc), s.FirstSeen);
        }
    }
}
