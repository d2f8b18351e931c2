using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dmarc
{
    /// <summary>Test-MailDmarc's engine through the fixture DNS server and through -ZoneFile, on the same fixture.</summary>
    public sealed class DmarcCheckTests : IDisposable
    {
        private const string Zone = "dmarc.example.zone";
        private readonly FixtureDnsServer _server;

        public DmarcCheckTests()
        {
            _server = FixtureDnsServer.Start();
            _server.LoadMasterFileFromPath(Paths.DnsFixture(Zone));
        }

        public void Dispose() => _server.Dispose();

        internal static PublicSuffixList Psl => LazyPsl.Value;
        private static readonly Lazy<PublicSuffixList> LazyPsl = new(() =>
            PublicSuffixList.Load(Path.Combine(Paths.RepoRoot, "src", "MailOps.Core", "Data", "public_suffix_list.dat")));

        public static IEnumerable<object[]> Paths2 => new[] { new object[] { "wire" }, new object[] { "zonefile" } };

        private IDnsResolver Dns(string path) => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0)) // generous: the build machine is shared
            : new CachingDnsResolver(new ZoneFileResolver(new[] { MasterFileParser.ParseFile(Paths.DnsFixture(Zone)) },
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        private async Task<MailDmarcResult> Check(string path, string domain, DmarcDiscoveryMethod method = DmarcDiscoveryMethod.TreeWalk)
        {
            var r = await DmarcCheck.RunAsync(Dns(path), domain, method, Psl, CancellationToken.None);
            Assert.Empty(r.Unanswered);
            return r.Result;
        }

        private static string[] Codes(MailDmarcResult r) => r.Findings.Select(f => f.Code).ToArray();

        private static Finding One(MailDmarcResult r, string code) => Assert.Single(r.Findings, f => f.Code == code);

        [Theory, MemberData(nameof(Paths2))]
        public async Task Own_record_is_parsed_into_every_field(string path)
        {
            var r = await Check(path, "good.example");
            Assert.Equal("good.example", r.PolicyDomain);
            Assert.Equal("good.example", r.OrganizationalDomain);
            Assert.Equal("TreeWalk", r.DiscoveryMethod);
            Assert.Equal("reject", r.Policy);
            Assert.Equal("reject", r.SubdomainPolicy);
            Assert.Equal("reject", r.NonExistentPolicy);
            Assert.Equal("adkim=s; aspf=r", r.Alignment);
            Assert.Equal(new[] { "mailto:dmarc@good.example" }, r.ReportUris);
            Assert.Equal(new[] { "mailto:dmarc-ruf@good.example" }, r.FailureReportUris);
            Assert.StartsWith("v=DMARC1; p=reject;", r.Record);
            Assert.False(r.Testing);
            Assert.Equal("Pass", r.Status);
            Assert.Empty(r.Findings);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Tree_walk_climbs_to_the_organizational_domain(string path)
        {
            var r = await Check(path, "a.b.sub.good.example");
            Assert.Equal("good.example", r.PolicyDomain);
            Assert.Equal("good.example", r.OrganizationalDomain);
            Assert.Equal("reject", r.SubdomainPolicy);
            Assert.Equal(new[] { "_dmarc.a.b.sub.good.example", "_dmarc.b.sub.good.example", "_dmarc.sub.good.example", "_dmarc.good.example", "_dmarc.example" }, r.QueriedNames);
            Assert.Equal("Info", One(r, "InheritedPolicy").Severity);
            Assert.Equal("Pass", r.Status);
        }

        [Fact]
        public async Task Deep_names_cost_at_most_eight_queries()
        {
            var r = await Check("wire", "a.b.c.d.e.f.g.h.i.j.deep.example");
            Assert.Equal(8, r.QueriedNames.Count);
            Assert.Equal("_dmarc.a.b.c.d.e.f.g.h.i.j.deep.example", r.QueriedNames[0]);
            Assert.Equal("_dmarc.f.g.h.i.j.deep.example", r.QueriedNames[1]); // 12 labels: straight to the 7-label suffix
            Assert.Equal("deep.example", r.PolicyDomain);
            Assert.Equal(8, _server.TotalQueries);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Psd_y_at_a_public_suffix_gives_the_organizational_domain_below_it(string path)
        {
            var r = await Check(path, "shop.brand.psd.example");
            Assert.Equal("psd.example", r.PolicyDomain);
            Assert.Equal("psd.example", r.PublicSuffixDomain);
            Assert.Equal("brand.psd.example", r.OrganizationalDomain);
            Assert.Equal("reject", r.Policy);
            // The walk stops at the psd=y record: _dmarc.example is never asked.
            Assert.Equal(new[] { "_dmarc.shop.brand.psd.example", "_dmarc.brand.psd.example", "_dmarc.psd.example" }, r.QueriedNames);
            var f = One(r, "PublicSuffixPolicy");
            Assert.Equal("Warning", f.Severity);
            Assert.Contains("_dmarc.brand.psd.example", f.Remedy);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Psd_n_stops_the_walk_and_is_the_organizational_domain(string path)
        {
            var r = await Check(path, "x.team.org.example");
            Assert.Equal("team.org.example", r.OrganizationalDomain);
            Assert.Equal("team.org.example", r.PolicyDomain);
            Assert.Equal("reject", r.Policy);
            Assert.Equal(2, r.QueriedNames.Count);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Psl_mode_uses_the_list_not_the_walk(string path)
        {
            // "example" is not in the Public Suffix List, so its implicit rule makes psd.example the organizational
            // domain; the tree walk (above) finds brand.psd.example because of psd=y.
            var r = await Check(path, "shop.brand.psd.example", DmarcDiscoveryMethod.PublicSuffixList);
            Assert.Equal("PublicSuffixList", r.DiscoveryMethod);
            Assert.Equal("psd.example", r.OrganizationalDomain);
            Assert.Equal("psd.example", r.PolicyDomain);
            Assert.Equal(new[] { "_dmarc.shop.brand.psd.example", "_dmarc.psd.example" }, r.QueriedNames);
            Assert.DoesNotContain("PublicSuffixPolicy", Codes(r));
            var sub = await Check(path, "a.b.sub.good.example", DmarcDiscoveryMethod.PublicSuffixList);
            Assert.Equal(new[] { "_dmarc.a.b.sub.good.example", "_dmarc.good.example" }, sub.QueriedNames);
            Assert.Equal("good.example", sub.PolicyDomain);
        }

        [Fact]
        public void Public_suffix_list_applies_normal_wildcard_and_exception_rules()
        {
            Assert.Equal("example.co.uk", Psl.GetRegistrableDomain("mail.example.co.uk"));
            Assert.Equal("co.uk", Psl.GetPublicSuffix("mail.example.co.uk"));
            Assert.Null(Psl.GetRegistrableDomain("co.uk"));
            Assert.Equal("example.com", Psl.GetRegistrableDomain("a.b.example.com"));
            // *.ck and !www.ck
            Assert.Equal("foo.bar.ck", Psl.GetRegistrableDomain("a.foo.bar.ck"));
            Assert.Equal("www.ck", Psl.GetRegistrableDomain("www.ck"));
            // Unknown TLD: the implicit "*" rule.
            Assert.Equal("psd.example", Psl.GetRegistrableDomain("shop.brand.psd.example"));
            Assert.True(Psl.RuleCount > 5000);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task No_record_is_a_failing_finding_with_a_record_to_publish(string path)
        {
            var r = await Check(path, "nodmarc.example");
            Assert.Null(r.Record);
            Assert.Null(r.Policy);
            Assert.Equal("Fail", r.Status);
            var f = One(r, "NoRecord");
            Assert.Contains("_dmarc.nodmarc.example", f.Remedy);
            Assert.Contains("v=DMARC1; p=none; rua=mailto:", f.Remedy);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Two_records_are_both_discarded(string path)
        {
            var r = await Check(path, "multi.example");
            Assert.Null(r.Record);
            Assert.Equal("Fail", One(r, "MultipleRecords").Severity);
            Assert.Contains("NoRecord", Codes(r));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Wrong_case_version_is_ignored_and_said_so(string path)
        {
            var r = await Check(path, "badversion.example");
            Assert.Null(r.Record);
            Assert.Equal("Fail", One(r, "InvalidVersion").Severity);
            Assert.Contains("NoRecord", Codes(r));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Monitoring_only_without_reports(string path)
        {
            var r = await Check(path, "monitor.example");
            Assert.Equal("none", r.Policy);
            Assert.Equal(new[] { "MonitoringOnly", "NoAggregateReports" }, Codes(r));
            Assert.All(r.Findings, f => Assert.Equal("Warning", f.Severity));
            Assert.All(r.Findings, f => Assert.False(string.IsNullOrEmpty(f.Remedy)));
            Assert.Equal("Warning", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Legacy_tags_are_obsolete(string path)
        {
            var r = await Check(path, "legacy.example");
            var obsolete = r.Findings.Where(f => f.Code == "ObsoleteTag").ToList();
            Assert.Equal(new[] { "pct", "rf", "ri", "mailto:d@legacy.example!10m" }, obsolete.Select(f => f.Subject));
            Assert.Equal("Warning", obsolete[0].Severity); // pct below 100
            Assert.Contains("t=y", obsolete[0].Remedy);
            Assert.Equal("Info", obsolete[1].Severity);
            // The size suffix does not make the address invalid.
            Assert.DoesNotContain("InvalidReportUri", Codes(r));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Subdomain_and_nonexistent_policies_weaker_than_p(string path)
        {
            var r = await Check(path, "weak.example");
            Assert.Equal("none", r.SubdomainPolicy);
            Assert.Equal("quarantine", r.NonExistentPolicy);
            Assert.Equal("Warning", One(r, "WeakSubdomainPolicy").Severity);
            Assert.Equal("Warning", One(r, "WeakNonExistentPolicy").Severity);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Syntax_errors_are_named(string path)
        {
            var r = await Check(path, "badsyntax.example");
            var syntax = r.Findings.Where(f => f.Code == "SyntaxError").ToList();
            Assert.Equal(new[] { "oops", "p", "adkim" }.OrderBy(x => x), syntax.Select(f => f.Subject).OrderBy(x => x));
            Assert.Equal("Fail", syntax.Single(f => f.Subject == "p").Severity);
            Assert.Equal("none", r.Policy); // an invalid p with a valid rua is treated as p=none
            Assert.Equal("adkim=r; aspf=r", r.Alignment);
            Assert.Equal("Fail", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Invalid_report_uris_are_named(string path)
        {
            var r = await Check(path, "baduri.example");
            var bad = r.Findings.Where(f => f.Code == "InvalidReportUri").Select(f => f.Subject).ToList();
            Assert.Equal(new[] { "dmarc@baduri.example", "mailto:nobody" }, bad);
            Assert.Contains("mailto:dmarc@baduri.example", r.Findings.First(f => f.Subject == "dmarc@baduri.example").Message);
            Assert.Equal("Info", One(r, "NonMailtoReportUri").Severity);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Testing_mode_is_a_warning(string path)
        {
            var r = await Check(path, "testing.example");
            Assert.True(r.Testing);
            Assert.Equal("Warning", One(r, "TestingMode").Severity);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task External_destinations_are_checked_for_authorization(string path)
        {
            var r = await Check(path, "external.example");
            var ok = One(r, "ExternalDestinationAuthorized");
            Assert.Equal("reports.example", ok.Subject);
            Assert.Equal("Info", ok.Severity);
            var no = One(r, "ExternalDestinationNotAuthorized");
            Assert.Equal("unauth.example", no.Subject);
            Assert.Equal("Warning", no.Severity);
            Assert.Contains("external.example._report._dmarc.unauth.example", no.Remedy);
            if (path == "wire")
            {
                Assert.Equal(1, _server.QueryCount("external.example._report._dmarc.reports.example"));
                Assert.Equal(1, _server.QueryCount("external.example._report._dmarc.unauth.example"));
            }
        }

        [Fact]
        public async Task Internal_destinations_are_not_queried()
        {
            await Check("wire", "good.example");
            Assert.Equal(0, _server.QueryCount("good.example._report._dmarc.good.example"));
        }

        [Fact]
        public async Task Authorization_lookup_timeout_degrades_but_does_not_fail()
        {
            _server.SetFault("external.example._report._dmarc.unauth.example", FixtureDnsServer.Fault.Timeout);
            var r = await DmarcCheck.RunAsync(Dns("wire"), "external.example", DmarcDiscoveryMethod.TreeWalk, Psl, CancellationToken.None);
            Assert.Single(r.Unanswered);
            Assert.Equal("Warning", Assert.Single(r.Result.Findings, f => f.Code == "ExternalDestinationUnverified").Severity);
        }

        [Theory]
        [InlineData("_dmarc.slow.example", FixtureDnsServer.Fault.Timeout, DnsOutcome.Timeout)]
        [InlineData("_dmarc.example", FixtureDnsServer.Fault.ServFail, DnsOutcome.ServerFailure)]
        public async Task An_unanswered_dmarc_query_is_an_error_not_no_record(string name, FixtureDnsServer.Fault fault, DnsOutcome outcome)
        {
            _server.SetFault(name, fault);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() =>
                DmarcCheck.RunAsync(Dns("wire"), "slow.example", DmarcDiscoveryMethod.TreeWalk, Psl, CancellationToken.None));
            Assert.Equal(outcome, ex.Result.Outcome);
        }
    }
}

namespace MailOps.Tests.Dmarc
{
    /// <summary>The record parser on its own: RFC 9989's grammar, tag by tag.</summary>
    public sealed class DmarcRecordTests
    {
        [Fact]
        public void Values_are_case_insensitive_as_the_abnf_says()
        {
            var r = DmarcRecord.Parse("example.com", "v=DMARC1; P=Reject; sp=Quarantine; adkim=S; rua=mailto:DMARC@Example.com");
            Assert.Equal("reject", r.P);
            Assert.True(r.PValid);
            Assert.Equal("quarantine", r.Sp);
            Assert.Equal("s", r.Adkim);
            Assert.Equal("DMARC@Example.com", r.Rua[0].Address);
            Assert.Equal("example.com", r.Rua[0].Host);
            Assert.Equal("Info", Assert.Single(r.Findings).Severity); // the upper-case tag name
        }

        [Theory]
        [InlineData("v=DMARC1; p=reject", true)]
        [InlineData("v = DMARC1 ;p=reject", true)]
        [InlineData("v=DMARC1", true)]
        [InlineData("v=dmarc1; p=reject", false)]
        [InlineData("p=reject; v=DMARC1", false)]
        [InlineData("v=DMARC10; p=reject", false)]
        public void Only_an_exact_leading_version_makes_a_dmarc_record(string text, bool dmarc) =>
            Assert.Equal(dmarc, DmarcRecord.IsDmarc1(text));

        [Fact]
        public void Repeated_and_bare_tags_and_missing_p_are_findings()
        {
            var r = DmarcRecord.Parse("example.com", "v=DMARC1; rua=mailto:a@example.com; rua=mailto:b@example.com; junk; np=none");
            Assert.Equal("none", r.P);
            Assert.False(r.PValid);
            Assert.Contains(r.Findings, f => f.Code == "PolicyMissing");
            Assert.Equal(2, r.Findings.Count(f => f.Code == "SyntaxError"));
            Assert.Single(r.Rua);
            Assert.Equal("none", r.Np);
        }
    }
}
