using System;
using System.Collections.Generic;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>A DNS server (or someone on the path) that answers with records for another name, another question or
    /// another message id: the cmdlets report a DNS error for that input, never the forged record, and go on.</summary>
    [Collection("Runspace")]
    public sealed class HostileDnsTests : IDisposable
    {
        private readonly FixtureDnsServer _upstream;
        private readonly HostileDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public HostileDnsTests()
        {
            _upstream = FixtureDnsServer.StartWithZone(
                "good.example. 300 IN MX 10 mail.good.example.\n" +
                "good.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n" +
                "_dmarc.good.example. 300 IN TXT \"v=DMARC1; p=none\"\n" +
                "mail.good.example. 300 IN A 192.0.2.25\n" +
                "example. 300 IN SOA ns.example. hostmaster.example. 1 3600 600 86400 300\n");
            _dns = HostileDnsServer.Start(_upstream);
            // Every question about victim.example is answered with evil.example's records.
            _dns.Respond("victim.example", q => q.Type == 15
                ? DnsWire.Reply(q, new[] { DnsWireRecord.Mx("evil.example", 10, "mx.evil.example") })
                : DnsWire.Reply(q, new[] { DnsWireRecord.Txt("evil.example", "v=spf1 +all") }));
            _dns.RespondWith("_dmarc.victim.example", DnsWireRecord.Txt("_dmarc.evil.example", "v=DMARC1; p=reject"));
            _dns.Respond("xid.example", q => DnsWire.Reply(q, new[] { DnsWireRecord.Mx("xid.example", 10, "mx.evil.example") }, id: (ushort)(q.Id + 1)));
            _dns.Respond("loop.example", DnsWire.CompressionLoop);
            _dns.Respond("ctl.example", q => DnsWire.Reply(q, q.Type == 16
                ? new[] { DnsWireRecord.Txt("ctl.example", "v=spf1 ip4:192.0.2.1 \u001b]0;owned\u0007\u001b[2J\0 -all") }
                : Array.Empty<DnsWireRecord>()));
            _vars = new Dictionary<string, object?> { ["srv"] = _dns.ServerSpec };
        }

        public void Dispose()
        {
            _dns.Dispose();
            _upstream.Dispose();
        }

        [Fact]
        public void Test_MailSpf_does_not_take_another_names_plus_all()
        {
            var audit = ModuleHost.Run("Test-MailSpf victim.example -Server $srv -TimeoutSec 2", _vars);
            Assert.Empty(audit.Output);
            Assert.Equal(new[] { "DnsError" }, audit.ErrorIds);
            Assert.Contains("evil.example", audit.Errors[0].ToString());

            var eval = ModuleHost.Run("Test-MailSpf victim.example -IPAddress 203.0.113.9 -Server $srv -TimeoutSec 2 | ForEach-Object Result", _vars);
            Assert.DoesNotContain("pass", eval.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Test_MailDmarc_does_not_take_another_names_policy()
        {
            var run = ModuleHost.Run("Test-MailDmarc victim.example -Server $srv -TimeoutSec 2", _vars);
            Assert.DoesNotContain(run.Output, o => string.Equals(o.Properties["Policy"]?.Value?.ToString(), "reject", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("DnsError", run.ErrorIds);
        }

        [Fact]
        public void Get_MailMx_does_not_return_another_names_exchange()
        {
            var run = ModuleHost.Run("Get-MailMx victim.example -Server $srv -TimeoutSec 2", _vars);
            Assert.DoesNotContain(run.Output, o => o.ToString()!.Contains("evil", StringComparison.OrdinalIgnoreCase)
                || o.Properties.Any(p => p.Value?.ToString()?.Contains("mx.evil.example", StringComparison.OrdinalIgnoreCase) == true));
            Assert.Equal(new[] { "DnsError" }, run.ErrorIds);
        }

        [Fact]
        public void Mismatched_message_id_is_an_error_for_that_input_and_the_pipeline_goes_on()
        {
            var run = ModuleHost.Run("'xid.example','loop.example','good.example' | Get-MailMx -Server $srv -TimeoutSec 1 | ForEach-Object HostName", _vars);
            Assert.Null(run.Terminating);
            // The wrong-id reply is ignored (RFC 5452): a timeout that says so; the compression loop is a network error.
            Assert.Equal(new[] { "DnsTimeout", "DnsNetworkError" }, run.ErrorIds);
            Assert.Contains("message id", run.Errors[0].ToString());
            Assert.Equal(new[] { "mail.good.example" }, run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void A_record_with_escape_sequences_is_kept_but_never_written_raw_by_the_views()
        {
            // Format-* are not in the hosted runspace (the Pester suite runs them in real pwsh): run every ScriptBlock of
            // the SPF views against the result, as the formatter does.
            var xml = System.Xml.Linq.XDocument.Load(System.IO.Path.Combine(Paths.RepoRoot, "src", "MailOps", "Formats", "MailOps.Spf.Format.ps1xml"));
            string[] Blocks(string type) => xml.Descendants("View").Where(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value == type)
                .SelectMany(v => v.Descendants("ScriptBlock")).Select(b => b.Value).ToArray();
            var resultBlocks = Blocks("MailOps.Spf.SpfAuditResult");
            Assert.Contains(resultBlocks, b => b.Contains("$_.Record"));
            var vars = new Dictionary<string, object?>(_vars) { ["resultBlocks"] = resultBlocks, ["termBlocks"] = Blocks("MailOps.Spf.SpfTerm") };
            var run = ModuleHost.Run(@"$r = Test-MailSpf ctl.example -Server $srv -TimeoutSec 2
$r.GetRawRecord().Contains([char]27)
$csv = @($r.PSObject.Properties | ForEach-Object { [string]$_.Value }) -join '|'   # what Export-Csv writes (no Utility module here)
$shown = @(foreach ($b in $resultBlocks) { $r | ForEach-Object ([scriptblock]::Create($b)) }) +
    @(foreach ($b in $termBlocks) { $r.Terms | ForEach-Object ([scriptblock]::Create($b)) })
($shown -join '|') + $r.ToString() + $r.ToTreeString() + $r.Findings.ToString() + $r.Terms.ToString() + $csv", vars);
            Assert.True(run.Errors.Count == 0, string.Join("; ", run.Errors.Select(e => e.ToString())));
            Assert.True((bool)run.Output[0].BaseObject);           // the value as published, from GetRawRecord()
            var shown = run.Output[1].ToString();
            Assert.DoesNotContain('\u001b', shown);
            Assert.DoesNotContain('\u0007', shown);
            Assert.DoesNotContain('\0', shown);
            Assert.Contains("\\x1B]0;owned\\x07", shown);           // the list view shows the record, escaped
        }
    }
}
