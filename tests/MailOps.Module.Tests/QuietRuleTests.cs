using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MailOps.Testing;
using Xunit;

namespace MailOps.Module.Tests
{
    /// <summary>
    /// The one -Quiet rule (about_MailOps), for every cmdlet that has -Quiet: exactly one Boolean per invocation, $true only
    /// when every input passed and every check ran; a check that could not run makes it $false without writing an error.
    /// The cmdlets are found with Get-Command, so a new cmdlet with -Quiet fails <see cref="Every_cmdlet_with_Quiet_is_in_the_table"/>
    /// until it has its three rows here. Offline: fixture zones through -ZoneFile with -Server at a dead loopback port, a
    /// fixture DNS server for DANE (it needs the AD bit), scripted SMTP servers and the Kestrel MTA-STS site on 127.0.0.1.
    /// </summary>
    [Collection("Runspace")]
    public sealed class QuietRuleTests : IDisposable
    {
        public enum Outcome { Pass, Fail, CouldNotRun }

        private const string Dane = "_25._tcp.mx.dane.smtp.test";
        private static readonly Lazy<MtaStsTestSite> SharedSite = new(() => new MtaStsTestSite());

        // cmdlet, outcome, script. Variables: see the constructor.
        public static readonly (string Cmdlet, Outcome Outcome, string Script)[] Cases =
        {
            ("Test-MailSpf", Outcome.Pass, "'good.example.org', 'good.example.org' | Test-MailSpf -ZoneFile $spf @z -Quiet"),
            ("Test-MailSpf", Outcome.Fail, "'good.example.org', 'plusall.example.org' | Test-MailSpf -ZoneFile $spf @z -Quiet"),
            ("Test-MailSpf", Outcome.CouldNotRun, "'good.example.org', 'unanswerable.test' | Test-MailSpf -ZoneFile $spf @z -Quiet"),

            ("Test-MailDmarc", Outcome.Pass, "'good.example' | Test-MailDmarc -ZoneFile $dmarc @z -Quiet"),
            ("Test-MailDmarc", Outcome.Fail, "'good.example', 'nodmarc.example' | Test-MailDmarc -ZoneFile $dmarc @z -Quiet"),
            ("Test-MailDmarc", Outcome.CouldNotRun, "'good.example', 'unanswerable.test' | Test-MailDmarc -ZoneFile $dmarc @z -Quiet"),

            ("Test-MailDkim", Outcome.Pass, "Test-MailDkim dkim.example good -ZoneFile $dkim @z -Quiet"),
            ("Test-MailDkim", Outcome.Fail, "Test-MailDkim dkim.example good, revoked -ZoneFile $dkim @z -Quiet"),
            ("Test-MailDkim", Outcome.CouldNotRun, "Test-MailDkim unanswerable.test good -ZoneFile $dkim @z -Quiet"),

            ("Test-DkimSignature", Outcome.Pass, "Test-DkimSignature $signed -ZoneFile $football @z -Quiet"),
            ("Test-DkimSignature", Outcome.Fail, "Test-DkimSignature $signed, $tampered -ZoneFile $football @z -Quiet"),
            ("Test-DkimSignature", Outcome.CouldNotRun, "Test-DkimSignature $signed, $missing -ZoneFile $football @z -Quiet"),

            ("Get-DnsblListing", Outcome.Pass, "'192.0.2.20', '192.0.2.21' | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile $zen @z -Quiet"),
            ("Get-DnsblListing", Outcome.Fail, "'192.0.2.20', '192.0.2.10' | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile $zen @z -Quiet"),
            ("Get-DnsblListing", Outcome.CouldNotRun, "'192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org, unanswerable.test -ZoneFile $zen @z -Quiet"),

            ("Test-MailPtr", Outcome.Pass, "'198.51.100.10' | Test-MailPtr -ZoneFile $ptr @z -Quiet"),
            ("Test-MailPtr", Outcome.Fail, "'198.51.100.10', '198.51.100.13' | Test-MailPtr -ZoneFile $ptr @z -Quiet"),
            ("Test-MailPtr", Outcome.CouldNotRun, "'198.51.100.10', '203.0.113.99' | Test-MailPtr -ZoneFile $ptr @z -Quiet"),

            ("Test-TlsRpt", Outcome.Pass, "'good.mtasts.example' | Test-TlsRpt -ZoneFile $sts @z -Quiet"),
            ("Test-TlsRpt", Outcome.Fail, "'good.mtasts.example', 'norua.mtasts.example' | Test-TlsRpt -ZoneFile $sts @z -Quiet"),
            ("Test-TlsRpt", Outcome.CouldNotRun, "'good.mtasts.example', 'unanswerable.test' | Test-TlsRpt -ZoneFile $sts @z -Quiet"),

            ("Test-MtaSts", Outcome.Pass, "'good.mtasts.example' | Test-MtaSts -ZoneFile $sts @z -HttpsPort $stsPort -TrustedCaCertificatePath $stsCa -Quiet"),
            ("Test-MtaSts", Outcome.Fail, "'good.mtasts.example', 'none.mtasts.example' | Test-MtaSts -ZoneFile $sts @z -HttpsPort $stsPort -TrustedCaCertificatePath $stsCa -Quiet"),
            ("Test-MtaSts", Outcome.CouldNotRun, "'good.mtasts.example' | Test-MtaSts -ZoneFile $sts @z -HttpsPort $closed -Quiet"),

            ("Test-SmtpService", Outcome.Pass, "Test-SmtpService mail.smtp.test -Port $smtpGood -Server $srv -TrustedCertificatePath $ca -Quiet"),
            ("Test-SmtpService", Outcome.Fail, "Test-SmtpService mail.smtp.test -Port $smtpGood, $smtpExpired -Server $srv -TrustedCertificatePath $ca -Quiet"),
            ("Test-SmtpService", Outcome.CouldNotRun, "Test-SmtpService mail.smtp.test -Port $smtpGood, $closed -Server $srv -TrustedCertificatePath $ca -TimeoutSec 2 -Quiet"),

            ("Test-MailDane", Outcome.Pass, "Test-MailDane -HostName mx.dane.smtp.test -Port $daneGood -Server $srv -Quiet"),
            ("Test-MailDane", Outcome.Fail, "Test-MailDane -HostName mx.dane.smtp.test -Port $daneOther -Server $srv -Quiet"),
            ("Test-MailDane", Outcome.CouldNotRun, "Test-MailDane -HostName mx.unanswerable.test @z -Quiet"),

            ("Test-Port25Egress", Outcome.Pass, "Test-Port25Egress \"mx.good.smtp.test:$egressOpen\" -Server $srv -Quiet"),
            ("Test-Port25Egress", Outcome.Fail, "Test-Port25Egress \"mx.good.smtp.test:$egressForeign\" -Server $srv -Quiet"),
            ("Test-Port25Egress", Outcome.CouldNotRun, "Test-Port25Egress -Server $dead -TimeoutSec 1 -Quiet"),

            ("Test-MailDomain", Outcome.Pass, "'good.domain.example' | Test-MailDomain -ZoneFile $domain @z -DkimSelector s2026 -Quiet"),
            ("Test-MailDomain", Outcome.Fail, "'good.domain.example', 'broken.domain.example' | Test-MailDomain -ZoneFile $domain @z -DkimSelector s2026 -Quiet"),
            ("Test-MailDomain", Outcome.CouldNotRun, "'good.domain.example', 'unanswerable.test' | Test-MailDomain -ZoneFile $domain @z -DkimSelector s2026 -Quiet"),

            ("Test-MailServer", Outcome.Pass, "'198.51.100.12' | Test-MailServer -ZoneFile $server @z -Zone bl.spamcop.net -Quiet"),
            ("Test-MailServer", Outcome.Fail, "'198.51.100.12', '198.51.100.10' | Test-MailServer -ZoneFile $server @z -Zone bl.spamcop.net -Quiet"),
            ("Test-MailServer", Outcome.CouldNotRun, "'198.51.100.12', '203.0.113.99' | Test-MailServer -ZoneFile $server @z -Zone bl.spamcop.net -Quiet"),

            // Monitoring: a quiet week passes, the week with the Gmail deferral spike and the Microsoft block fails; a record
            // that is not a delivery, or a log that cannot be read, is a check that could not run.
            ("Get-MailDeliveryStat", Outcome.Pass, "Get-MailDeliveryLog -LiteralPath $log -Until ([datetime]'2026-11-08') | Get-MailDeliveryStat -Quiet"),
            ("Get-MailDeliveryStat", Outcome.Fail, "Get-MailDeliveryLog -LiteralPath $log | Get-MailDeliveryStat -Quiet"),
            ("Get-MailDeliveryStat", Outcome.CouldNotRun, "@(Get-MailDeliveryLog -LiteralPath $log -Until ([datetime]'2026-11-08')) + [pscustomobject]@{ Foo = 1 } | Get-MailDeliveryStat -Quiet"),

            ("Test-MailWarmup", Outcome.Pass, "Test-MailWarmup -Plan ([pscustomobject]@{ Day = '1'; Date = '2026-11-06'; Provider = 'All'; MaxMessages = '100' }) -Log $log -Quiet"),
            ("Test-MailWarmup", Outcome.Fail, "Test-MailWarmup -Plan ([pscustomobject]@{ Day = '1'; Date = '2026-11-08'; Provider = 'All'; MaxMessages = '10' }) -Log $log -Quiet"),
            ("Test-MailWarmup", Outcome.CouldNotRun, "Test-MailWarmup -Plan ([pscustomobject]@{ Day = '1'; Date = '2026-11-06'; Provider = 'All'; MaxMessages = '100' }) -Log $log, $missing -Quiet"),
        };

        public static IEnumerable<object[]> Rows => Cases.Select(c => new object[] { c.Cmdlet, c.Outcome, c.Script });

        private readonly FixtureDnsServer _dns;
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly string _tmp;
        private readonly Dictionary<string, object?> _vars;

        public QuietRuleTests()
        {
            _tmp = Path.Combine(Path.GetTempPath(), "mailops-quiet-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_tmp);
            var signed = Paths.Fixture("dkim", "rfc8463-a3.eml");
            var tampered = Path.Combine(_tmp, "tampered.eml");
            File.WriteAllText(tampered, File.ReadAllText(signed).Replace("Joe SixPack", "Joe SevenPack"));
            var caPem = Path.Combine(_tmp, "ca.pem");
            var ca = TestCertificates.CreateCa("MailOps Quiet Test CA");
            File.WriteAllText(caPem, TestCertificates.CertificatePem(ca));

            var daneLeaf = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" });
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
            _dns.LoadMasterFile(TestCertificates.TlsaLine(Dane, daneLeaf, 3, 1, 1));
            _dns.AuthenticData = true;

            var site = SharedSite.Value;
            _vars = new Dictionary<string, object?>
            {
                ["z"] = new System.Collections.Hashtable { ["Server"] = Paths.DeadServer, ["TimeoutSec"] = 1 },
                ["dead"] = Paths.DeadServer,
                ["srv"] = _dns.ServerSpec,
                ["closed"] = ScriptedMailServer.ClosedPort(),
                ["spf"] = Paths.DnsFixture("spf.example.org.zone"),
                ["dmarc"] = Paths.DnsFixture("dmarc.example.zone"),
                ["dkim"] = Paths.DnsFixture("dkim.example.zone"),
                ["football"] = Paths.DnsFixture("football.example.com.zone"),
                ["zen"] = Paths.DnsFixture("dnsbl/dnsbl-zen.spamhaus.org.zone"),
                ["ptr"] = new[] { Paths.DnsFixture("reverse.zone"), Paths.DnsFixture("mx.example.com.zone"), Paths.DnsFixture("dnsbl/*.zone") },
                ["sts"] = Paths.DnsFixture("mtasts.example.zone"),
                ["stsPort"] = site.Port,
                ["stsCa"] = site.CaPemPath,
                ["domain"] = Paths.DnsFixture("domain/*.zone"),
                ["server"] = new[] { "server/bl.spamcop.net.zone", "server/asn.cymru.com.zone", "dnsbl/ptr-reverse.zone", "dnsbl/ptr-forward.example.org.zone" }.Select(Paths.DnsFixture).ToArray(),
                ["signed"] = signed,
                ["tampered"] = tampered,
                ["missing"] = Path.Combine(_tmp, "no-such.eml"),
                ["ca"] = caPem,
                ["log"] = Paths.Fixture("maillog", "spike.log"),
                ["smtpGood"] = Serve(new ScriptedMailServer { Banner = "220 mail.smtp.test ESMTP", Certificate = TestCertificates.CreateLeaf(ca, new[] { "mail.smtp.test" }) }),
                ["smtpExpired"] = Serve(new ScriptedMailServer
                {
                    Banner = "220 mail.smtp.test ESMTP",
                    Certificate = TestCertificates.CreateLeaf(ca, new[] { "mail.smtp.test" }, DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(-2)),
                }),
                ["daneGood"] = Serve(new ScriptedMailServer { Banner = "220 mx.dane.smtp.test ESMTP", Certificate = daneLeaf }),
                ["daneOther"] = Serve(new ScriptedMailServer { Banner = "220 mx.dane.smtp.test ESMTP", Certificate = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" }) }),
                ["egressOpen"] = Serve(new ScriptedMailServer { Banner = "220 mx.good.smtp.test ESMTP" }),
                ["egressForeign"] = Serve(new ScriptedMailServer { Banner = "220 filter.isp.example ESMTP" }),
            };
        }

        private int Serve(ScriptedMailServer s)
        {
            _servers.Add(s);
            return s.Start().Port;
        }

        public void Dispose()
        {
            _dns.Dispose();
            foreach (var s in _servers) s.Dispose();
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        [Fact]
        public void Every_cmdlet_with_Quiet_is_in_the_table()
        {
            var run = ModuleHost.Run("Get-Command -Module MailOps | Where-Object { $_.Parameters.ContainsKey('Quiet') } | ForEach-Object Name");
            var withQuiet = run.Output.Select(o => (string)o.BaseObject).OrderBy(n => n).ToList();
            Assert.Contains("Test-MailSpf", withQuiet);
            foreach (var outcome in Enum.GetValues<Outcome>())
            {
                var covered = Cases.Where(c => c.Outcome == outcome).Select(c => c.Cmdlet).Distinct().OrderBy(n => n).ToList();
                Assert.True(withQuiet.SequenceEqual(covered),
                    $"{outcome}: cmdlets with -Quiet but no row: {string.Join(", ", withQuiet.Except(covered))}; rows for cmdlets without -Quiet: {string.Join(", ", covered.Except(withQuiet))}");
            }
        }

        /// <summary>The passing invocations that pipe their inputs as strings, with an empty one added among them: what a
        /// blank line or an empty CSV cell gives.</summary>
        public static IEnumerable<object[]> EmptyInputRows => Cases
            .Where(c => c.Outcome == Outcome.Pass && c.Script.StartsWith("'", StringComparison.Ordinal) && c.Script.Contains("' | "))
            .Select(c => new object[] { c.Cmdlet, c.Script.Substring(0, c.Script.IndexOf("' | ", StringComparison.Ordinal) + 1) + ", ''" + c.Script.Substring(c.Script.IndexOf("' | ", StringComparison.Ordinal) + 1) });

        [Theory]
        [MemberData(nameof(EmptyInputRows))]
        public void An_empty_input_among_good_ones_is_a_check_that_could_not_run(string cmdlet, string script)
        {
            // PowerShell's own parameter validation would refuse the empty string before the cmdlet saw it: an error the
            // cmdlet never counts, so -Quiet said $true with that input unchecked. The cmdlet's own error counts.
            var quiet = ModuleHost.Run(script, _vars);
            Assert.True(quiet.Output.Count == 1 && Equals(quiet.Output[0].BaseObject, false),
                $"{cmdlet}: {string.Join(", ", quiet.Output.Select(o => o?.ToString()))}");
            var shown = ModuleHost.Run(script.Replace(" -Quiet", ""), _vars);
            var error = Assert.Single(shown.Errors, e => e.CategoryInfo.Category == System.Management.Automation.ErrorCategory.InvalidArgument);
            Assert.Matches("^(InvalidDomainName|InvalidIPAddress),", error.FullyQualifiedErrorId);
            Assert.DoesNotContain(shown.Errors, e => e.FullyQualifiedErrorId.StartsWith("Parameter", StringComparison.Ordinal));
        }

        [Theory]
        [MemberData(nameof(Rows))]
        public void One_Boolean_per_invocation(string cmdlet, Outcome outcome, string script)
        {
            var run = ModuleHost.Run(script, _vars);
            Assert.True(run.Terminating == null, $"{cmdlet}: {run.Terminating}");
            Assert.True(run.Errors.Count == 0, $"{cmdlet}: -Quiet wrote errors: {string.Join("; ", run.Errors.Select(e => e.FullyQualifiedErrorId + " " + e))}");
            var o = Assert.Single(run.Output);
            Assert.IsType<bool>(o.BaseObject);
            Assert.Equal(outcome == Outcome.Pass, (bool)o.BaseObject);
        }

        [Theory]
        [MemberData(nameof(Rows))]
        public void Without_Quiet_the_same_invocation_shows_why(string cmdlet, Outcome outcome, string script)
        {
            // The Boolean is the same judgement the objects and errors show: a pass writes no error and only results,
            // a could-not-run writes an error record.
            var run = ModuleHost.Run(script.Replace(" -Quiet", ""), _vars);
            Assert.DoesNotContain(run.Output, o => o.BaseObject is bool);
            Assert.True(run.Output.Count + run.Errors.Count > 0, $"{cmdlet}: no output and no error");
            if (outcome == Outcome.CouldNotRun) Assert.True(run.Errors.Count > 0, $"{cmdlet}: a check that could not run wrote no error");
            else Assert.True(run.Errors.Count == 0, $"{cmdlet}: {string.Join("; ", run.ErrorIds)}");
        }
    }
}
