using System.Collections.Generic;
using System.Linq;
using MailOps.Testing;
using Xunit;

namespace MailOps.Module.Tests
{
    /// <summary>The advice of a DNS failure (ErrorDetails.RecommendedAction) is written once, in the cmdlet layer's advice
    /// table: the same failure gives the same ErrorId and the same words whether a record check or a blocklist met it.</summary>
    [Collection("Runspace")]
    public sealed class AdviceTests
    {
        [Theory]
        [InlineData(FixtureDnsServer.Fault.Refused, "DnsRefused", "-Server")]
        [InlineData(FixtureDnsServer.Fault.ServFail, "DnsServerFailure", "SERVFAIL")]
        public void A_dns_failure_gives_the_same_advice_on_Test_MailSpf_and_Get_DnsblListing(FixtureDnsServer.Fault fault, string errorId, string words)
        {
            using var server = FixtureDnsServer.Start();
            server.SetFault("spf.advice.test", fault);
            // A zone outside the catalogue: its RFC 5782 test questions (127.0.0.2 listed, 127.0.0.1 not) meet the fault.
            server.SetFault("2.0.0.127.bl.advice.test", fault);
            server.SetFault("1.0.0.127.bl.advice.test", fault);
            var vars = new Dictionary<string, object?> { ["srv"] = server.ServerSpec };

            var spf = ModuleHost.Run("Test-MailSpf spf.advice.test -Server $srv -TimeoutSec 2", vars);
            var dnsbl = ModuleHost.Run("Get-DnsblListing 192.0.2.10 -Zone bl.advice.test -Server $srv -TimeoutSec 2", vars);

            var a = Assert.Single(spf.Errors);
            var b = Assert.Single(dnsbl.Errors);
            Assert.Equal(errorId, a.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(errorId, b.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(a.CategoryInfo.Category, b.CategoryInfo.Category);
            Assert.Contains(words, a.ErrorDetails.RecommendedAction);
            Assert.Equal(a.ErrorDetails.RecommendedAction, b.ErrorDetails.RecommendedAction);
            // The engine's message says what happened; the advice is not repeated in it.
            Assert.DoesNotContain("-Server", b.ErrorDetails.Message);
            Assert.DoesNotContain("-Server", a.ErrorDetails.Message);
        }

        [Fact]
        public void A_findings_remedy_gets_the_cmdlet_that_does_the_fix_from_the_module()
        {
            var vars = new Dictionary<string, object?> { ["zone"] = Paths.DnsFixture("dkim.example.zone"), ["dead"] = Paths.DeadServer };
            var run = ModuleHost.Run("(Test-MailDkim dkim.example weak -ZoneFile $zone -Server $dead).Findings | Where-Object Code -eq 'DkimKeyWeak' | ForEach-Object Remedy", vars);
            // The engine's remedy, then the advice table's: one sentence about what to fix, one about which cmdlet does it.
            Assert.Equal("Generate a 2048-bit key under a new selector, publish it, then switch the signer. New-DkimKey -KeySize 2048 generates one.",
                Assert.Single(run.Output).BaseObject);
        }

        [Fact]
        public void A_report_of_another_kind_names_its_importer_in_the_advice_not_in_the_engines_message()
        {
            var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mailops-advice-{System.Guid.NewGuid():N}.json");
            System.IO.File.WriteAllText(file, "{\"organization-name\": \"x\", \"policies\": []}");
            try
            {
                var run = ModuleHost.Run("Import-DmarcReport -LiteralPath $f", new Dictionary<string, object?> { ["f"] = file });
                var e = Assert.Single(run.Errors);
                Assert.Equal("ReportNotRecognized", e.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Contains("an SMTP TLS report?", e.ErrorDetails.Message);
                Assert.DoesNotContain("Import-TlsRptReport", e.ErrorDetails.Message);
                Assert.StartsWith("Import-TlsRptReport reads SMTP TLS reports.", e.ErrorDetails.RecommendedAction);
            }
            finally { System.IO.File.Delete(file); }
        }
    }
}
