using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Smtp
{
    /// <summary>Test-MailDane's engine: TLSA records from the fixture DNS server (made from the test's certificates), a scripted
    /// STARTTLS server on loopback, RFC 7672 matching rules, the AD bit and rollover readiness.</summary>
    public sealed class DaneCheckTests : IDisposable
    {
        private const string Host = "mx.dane.smtp.test";
        private const string Owner = "_25._tcp.mx.dane.smtp.test";
        private static readonly X509Certificate2 Root = TestCertificates.CreateCa("DANE Test Root");
        private static readonly X509Certificate2 Intermediate = TestCertificates.CreateCa("DANE Test Issuing CA", issuer: Root);
        private static readonly X509Certificate2 Leaf = TestCertificates.CreateLeaf(Intermediate, new[] { Host });
        private static readonly X509Certificate2 NextKey = TestCertificates.CreateLeaf(Intermediate, new[] { Host });
        private readonly FixtureDnsServer _dns;
        private readonly List<ScriptedMailServer> _servers = new();

        public DaneCheckTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
            _dns.AuthenticData = true;
        }

        public void Dispose()
        {
            _dns.Dispose();
            foreach (var s in _servers) s.Dispose();
        }

        private ScriptedMailServer Serve(X509Certificate2? cert, params X509Certificate2[] chain)
        {
            var s = new ScriptedMailServer { Banner = $"220 {Host} ESMTP", Certificate = cert, Chain = chain };
            _servers.Add(s);
            return s.Start();
        }

        private IDnsResolver Resolver(bool dnssec = true) =>
            new CachingDnsResolver(new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromMilliseconds(800), 0, requestDnssec: dnssec));

        private void Tlsa(X509Certificate2 cert, int usage, int selector, int matching) =>
            _dns.LoadMasterFile(TestCertificates.TlsaLine(Owner, cert, usage, selector, matching));

        private async Task<MailDaneResult> Check(ScriptedMailServer s, IDnsResolver? dns = null, string domain = "dane.smtp.test")
        {
            dns ??= Resolver();
            var target = Assert.Single(await DaneCheck.GetTargetsAsync(dns, domain, CancellationToken.None));
            return await DaneCheck.CheckHostAsync(dns, target, new DaneOptions { Port = s.Port, Timeout = TimeSpan.FromSeconds(5) }, CancellationToken.None);
        }

        private static string[] Codes(MailDaneResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Fact]
        public async Task Dane_ee_spki_sha256_matches_and_single_key_is_not_rollover_ready()
        {
            Tlsa(Leaf, 3, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("Valid", r.DaneStatus);
            Assert.True(r.DnssecValidated);
            Assert.Equal(true, r.MxDnssecValidated);
            Assert.Equal(Owner, r.TlsaName);
            Assert.Equal($"3 1 1 {TestCertificates.TlsaData(Leaf, 1, 1)}", r.MatchedRecord);
            var m = Assert.Single(r.TlsaRecords);
            Assert.Equal("Match", m.Result);
            Assert.Equal("DANE-EE", m.UsageName);
            Assert.Equal($"CN={Host}", m.MatchedCertificate);
            Assert.Equal("SingleKey", r.Rollover);
            Assert.False(r.RolloverReady);
            Assert.Equal(new[] { "RolloverNotReady" }, Codes(r));
            Assert.Equal($"_25._tcp.{Host}. IN TLSA 3 1 1 {TestCertificates.TlsaData(Leaf, 1, 1)}", r.SuggestedRecord);
            Assert.Equal(new[] { $"CN={Host}", "CN=DANE Test Issuing CA, O=MailOps Test" }, r.Chain);
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(0, 1)]
        [InlineData(0, 2)]
        [InlineData(1, 0)]
        [InlineData(1, 2)]
        public async Task Every_selector_and_matching_type_matches(int selector, int matching)
        {
            Tlsa(Leaf, 3, selector, matching);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("Valid", r.DaneStatus);
            Assert.Equal("Match", r.TlsaRecords[0].Result);
        }

        [Fact]
        public async Task Next_key_published_beside_the_current_one_is_rollover_ready()
        {
            Tlsa(Leaf, 3, 1, 1);
            Tlsa(NextKey, 3, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("Valid", r.DaneStatus);
            Assert.Equal("StandbyRecord", r.Rollover);
            Assert.True(r.RolloverReady);
            Assert.Equal(new[] { "Match", "NoMatch" }, r.TlsaRecords.Select(t => t.Result).OrderBy(x => x));
            Assert.Equal(new[] { "TlsaRecordNotMatching" }, Codes(r));
        }

        [Fact]
        public async Task Dane_ta_plus_dane_ee_is_rollover_ready_and_the_ta_must_be_in_the_chain()
        {
            Tlsa(Leaf, 3, 1, 1);
            Tlsa(Intermediate, 2, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("TaAndEe", r.Rollover);
            Assert.True(r.RolloverReady);
            var ta = r.TlsaRecords.Single(t => t.Usage == 2);
            Assert.Equal("Match", ta.Result);
            Assert.Equal("CN=DANE Test Issuing CA, O=MailOps Test", ta.MatchedCertificate);
            Assert.Empty(r.Findings);
            Assert.Equal("Pass", r.Status);
        }

        [Fact]
        public async Task Dane_ta_without_the_ta_in_the_servers_chain_does_not_match()
        {
            Tlsa(Intermediate, 2, 1, 1);
            var r = await Check(Serve(Leaf)); // the server sends only its leaf
            Assert.Equal("NoMatch", r.DaneStatus);
            Assert.Contains("TlsaNoMatch", Codes(r));
            Assert.Contains("RFC 7671", r.TlsaRecords[0].Detail);
        }

        [Fact]
        public async Task Dane_ta_checks_the_name_dane_ee_does_not()
        {
            var wrongName = TestCertificates.CreateLeaf(Intermediate, new[] { "other.smtp.test" });
            Tlsa(Intermediate, 2, 1, 1);
            var r = await Check(Serve(wrongName, Intermediate));
            Assert.Equal("NoMatch", r.DaneStatus);
            Assert.Equal("NameMismatch", r.TlsaRecords[0].Result);
            Assert.Contains("other.smtp.test", r.Findings.Single(f => f.Code == "TlsaNoMatch").Message);

            _dns.Dispose();
            using var dns2 = FixtureDnsServer.Start();
            dns2.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
            dns2.LoadMasterFile(TestCertificates.TlsaLine(Owner, wrongName, 3, 1, 1));
            dns2.AuthenticData = true;
            var ee = await Check(Serve(wrongName, Intermediate), new WireDnsResolver(new[] { dns2.EndPoint }, TimeSpan.FromMilliseconds(800), 0, true));
            Assert.Equal("Valid", ee.DaneStatus);
        }

        [Fact]
        public async Task Dane_ee_ignores_expiry_and_self_signing()
        {
            var expired = TestCertificates.CreateLeaf(null, new[] { "whatever.example" }, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
            Tlsa(expired, 3, 1, 1);
            var r = await Check(Serve(expired));
            Assert.Equal("Valid", r.DaneStatus);
        }

        [Fact]
        public async Task Record_for_another_key_is_no_match_and_says_what_to_publish()
        {
            Tlsa(NextKey, 3, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("NoMatch", r.DaneStatus);
            Assert.Null(r.MatchedRecord);
            var f = r.Findings.Single(x => x.Code == "TlsaNoMatch");
            Assert.Equal("Fail", f.Severity);
            Assert.Contains(TestCertificates.TlsaData(Leaf, 1, 1), f.Remedy);
            Assert.Equal("None", r.Rollover);
        }

        [Fact]
        public async Task Pkix_usages_are_unusable_for_smtp()
        {
            Tlsa(Leaf, 1, 1, 1);
            Tlsa(Intermediate, 0, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("NoUsableRecords", r.DaneStatus);
            Assert.All(r.TlsaRecords, t => Assert.Equal("Unusable", t.Result));
            Assert.Contains("RFC 7672", r.TlsaRecords[0].Detail);
            Assert.Contains("NoUsableTlsa", Codes(r));
        }

        [Fact]
        public async Task Wrong_digest_length_is_unusable()
        {
            _dns.LoadMasterFile($"{Owner}. 300 IN TLSA 3 1 1 {TestCertificates.TlsaData(Leaf, 1, 2)}"); // a SHA-512 digest labelled SHA-256
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.Equal("Unusable", r.TlsaRecords[0].Result);
            Assert.Contains("32 bytes", r.TlsaRecords[0].Detail);
        }

        [Fact]
        public async Task Answer_without_the_ad_bit_is_not_secure()
        {
            _dns.AuthenticData = false;
            Tlsa(Leaf, 3, 1, 1);
            var r = await Check(Serve(Leaf, Intermediate));
            Assert.False(r.DnssecValidated);
            Assert.Equal("Valid", r.DaneStatus);
            Assert.Contains("TlsaNotDnssecValidated", Codes(r));
            Assert.Contains("MxNotDnssecValidated", Codes(r));
            Assert.Equal("Fail", r.Status);
        }

        [Fact]
        public async Task The_do_bit_is_what_makes_a_validating_resolver_set_ad()
        {
            _dns.AuthenticDataOnlyWhenAsked = true;
            Tlsa(Leaf, 3, 1, 1);
            var s = Serve(Leaf, Intermediate);
            var with = await Check(s, Resolver(dnssec: true));
            var without = await Check(s, Resolver(dnssec: false));
            Assert.True(with.DnssecValidated);
            Assert.False(without.DnssecValidated);
        }

        [Fact]
        public async Task No_tlsa_is_reported_without_connecting()
        {
            var s = Serve(Leaf, Intermediate);
            var r = await Check(s);
            Assert.Equal("NoTlsa", r.DaneStatus);
            Assert.Equal(new[] { "NoTlsa" }, Codes(r));
            Assert.Equal("Info", r.Findings[0].Severity);
            Assert.Equal(0, s.Connections);
        }

        [Fact]
        public async Task Tlsa_servfail_is_an_error_not_no_tlsa()
        {
            _dns.SetFault(Owner, FixtureDnsServer.Fault.ServFail);
            var s = Serve(Leaf, Intermediate);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => Check(s));
            Assert.Equal(DnsOutcome.ServerFailure, ex.Result.Outcome);
            Assert.Equal(DnsRecordType.TLSA, ex.Result.Type);
        }

        [Fact]
        public async Task Tlsa_without_starttls_means_senders_defer()
        {
            Tlsa(Leaf, 3, 1, 1);
            var r = await Check(Serve(null));
            Assert.Equal("NoTls", r.DaneStatus);
            Assert.Contains("DaneNoTls", Codes(r));
            Assert.Contains("STARTTLS", r.Findings.Single(f => f.Code == "DaneNoTls").Message);
        }

        [Fact]
        public async Task Domain_with_two_mx_hosts_gives_two_targets_and_null_mx_none()
        {
            var dns = Resolver();
            var two = await DaneCheck.GetTargetsAsync(dns, "two.smtp.test", CancellationToken.None);
            Assert.Equal(new[] { "mx1.two.smtp.test", "mx2.two.smtp.test" }, two.Select(t => t.HostName));
            var nullMx = Assert.Single(await DaneCheck.GetTargetsAsync(dns, "nullmx.smtp.test", CancellationToken.None));
            var r = await DaneCheck.CheckHostAsync(dns, nullMx, new DaneOptions(), CancellationToken.None);
            Assert.Equal("NullMx", Assert.Single(r.Findings).Code);
        }

        [Fact]
        public async Task Zone_file_answers_are_marked_as_not_checked_for_dnssec()
        {
            var zone = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dane-{Guid.NewGuid():N}.zone");
            System.IO.File.WriteAllText(zone, System.IO.File.ReadAllText(Paths.DnsFixture("smtp.test.zone")) + TestCertificates.TlsaLine(Owner, Leaf, 3, 1, 1) + "\n");
            try
            {
                var dns = new ZoneFileResolver(new[] { MasterFileParser.ParseFile(zone) },
                    new WireDnsResolver(new[] { System.Net.IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0));
                var r = await Check(Serve(Leaf, Intermediate), dns);
                Assert.Equal("Valid", r.DaneStatus);
                Assert.Null(r.MxDnssecValidated);
                Assert.Contains("DnssecNotChecked", Codes(r));
                Assert.DoesNotContain("TlsaNotDnssecValidated", Codes(r));
            }
            finally { System.IO.File.Delete(zone); }
        }
    }
}
