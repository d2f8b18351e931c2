using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.MtaSts;
using MailOps.Testing;

namespace MailOps.Tests.MtaSts
{
    /// <summary>Test-TlsRpt's engine (RFC 8460 §3), through the fixture DNS server and through -ZoneFile.</summary>
    public sealed class TlsRptCheckTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;

        public TlsRptCheckTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("mtasts.example.zone"));
        }

        public void Dispose() => _dns.Dispose();

        private IDnsResolver Resolver(string path) => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromSeconds(2), 0))
            : new CachingDnsResolver(new ZoneFileResolver(new[] { MasterFileParser.ParseFile(Paths.DnsFixture("mtasts.example.zone")) },
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        [Theory]
        [InlineData("wire", "good", "Pass", "", "mailto:tlsrpt@good.mtasts.example")]
        [InlineData("zonefile", "good", "Pass", "", "mailto:tlsrpt@good.mtasts.example")]
        [InlineData("wire", "https", "Pass", "TlsRptExternalDestination", "https://reports.example.net/tlsrpt; mailto:tls@reports.example.net")]
        [InlineData("zonefile", "https", "Pass", "TlsRptExternalDestination", "https://reports.example.net/tlsrpt; mailto:tls@reports.example.net")]
        [InlineData("wire", "http", "Fail", "TlsRptInsecureRua", "http://reports.example.net/tlsrpt")]
        [InlineData("wire", "norua", "Fail", "TlsRptMissingRua", "")]
        [InlineData("wire", "badmail", "Fail", "TlsRptInvalidRua", "mailto:nobody")]
        [InlineData("wire", "scheme", "Fail", "TlsRptInvalidRua", "ftp://reports.example.net/x")]
        [InlineData("wire", "oldrpt", "Fail", "TlsRptRecordSyntax", "")]
        [InlineData("zonefile", "oldrpt", "Fail", "TlsRptRecordSyntax", "")]
        [InlineData("wire", "none", "Warning", "NoTlsRptRecord", "")]
        [InlineData("zonefile", "none", "Warning", "NoTlsRptRecord", "")]
        public async Task Records_are_judged_by_RFC_8460(string path, string name, string status, string codes, string uris)
        {
            var r = await TlsRptCheck.RunAsync(Resolver(path), MtaStsTestSite.Domain(name), CancellationToken.None);
            Assert.Equal(status, r.Status);
            Assert.Equal(codes, string.Join(",", r.Findings.Select(f => f.Code)));
            Assert.Equal(uris, r.ReportUri.ToString());
            Assert.All(r.Findings.Where(f => f.Severity != "Info"), f => Assert.False(string.IsNullOrEmpty(f.Remedy)));
        }

        [Fact]
        public async Task Two_records_mean_no_reporting()
        {
            var r = await TlsRptCheck.RunAsync(Resolver("wire"), "tworpt.mtasts.example", CancellationToken.None);
            Assert.Contains("MultipleTlsRptRecords", r.Findings.Select(f => f.Code));
            Assert.Equal("Fail", r.Status);
        }

        [Fact]
        public async Task Timeout_is_an_error_never_no_record()
        {
            _dns.SetFault("_smtp._tls.good.mtasts.example", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => TlsRptCheck.RunAsync(Resolver("wire"), "good.mtasts.example", CancellationToken.None));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
        }
    }
}
