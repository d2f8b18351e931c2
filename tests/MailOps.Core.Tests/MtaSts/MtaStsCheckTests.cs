using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.MtaSts;
using MailOps.Testing;

namespace MailOps.Tests.MtaSts
{
    /// <summary>One Kestrel HTTPS site on loopback for the whole class (see MtaStsTestSite).</summary>
    public sealed class MtaStsSiteFixture : IDisposable
    {
        public MtaStsTestSite Site { get; } = new MtaStsTestSite();
        public void Dispose() => Site.Dispose();
    }

    /// <summary>Test-MtaSts's engine against a real HTTPS server on 127.0.0.1 and the fixture DNS server.</summary>
    public sealed class MtaStsCheckTests : IClassFixture<MtaStsSiteFixture>, IDisposable
    {
        private readonly MtaStsTestSite _site;
        private readonly FixtureDnsServer _dns;

        public MtaStsCheckTests(MtaStsSiteFixture fixture)
        {
            _site = fixture.Site;
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("mtasts.example.zone"));
        }

        public void Dispose() => _dns.Dispose();

        private IDnsResolver Resolver(string path = "wire") => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromSeconds(2), 0))
            : new CachingDnsResolver(new ZoneFileResolver(new[] { MasterFileParser.ParseFile(Paths.DnsFixture("mtasts.example.zone")) },
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        private MtaStsOptions Options(int? port = null, bool trustCa = true, double timeoutSec = 5) => new MtaStsOptions
        {
            Port = port ?? _site.Port,
            Timeout = TimeSpan.FromSeconds(timeoutSec),
            TrustedCertificates = trustCa ? new[] { _site.Pki.CaPublic } : Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>(),
        };

        private async Task<MtaStsResult> Check(string name, MtaStsOptions? options = null, string path = "wire")
        {
            var r = await MtaStsCheck.RunAsync(Resolver(path), MtaStsTestSite.Domain(name), options ?? Options(), CancellationToken.None);
            Assert.Empty(r.Unanswered);
            return r.Result;
        }

        private static string[] Codes(MtaStsResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Theory]
        [InlineData("wire")]
        [InlineData("zonefile")]
        public async Task Good_policy_is_fetched_parsed_and_covers_every_mx(string path)
        {
            var r = await Check("good", path: path);
            Assert.Equal("v=STSv1; id=20261123000000;", r.Record);
            Assert.Equal("20261123000000", r.Id);
            Assert.Equal("https://mta-sts.good.mtasts.example/.well-known/mta-sts.txt", r.PolicyUrl);
            Assert.Equal($"127.0.0.1:{_site.Port}", r.PolicyEndpoint);
            Assert.Equal(200, r.HttpStatus);
            Assert.Equal("text/plain; charset=utf-8", r.ContentType);
            Assert.Equal("enforce", r.Mode);
            Assert.Equal(604800, r.MaxAge);
            Assert.Equal(new[] { "mx1.good.mtasts.example", "*.backup.mtasts.example" }, r.MxPattern);
            Assert.Equal(new[] { "mx1.good.mtasts.example", "a.backup.mtasts.example" }, r.MxHost);
            Assert.Empty(r.UnmatchedMxHost);
            Assert.Equal(MtaStsTestSite.GoodPolicy, r.Policy);
            Assert.Equal("CN=mta-sts.good.mtasts.example", r.CertificateSubject);
            Assert.Equal("CN=MailOps Test Root CA", r.CertificateIssuer);
            Assert.True(r.CertificateNotAfter > DateTime.UtcNow.AddDays(80));
            Assert.Empty(r.Findings);
            Assert.Equal("Pass", r.Status);
            Assert.True(r.PolicyValid);
        }

        [Fact]
        public async Task Bare_lf_policy_is_accepted()
        {
            var r = await Check("lf");
            Assert.True(r.PolicyValid);
            Assert.Equal("Pass", r.Status);
        }

        [Fact]
        public async Task Wildcard_covers_exactly_one_leftmost_label()
        {
            var r = await Check("wildcard");
            Assert.Equal(new[] { "x.y.backup.mtasts.example", "backup.mtasts.example" }, r.UnmatchedMxHost);
            var f = r.Findings.Where(x => x.Code == "MxNotInPolicy").ToList();
            Assert.Equal(2, f.Count);
            Assert.All(f, x => Assert.Equal("Fail", x.Severity)); // enforce mode: mail to them would not be delivered
            Assert.Contains("covers exactly one label", f[0].Message);
            Assert.Equal("x.y.backup.mtasts.example", f[0].Subject);
            Assert.Equal("Fail", r.Status);
            Assert.True(r.PolicyValid); // the policy itself is fine; the MX set is not
        }

        [Fact]
        public async Task Testing_mode_unmatched_mx_warns_and_stale_pattern_is_info()
        {
            var r = await Check("testing");
            Assert.Equal("testing", r.Mode);
            Assert.Equal(new[] { "other.mtasts.example" }, r.UnmatchedMxHost);
            Assert.Equal("Warning", r.Findings.Single(f => f.Code == "MxNotInPolicy").Severity);
            Assert.Equal("Info", r.Findings.Single(f => f.Code == "PolicyModeTesting").Severity);
            Assert.Equal("retired.mtasts.example", r.Findings.Single(f => f.Code == "PolicyMxUnused").Subject);
            Assert.Equal("Warning", r.Status);
        }

        [Fact]
        public async Task Redirect_is_a_finding_and_is_not_followed()
        {
            var before = _site.Requests;
            var r = await Check("redirect");
            Assert.Equal(301, r.HttpStatus);
            var f = Assert.Single(r.Findings);
            Assert.Equal("PolicyRedirect", f.Code);
            Assert.Equal("Fail", f.Severity);
            Assert.Contains("RFC 8461 §3.3", f.Message);
            Assert.Contains("https://www.redirect.mtasts.example/mta-sts.txt", f.Message);
            Assert.Null(r.Mode);
            Assert.False(r.PolicyValid);
            Assert.Equal(before + 1, _site.Requests); // one request: the redirect target was never asked
        }

        [Fact]
        public async Task Wrong_content_type_fails_but_the_policy_is_still_shown()
        {
            var r = await Check("ctype");
            Assert.Equal("text/html", r.ContentType);
            var f = Assert.Single(r.Findings);
            Assert.Equal("PolicyContentType", f.Code);
            Assert.Contains("text/plain", f.Message);
            Assert.Equal("enforce", r.Mode);
            Assert.False(r.PolicyValid);
        }

        [Theory]
        [InlineData("big")]    // chunked, no length: reading stops at the bound
        [InlineData("biglen")] // Content-Length says 200000: not read at all
        public async Task Oversized_policy_is_a_finding_and_reading_stops_at_the_bound(string name)
        {
            var options = Options();
            var r = await Check(name, options);
            var f = Assert.Single(r.Findings);
            Assert.Equal("PolicyTooLarge", f.Code);
            Assert.Contains("64 KiB", f.Message);
            Assert.Null(r.Policy);
            Assert.False(r.PolicyValid);
        }

        [Fact]
        public async Task Smaller_bound_applies()
        {
            var options = Options();
            options.MaxPolicyBytes = 50;
            var r = await Check("good", options);
            Assert.Equal(new[] { "PolicyTooLarge" }, Codes(r));
        }

        [Fact]
        public async Task Missing_policy_file_is_a_finding()
        {
            var r = await Check("notfound");
            Assert.Equal(404, r.HttpStatus);
            Assert.Equal(new[] { "PolicyNotFound" }, Codes(r));
        }

        [Fact]
        public async Task Broken_policy_lists_every_problem()
        {
            var r = await Check("badpolicy");
            var codes = Codes(r);
            foreach (var c in new[] { "PolicyVersionInvalid", "PolicyModeInvalid", "PolicyMxInvalid", "PolicyMaxAgeTooLong", "PolicySyntax" })
                Assert.Contains(c, codes);
            Assert.False(r.PolicyValid);
        }

        [Theory]
        [InlineData("expired", "PolicyCertificateExpired")]
        [InlineData("untrusted", "PolicyCertificateUntrusted")]
        [InlineData("wrongname", "PolicyCertificateNameMismatch")]
        public async Task Certificate_failures_are_reported_as_certificate_failures(string name, string code)
        {
            var before = _site.Requests;
            var r = await Check(name);
            var f = Assert.Single(r.Findings);
            Assert.Equal(code, f.Code);
            Assert.Equal("Fail", f.Severity);
            Assert.Equal(MtaStsTestSite.Host(name), f.Subject);
            Assert.False(string.IsNullOrEmpty(f.Remedy));
            Assert.NotNull(r.CertificateSubject);
            Assert.Null(r.HttpStatus);         // the request was never sent over a connection senders reject
            Assert.Equal(before, _site.Requests);
            Assert.False(r.PolicyValid);
        }

        [Fact]
        public async Task Intermediates_the_server_sends_complete_the_chain()
        {
            var r = await Check("chain");
            Assert.Empty(r.Findings);
            Assert.Equal("CN=MailOps Test Intermediate CA", r.CertificateIssuer);
        }

        [Fact]
        public async Task A_missing_intermediate_is_untrusted_even_with_the_root_trusted()
        {
            var r = await Check("nochain");
            var f = Assert.Single(r.Findings);
            Assert.Equal("PolicyCertificateUntrusted", f.Code);
            Assert.Contains("chain incomplete", f.Message);
            Assert.Contains("full chain", f.Remedy);
        }

        [Fact]
        public async Task Cname_policy_host_is_fetched_and_checked_under_its_own_name()
        {
            var r = await Check("cname");
            Assert.Empty(r.Findings);
            Assert.Equal("20261123000000", r.Id);                       // the record, through its CNAME
            Assert.Equal("CN=mta-sts.cname.mtasts.example", r.CertificateSubject);
        }

        [Fact]
        public async Task Cname_to_a_provider_needs_a_certificate_for_the_mta_sts_name()
        {
            var r = await Check("cnamebad");
            var f = Assert.Single(r.Findings);
            Assert.Equal("PolicyCertificateNameMismatch", f.Code);
            Assert.Contains("not valid for mta-sts.cnamebad.mtasts.example", f.Message);
        }

        [Fact]
        public async Task Wrong_name_message_says_which_name_the_certificate_has()
        {
            var r = await Check("wrongname");
            Assert.Contains("mta-sts.other.mtasts.example", r.Findings[0].Message);
        }

        [Fact]
        public async Task Without_the_test_ca_the_good_site_is_untrusted()
        {
            var r = await Check("good", Options(trustCa: false));
            Assert.Equal(new[] { "PolicyCertificateUntrusted" }, Codes(r));
            Assert.Contains("MailOps Test Root CA", r.Findings[0].Message);
        }

        [Fact]
        public async Task Certificate_expiring_soon_warns()
        {
            var r = await Check("soon");
            Assert.Equal(new[] { "PolicyCertificateExpiresSoon" }, Codes(r));
            Assert.Equal("Warning", r.Status);
            Assert.True(r.PolicyValid);
        }

        [Fact]
        public async Task Two_records_mean_no_policy()
        {
            var r = await Check("twotxt");
            Assert.Contains("MultipleMtaStsRecords", Codes(r));
            Assert.False(r.PolicyValid);
            Assert.Equal("enforce", r.Mode); // still fetched, to show what the policy would say
        }

        [Fact]
        public async Task Invalid_id_and_missing_policy_host_are_findings()
        {
            var r = await Check("badtxt");
            Assert.Equal(new[] { "MtaStsRecordInvalidId", "PolicyHostNotFound" }, Codes(r));
            Assert.Contains("NXDOMAIN", r.Findings[1].Message);
        }

        [Fact]
        public async Task Near_miss_version_is_named()
        {
            var r = await Check("nearmiss");
            Assert.Equal(new[] { "MtaStsRecordSyntax" }, Codes(r));
            Assert.Null(r.Record);
        }

        [Fact]
        public async Task No_record_is_a_warning_and_nothing_is_fetched()
        {
            var before = _site.Requests;
            var r = await Check("none");
            Assert.Equal(new[] { "NoMtaStsRecord" }, Codes(r));
            Assert.Equal("Warning", r.Status);
            Assert.Null(r.Record);
            Assert.Equal(new[] { "mx1.good.mtasts.example" }, r.MxHost);
            Assert.Equal(0, _dns.QueryCount("mta-sts.none.mtasts.example"));
            Assert.Equal(before, _site.Requests);
        }

        [Fact]
        public async Task Refused_connection_is_an_error_not_a_finding()
        {
            var port = SilentListener.ClosedPort();
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Check("good", Options(port)));
            Assert.Equal(PolicyFetchFailure.ConnectionRefused, ex.Failure);
            Assert.Equal($"127.0.0.1:{port}", ex.Endpoint);
            Assert.Contains("refused", ex.Message);
            // What was found before the fetch failed, for the cmdlet's Unreachable row.
            Assert.NotNull(ex.Result);
            Assert.Equal("Unreachable", ex.Result.Status);
            Assert.StartsWith("v=STSv1", ex.Result.Record);
            Assert.False(ex.Result.PolicyValid);
            Assert.Contains("refused", ex.Result.CouldNotCheck);
        }

        [Fact]
        public async Task Plain_http_where_tls_is_expected_is_a_tls_failure_not_a_certificate_finding()
        {
            using var plain = new ScriptedListener("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Check("good", Options(plain.Port)));
            Assert.Equal(PolicyFetchFailure.TlsFailed, ex.Failure);
            Assert.Contains("TLS handshake", ex.Message);
            Assert.Equal("Error", ex.Result!.Status); // reached, but the fetch broke off
        }

        [Fact]
        public async Task Each_fetch_is_logged_with_endpoint_certificate_and_status()
        {
            var lines = new List<string>();
            var options = Options();
            options.Sink = CheckSink.From(verbose: lines.Add);
            await Check("redirect", options);
            await Check("expired", options);
            Assert.Contains($"via 127.0.0.1:{_site.Port}", lines[0]);
            Assert.Contains("301", lines[0]);
            Assert.Contains("Location: https://www.redirect.mtasts.example/mta-sts.txt", lines[0]);
            Assert.Contains("certificate rejected (PolicyCertificateExpired), request not sent", lines[1]);
        }

        [Fact]
        public async Task Silent_server_times_out_within_the_limit()
        {
            using var silent = new SilentListener();
            var sw = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Check("good", Options(silent.Port, timeoutSec: 1)));
            sw.Stop();
            Assert.Equal(PolicyFetchFailure.Timeout, ex.Failure);
            Assert.Contains("TLS handshake", ex.Message);
            Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 4);
        }

        [Fact]
        public async Task Cancellation_stops_a_hung_fetch_quickly()
        {
            using var silent = new SilentListener();
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                MtaStsCheck.RunAsync(Resolver(), MtaStsTestSite.Domain("good"), Options(silent.Port, timeoutSec: 30), cts.Token));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.5), sw.Elapsed.ToString());
        }

        [Fact]
        public async Task Dns_timeout_on_the_record_is_an_error_never_no_record()
        {
            _dns.SetFault("_mta-sts.good.mtasts.example", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => Check("good"));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
            Assert.Equal(DnsRecordType.TXT, ex.Result.Type);
        }

        [Fact]
        public async Task Servfail_on_the_policy_host_is_an_error()
        {
            _dns.SetFault("mta-sts.good.mtasts.example", FixtureDnsServer.Fault.ServFail);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => Check("good"));
            Assert.Equal("mta-sts.good.mtasts.example", ex.Result.Name);
        }

        [Fact]
        public async Task Mx_timeout_degrades_the_result_without_claiming_a_mismatch()
        {
            _dns.SetFault("good.mtasts.example", FixtureDnsServer.Fault.Timeout);
            var r = await MtaStsCheck.RunAsync(Resolver(), MtaStsTestSite.Domain("good"), Options(), CancellationToken.None);
            Assert.Equal(DnsRecordType.MX, Assert.Single(r.Unanswered).Type);
            Assert.Empty(r.Result.MxHost);
            Assert.DoesNotContain(r.Result.Findings, f => f.Code == "MxNotInPolicy" || f.Code == "NoMxHosts");
            Assert.Equal("enforce", r.Result.Mode);
        }
    }
}
