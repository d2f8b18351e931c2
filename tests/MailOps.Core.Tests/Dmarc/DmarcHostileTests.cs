using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.Testing;
using ArRecordType = ARSoft.Tools.Net.Dns.RecordType;

namespace MailOps.Tests.Dmarc
{
    /// <summary>DMARC records built to make the check slow or to write to the terminal.</summary>
    public sealed class DmarcHostileTests : IDisposable
    {
        private readonly FixtureDnsServer _server = FixtureDnsServer.Start();

        public void Dispose() => _server.Dispose();

        private static string Strings(string record) =>
            string.Join(" ", Enumerable.Range(0, (record.Length + 249) / 250).Select(i => "\"" + record.Substring(i * 250, Math.Min(250, record.Length - i * 250)) + "\""));

        private Task<CheckOutcome<MailDmarcResult>> Check(string domain, int timeoutMs = 2000) =>
            DmarcCheck.RunAsync(new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(timeoutMs), 0)),
                domain, DmarcDiscoveryMethod.TreeWalk, DmarcCheckTests.Psl, CancellationToken.None);

        [Fact]
        public async Task A_thousand_external_report_hosts_are_checked_only_so_far_and_concurrently()
        {
            var rua = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"mailto:r@h{i}.reports.example"));
            _server.LoadMasterFile("_dmarc.many.example. 300 IN TXT " + Strings($"v=DMARC1; p=reject; rua={rua}") + "\n");
            for (int i = 0; i < 1000; i++) _server.SetFault($"many.example._report._dmarc.h{i}.reports.example", FixtureDnsServer.Fault.Timeout);
            var sw = Stopwatch.StartNew();
            var o = await Check("many.example", timeoutMs: 1500);
            sw.Stop();
            // One after another: 1,000 x 1.5 s (20 checked one by one: 30 s). Bounded to 20, 8 at a time: 3 rounds.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
            var asked = Enumerable.Range(0, 1000).Sum(i => _server.QueryCount($"many.example._report._dmarc.h{i}.reports.example"));
            Assert.Equal(DmarcCheck.MaxExternalChecks, asked);
            var f = Assert.Single(o.Result.Findings, x => x.Code == "TooManyExternalDestinations");
            Assert.Contains("1000 report hosts", f.Message);
            Assert.Equal(DmarcCheck.MaxExternalChecks, o.Result.Findings.Count(x => x.Code == "ExternalDestinationUnverified"));
            Assert.Equal("h0.reports.example", o.Result.Findings.First(x => x.Code == "ExternalDestinationUnverified").Subject); // record order kept
        }

        [Fact]
        public async Task Control_bytes_in_a_record_are_kept_in_the_value_and_escaped_wherever_shown()
        {
            _server.LoadMasterFile("example. 300 IN SOA ns.example. h.example. 1 1 1 1 60\n");
            _server.AddRawText("_dmarc.ctl.example", ArRecordType.Txt, 300,
                new[] { Encoding.ASCII.GetBytes("v=DMARC1; p=reject\0\u001b]0;pwned\u0007; rua=mailto:\u001b[2Jr@ctl.example") });
            var o = await Check("ctl.example");
            Assert.Contains("\u001b", o.Result.Record);
            Assert.All(o.Result.Findings, f => Assert.False(TextSafety.HasControlCharacters(f.Message + f.Remedy + f.Subject), f.Message));
            Assert.False(TextSafety.HasControlCharacters(o.Result.ToString()));
            Assert.False(TextSafety.HasControlCharacters(o.Result.ReportUris.ToString()));
            Assert.NotEqual("Pass", o.Result.Status);
        }
    }
}
