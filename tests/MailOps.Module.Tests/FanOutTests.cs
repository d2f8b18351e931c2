using System.Collections.Generic;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Every per-domain and per-host cmdlet runs on the one fan-out base (issue 14, "Fleet scale"): it has
    /// -ThrottleLimit, and its results come in input order whatever the throttle.</summary>
    [Collection("Runspace")]
    public sealed class FanOutTests
    {
        private static readonly Dictionary<string, object?> Vars = new()
        {
            ["z"] = new System.Collections.Hashtable { ["Server"] = Paths.DeadServer, ["TimeoutSec"] = 1 },
            ["spf"] = Paths.DnsFixture("spf.example.org.zone"),
            ["dmarc"] = Paths.DnsFixture("dmarc.example.zone"),
            ["dkim"] = Paths.DnsFixture("dkim.example.zone"),
            ["sts"] = Paths.DnsFixture("mtasts.example.zone"),
            ["mx"] = Paths.DnsFixture("mx.example.com.zone"),
            ["bl"] = Paths.DnsFixture("dnsbl/dnsbl-zen.spamhaus.org.zone"),
            ["ptr"] = new[] { Paths.DnsFixture("reverse.zone"), Paths.DnsFixture("mx.example.com.zone"), Paths.DnsFixture("dnsbl/*.zone") },
        };

        public static IEnumerable<object[]> Cmdlets() => new[]
        {
            "Get-MailMx", "Test-MailSpf", "Test-MailDmarc", "Test-MailDkim", "Test-MtaSts", "Test-TlsRpt",
            "Test-MailPtr", "Test-MailDane", "Test-MailDomain", "Test-MailServer", "Test-SmtpService", "Find-DkimSelector", "Get-DnsblListing",
        }.Select(c => new object[] { c });

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void Has_ThrottleLimit_from_the_fan_out_base(string cmdlet)
        {
            var run = ModuleHost.Run($"$c = Get-Command {cmdlet}; $c.Parameters.ContainsKey('ThrottleLimit'); $c.ImplementingType.BaseType.Name");
            Assert.Empty(run.Errors);
            Assert.Equal(true, run.Output[0].BaseObject);
            Assert.Equal("FanOutCmdlet", run.Output[1].BaseObject);
        }

        public static IEnumerable<object[]> Scripts() => new[]
        {
            new object[] { "Test-MailSpf", "'good.example.org','big1.example.org','afterall.example.org','explain.example.org','backup.example.org' | Test-MailSpf -ZoneFile $spf @z -ThrottleLimit {0} | ForEach-Object Domain" },
            new object[] { "Test-MailDmarc", "'good.example','monitor.example','badsyntax.example','legacy.example','external.example' | Test-MailDmarc -ZoneFile $dmarc @z -ThrottleLimit {0} | ForEach-Object Domain" },
            new object[] { "Test-MailDkim", "Test-MailDkim dkim.example good, ed, revoked, sha1, badver, selector1 -ZoneFile $dkim @z -ThrottleLimit {0} | ForEach-Object Selector" },
            new object[] { "Find-DkimSelector", "'dkim.example','football.example.com','dkim.example' | Find-DkimSelector -Selector custom2026 -ZoneFile $dkim @z -ThrottleLimit {0} -WarningAction SilentlyContinue | ForEach-Object {{ $_.Domain + '/' + $_.Selector }}" },
            new object[] { "Test-TlsRpt", "'good.mtasts.example','norua.mtasts.example','badtxt.mtasts.example','good.mtasts.example' | Test-TlsRpt -ZoneFile $sts @z -ThrottleLimit {0} | ForEach-Object Domain" },
            new object[] { "Test-MailPtr", "'198.51.100.10','198.51.100.13','198.51.100.11','198.51.100.12' | Test-MailPtr -ZoneFile $ptr @z -ThrottleLimit {0} -ErrorAction SilentlyContinue | ForEach-Object IPAddress" },
            new object[] { "Get-DnsblListing", "'192.0.2.10','192.0.2.20','2001:db8::10','192.0.2.20','127.0.0.2' | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile $bl @z -ThrottleLimit {0} -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | ForEach-Object {{ $_.Target + '/' + $_.Zone + '/' + $_.Status }}" },
            new object[] { "Get-MailMx", "'example.com','mixednull.example.com','cname-mx.example.com','nomx.example.com' | Get-MailMx -ZoneFile $mx @z -ThrottleLimit {0} -WarningAction SilentlyContinue | ForEach-Object {{ $_.Domain + '/' + $_.HostName }}" },
        };

        [Theory]
        [MemberData(nameof(Scripts))]
        public void Results_come_in_input_order_whatever_the_throttle(string cmdlet, string script)
        {
            var one = ModuleHost.Run(string.Format(script, 1), Vars);
            var many = ModuleHost.Run(string.Format(script, 16), Vars);
            Assert.True(one.Output.Count >= 4, $"{cmdlet}: {one.Output.Count} results; errors: {string.Join("; ", one.Errors.Select(e => e.ToString()))}");
            Assert.Equal(one.Output.Select(o => o.ToString()), many.Output.Select(o => o.ToString()));
        }
    }
}
