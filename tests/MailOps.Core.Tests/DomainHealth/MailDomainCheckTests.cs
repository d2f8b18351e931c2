using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.DomainHealth;
using MailOps.Dnsbl;
using MailOps.Testing;

namespace MailOps.Tests.DomainHealth
{
    /// <summary>Test-MailDomain's engine: the fix-first tiers, the score rubric, and the composition through -ZoneFile.</summary>
    public sealed class MailDomainCheckTests
    {
        private static readonly string[] Zones = { "domain/domain.example.zone", "domain/example.zone", "domain/reverse.zone" };

        private static IDnsResolver Dns() => new CachingDnsResolver(new ZoneFileResolver(Zones.Select(z => MasterFileParser.ParseFile(Paths.DnsFixture(z))),
            new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        [Theory]
        [InlineData("Spf", "TooManyLookups", "Fail", "Blocking")]
        [InlineData("Spf", "NoSpfRecord", "Fail", "Blocking")]
        [InlineData("Dmarc", "NoRecord", "Fail", "Blocking")]
        [InlineData("Mx", "NoMx", "Fail", "Blocking")]
        [InlineData("Dane", "TlsaNoMatch", "Fail", "Blocking")]
        [InlineData("MtaSts", "MxNotInPolicy", "Fail", "Blocking")]
        [InlineData("MtaSts", "MxNotInPolicy", "Warning", "Hardening")]   // testing mode: reports only
        [InlineData("Dkim", "DkimKeyRevoked", "Fail", "Broken")]
        [InlineData("Blocklist", "Blocklisted", "Fail", "Blocking")]
        [InlineData("Blocklist", "DomainBlocklisted", "Fail", "Blocking")]
        [InlineData("Dmarc", "MonitoringOnly", "Warning", "Deliverability")]
        [InlineData("MtaSts", "NoMtaStsRecord", "Warning", "Hardening")]
        [InlineData("MtaSts", "PolicyModeTesting", "Info", "Info")]
        public void Tiers_follow_the_documented_fix_first_order(string area, string code, string severity, string tier) =>
            Assert.Equal(tier, FindingPriority.TierOf(area, code, severity));

        [Fact]
        public async Task Rubric_scores_and_grades_as_documented()
        {
            var broken = (await MailDomainCheck.RunAsync(Dns(), "broken.domain.example", new MailDomainOptions(), CancellationToken.None)).Result;
            // 2 Blocking (-60), 2 Deliverability (-10), 2 Hardening (-4): 26, and F because something blocks.
            Assert.Equal(new[] { "Blocking", "Blocking", "Deliverability", "Deliverability", "Hardening", "Hardening" }, broken.Findings.Select(f => f.Priority));
            Assert.Equal(26, broken.Score);
            Assert.Equal("F", broken.Grade);
            Assert.Equal(Enumerable.Range(1, 6), broken.Findings.Select(f => f.Rank));
            Assert.Equal("2 Blocking; 2 Deliverability; 2 Hardening", broken.Summary);
        }

        [Fact]
        public async Task Nothing_unanswered_through_the_zone_files_and_each_sub_result_is_the_single_checks_object()
        {
            var outcome = await MailDomainCheck.RunAsync(Dns(), "good.domain.example", new MailDomainOptions { DkimSelectors = new[] { "s2026" } }, CancellationToken.None);
            Assert.Empty(outcome.Failures);
            Assert.Empty(outcome.Partial);
            var r = outcome.Result;
            Assert.NotNull(r.Spf);
            Assert.NotNull(r.Dmarc);
            Assert.Equal("v=spf1 mx -all", r.Spf.Record);
            Assert.Equal("reject", r.Dmarc.Policy);
            Assert.True(r.Dkim.Single().Found);
            Assert.Equal(new[] { "mx1.good.domain.example", "mx2.good.domain.example" }, r.Dane.Select(d => d.HostName));
            Assert.All(r.Dane, d => Assert.Equal("NoTlsa", d.DaneStatus));
            Assert.Equal(98, r.Score);
        }

        [Fact]
        public async Task A_dead_resolver_makes_every_check_a_failure_and_the_result_Incomplete()
        {
            var outcome = await MailDomainCheck.RunAsync(Dns(), "elsewhere.test", new MailDomainOptions { DkimSelectors = new[] { "s1" } }, CancellationToken.None);
            Assert.Equal(new[] { "Dkim", "Dmarc", "MtaSts", "Mx", "Spf", "TlsRpt" }, outcome.Failures.Select(f => f.Area).OrderBy(a => a, StringComparer.Ordinal));
            Assert.All(outcome.Failures, f => Assert.IsType<DnsQueryFailedException>(f.Exception));
            Assert.Equal("Incomplete", outcome.Result.Status);
            Assert.Null(outcome.Result.Score);
            Assert.Equal("?", outcome.Result.Grade);
            Assert.Equal(6, outcome.Result.CouldNotCheck.Count);
        }
    
        private static IDnsResolver DnsWithBlocklists() => new CachingDnsResolver(new ZoneFileResolver(
            System.IO.Directory.GetFiles(Paths.DnsFixture("domain"), "*.zone").Select(f => MasterFileParser.ParseFile(f)),
            new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        [Fact]
        public async Task Blocklists_are_asked_about_each_public_MX_address_and_the_domain_only_when_the_MX_answer_gives_them()
        {
            var dns = DnsWithBlocklists();
            var options = new MailDomainOptions { DkimSelectors = new[] { "s2026" }, Blocklists = new DnsblCheck(dns, new DnsblOptions()) };
            var listed = (await MailDomainCheck.RunAsync(dns, "listed.domain.example", options, CancellationToken.None)).Result;
            Assert.Equal(new[] { "Blocklist/DomainBlocklisted", "Blocklist/Blocklisted" },
                listed.Findings.Where(f => f.Area == "Blocklist").Select(f => f.Area + "/" + f.Code).OrderByDescending(x => x.Length));
            Assert.All(listed.Findings.Where(f => f.Area == "Blocklist"), f => Assert.Equal("Blocking", f.Priority));
            // 3 domain lists about the domain (ZRD is asked only with a DQS key), 10 IP lists about 192.0.2.66; the domain first.
            Assert.Equal(13, listed.Blocklists.Count);
            Assert.Equal("listed.domain.example", listed.Blocklists[0].Target);

            // Without MX addresses (a domain that does not exist) only the domain lists are asked.
            var missing = (await MailDomainCheck.RunAsync(dns, "nosuch.domain.example", options, CancellationToken.None)).Result;
            Assert.All(missing.Blocklists, b => Assert.Equal("Domain", b.TargetType));
            Assert.Equal(3, missing.Blocklists.Count);
        }
}
}
