using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>The DKIM cmdlets as a user types them: key generation, record checks, selector discovery and
    /// signature verification, against the fixture DNS server and against -ZoneFile.</summary>
    [Collection("Runspace")]
    public sealed class DkimTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;
        private readonly string _tmp;

        private const string Message =
            "From: Joe <joe@example.com>\r\nTo: Sue <sue@example.net>\r\nSubject: Lunch\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n" +
            "Message-ID: <lunch-1@example.com>\r\n\r\nAre you hungry yet?\r\n";

        public DkimTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("dkim.example.zone"));
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("football.example.com.zone"));
            _tmp = Path.Combine(Path.GetTempPath(), "mailops-dkim-ps-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["dead"] = Paths.DeadServer,
                ["tmp"] = _tmp,
                ["dkimZone"] = Paths.DnsFixture("dkim.example.zone"),
                ["footballZone"] = Paths.DnsFixture("football.example.com.zone"),
                ["fixtures"] = Paths.Fixture("dkim"),
            };
        }

        public void Dispose()
        {
            _dns.Dispose();
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        // ---- New-DkimKey -------------------------------------------------------------------------------------

        [Fact]
        public void New_DkimKey_writes_owner_only_key_and_zone_line_and_refuses_to_overwrite()
        {
            var run = ModuleHost.Run(@"
$ExecutionContext.SessionState.Path.SetLocation($tmp) | Out-Null
$k = New-DkimKey -Selector mail -Domain Example.COM -Path .
$k
$again = New-DkimKey mail example.com -ErrorVariable e -ErrorAction SilentlyContinue
@($again).Count
$e[0].FullyQualifiedErrorId
", _vars);
            Assert.Null(run.Terminating);
            var k = run.Output[0];
            Assert.Equal("MailOps.Dkim.DkimKey", k.TypeNames[0]);
            Assert.Equal("mail._domainkey.example.com", k.Properties["DnsName"].Value);
            Assert.Equal(2048, k.Properties["KeySize"].Value);
            Assert.Equal("Rsa", k.Properties["Algorithm"].Value);
            var priv = (string)k.Properties["PrivateKeyPath"].Value;
            Assert.Equal(Path.Combine(_tmp, "mail.private"), priv);
            Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", File.ReadAllText(priv));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(priv));
            Assert.Equal(k.Properties["ZoneFileLine"].Value, File.ReadAllText(Path.Combine(_tmp, "mail.txt")));
            Assert.Equal(0, run.Output[1].BaseObject);
            Assert.StartsWith("DkimKeyFileExists,", (string)run.Output[2].BaseObject);
        }

        [Fact]
        public void Second_key_without_Force_leaves_the_first_intact_and_Force_replaces_it()
        {
            var run = ModuleHost.Run(@"
$first = New-DkimKey s1 example.com -Path $tmp
$before = [IO.File]::ReadAllText($first.PrivateKeyPath)
New-DkimKey s1 example.com -Path $tmp
[IO.File]::ReadAllText($first.PrivateKeyPath) -eq $before
$second = New-DkimKey s1 example.com -Path $tmp -Force
[IO.File]::ReadAllText($second.PrivateKeyPath) -eq $before
", _vars);
            Assert.Equal("DkimKeyFileExists", Assert.Single(run.ErrorIds));
            Assert.Equal(ErrorCategory.ResourceExists, run.Errors[0].CategoryInfo.Category);
            Assert.Contains("-Force", run.Errors[0].ErrorDetails.RecommendedAction);
            var bools = run.Output.Where(o => o.BaseObject is bool).Select(o => (bool)o.BaseObject).ToList();
            Assert.Equal(new[] { true, false }, bools);
        }

        [Fact]
        public void WhatIf_writes_nothing_and_1024_bits_warns_and_Ed25519_writes_the_seed_too()
        {
            var run = ModuleHost.Run(@"
New-DkimKey w example.com -Path $tmp -WhatIf
[IO.File]::Exists([IO.Path]::Combine($tmp, 'w.private'))
$r = New-DkimKey small example.com -Path $tmp -KeySize 1024
$r.KeySize
$e = New-DkimKey ed example.com -Path $tmp -Algorithm Ed25519
$e.KeySize; $e.SeedPath; $e.TxtValue
", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(false, run.Output[0].BaseObject);
            Assert.Equal(1024, run.Output[1].BaseObject);
            Assert.Contains(run.Warnings, w => w.Message.Contains("1024-bit"));
            Assert.Equal(256, run.Output[2].BaseObject);
            Assert.Equal(Path.Combine(_tmp, "ed.seed"), run.Output[3].BaseObject);
            Assert.StartsWith("v=DKIM1; k=ed25519; p=", (string)run.Output[4].BaseObject);
        }

        [Fact]
        public void New_DkimKey_binds_csv_style_rows_by_property_name_and_rejects_bad_selectors()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ Selector = 'a1'; Domain = 'one.example'; Path = $tmp; Algorithm = 'Ed25519' },
  [pscustomobject]@{ Selector = 'b/1'; DomainName = 'two.example'; Path = $tmp }) | New-DkimKey -ErrorAction SilentlyContinue -ErrorVariable e
$e | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] }
", _vars);
            Assert.Equal("a1._domainkey.one.example", run.Output[0].Properties["DnsName"].Value);
            Assert.Equal("Ed25519", run.Output[0].Properties["Algorithm"].Value);
            Assert.Equal("InvalidDkimSelector", run.Output[1].BaseObject);
        }

        // ---- Test-MailDkim -----------------------------------------------------------------------------------

        [Fact]
        public void Test_MailDkim_binds_by_value_and_by_property_name_and_reports_findings()
        {
            var run = ModuleHost.Run(@"
'dkim.example' | Test-MailDkim -Selector good, weak, nosuch -Server $srv
[pscustomobject]@{ Domain = 'dkim.example'; Selector = 'revoked' }, [pscustomobject]@{ Name = 'dkim.example'; Selector = @('alias') } | Test-MailDkim -Server $srv
", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { "good", "weak", "nosuch", "revoked", "alias" }, run.Output.Select(o => o.Properties["Selector"].Value));
            Assert.Equal(new object[] { "Pass", "Warning", "Fail", "Fail", "Pass" }, run.Output.Select(o => o.Properties["Status"].Value));
            Assert.Equal(false, run.Prop(2, "Found"));
            Assert.Equal("alias.dkim.provider.dkim.example", run.Prop(4, "CnameTarget"));
            Assert.Equal("MailOps.Dkim.MailDkimRecord", run.Output[0].TypeNames[0]);
            Assert.Equal("sha256", run.Prop(0, "HashAlgorithms")!.ToString());
        }

        [Fact]
        public void Test_MailDkim_PrivateKeyPath_says_match_and_mismatch()
        {
            var run = ModuleHost.Run(@"
Test-MailDkim dkim.example good -PrivateKeyPath ([IO.Path]::Combine($fixtures, 'good.private')) -ZoneFile $dkimZone -Server $dead
Test-MailDkim dkim.example good -PrivateKeyPath ([IO.Path]::Combine($fixtures, 'other.private')) -ZoneFile $dkimZone -Server $dead
", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(true, run.Prop(0, "PrivateKeyMatches"));
            Assert.Equal(false, run.Prop(1, "PrivateKeyMatches"));
            Assert.Equal("Fail", run.Prop(1, "Status"));
            Assert.Contains("DkimPrivateKeyMismatch", run.Prop(1, "Findings")!.ToString());
        }

        [Fact]
        public void A_fresh_key_checks_against_its_own_txt_file_as_a_zone_file()
        {
            var run = ModuleHost.Run(@"
$k = New-DkimKey fresh example.com -Path $tmp
Test-MailDkim example.com fresh -ZoneFile $k.TxtPath -PrivateKeyPath $k.PrivateKeyPath -Server $dead
", _vars);
            Assert.Empty(run.Errors);
            var r = Assert.Single(run.Output);
            Assert.Equal(true, r.Properties["Found"].Value);
            Assert.Equal(2048, r.Properties["KeySize"].Value);
            Assert.Equal(true, r.Properties["PrivateKeyMatches"].Value);
            Assert.Equal("Pass", r.Properties["Status"].Value);
        }

        [Fact]
        public void Unreadable_private_key_stops_before_any_query()
        {
            File.WriteAllText(Path.Combine(_tmp, "junk.private"), "not a key");
            var run = ModuleHost.Run("Test-MailDkim dkim.example good -PrivateKeyPath ([IO.Path]::Combine($tmp, 'junk.private')) -Server $srv", _vars);
            Assert.Empty(run.Output);
            Assert.Equal("InvalidDkimPrivateKey", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidData, run.StatementTerminating!.CategoryInfo.Category);
            Assert.Equal(0, _dns.TotalQueries);
            var missing = ModuleHost.Run("Test-MailDkim dkim.example good -PrivateKeyPath ./no/such.private -Server $srv", _vars);
            Assert.Equal("DkimPrivateKeyNotFound", missing.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, missing.StatementTerminating!.CategoryInfo.Category);
        }

        [Fact]
        public void Test_MailDkim_timeout_is_an_error_and_the_pipeline_goes_on_and_Quiet_gives_booleans()
        {
            _dns.SetFault("weak._domainkey.dkim.example", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Test-MailDkim dkim.example good, weak, revoked -Server $srv -TimeoutSec 1 | Out-Null; Test-MailDkim dkim.example good -Server $srv -Quiet; Test-MailDkim dkim.example good, weak -Server $srv -TimeoutSec 1 -Quiet", _vars);
            var e = Assert.Single(run.Errors); // the first run's; -Quiet answers $false instead of writing it
            Assert.Equal("DnsTimeout,MailOps.Commands.TestMailDkimCommand", e.FullyQualifiedErrorId);
            Assert.Equal("weak._domainkey.dkim.example", e.TargetObject);
            Assert.Equal(new object[] { true, false }, run.Output.Select(o => o.BaseObject)); // one Boolean per invocation
        }

        [Fact]
        public void Test_MailDkim_ZoneFile_gives_the_same_results_offline()
        {
            const string script = "Test-MailDkim dkim.example good, weak, tiny, revoked, unknown, sha1, testing, nokey, badver, ed, twice, verify, alias, nosuch {0} | ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}|{{5}}' -f $_.Selector, $_.Found, $_.KeyType, $_.KeySize, $_.CnameTarget, $_.Findings }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $dkimZone -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Equal(14, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
        }

        // ---- Find-DkimSelector -------------------------------------------------------------------------------

        [Fact]
        public void Find_DkimSelector_emits_the_published_selectors_with_their_source()
        {
            var run = ModuleHost.Run("'dkim.example' | Find-DkimSelector -Selector custom2026 -Server $srv -ThrottleLimit 4", _vars);
            Assert.Empty(run.Errors);
            // In the order of the list (the built-in selectors, then -Selector), not the order the answers came.
            Assert.Equal(new object[] { "google", "selector1", "custom2026" }, run.Output.Select(o => o.Properties["Selector"].Value));
            var sorted = run.Output.OrderBy(o => (string)o.Properties["Selector"].Value).ToList();
            Assert.Equal("-Selector", sorted[0].Properties["Source"].Value);
            Assert.Contains("Microsoft 365", (string)sorted[2].Properties["Source"].Value);
            Assert.Equal("MailOps.Dkim.MailDkimRecord", run.Output[0].TypeNames[0]);
            var offline = ModuleHost.Run("Find-DkimSelector dkim.example custom2026 -ZoneFile $dkimZone -Server $dead | ForEach-Object Selector", _vars);
            Assert.Equal(new object[] { "custom2026", "google", "selector1" }, offline.Output.Select(o => o.BaseObject).OrderBy(x => (string)x));
        }

        [Fact]
        public void Find_DkimSelector_shows_the_probes_as_progress_under_the_fan_out_bar_and_completes_both()
        {
            var run = ModuleHost.Run("'dkim.example', 'football.example.com' | Find-DkimSelector -Server $srv -ThrottleLimit 2 -WarningAction SilentlyContinue", _vars);
            Assert.Empty(run.Errors);
            // The engine's progress (through the cmdlet's one sink): a record per domain's probes, a child of the fan-out bar.
            var probes = run.Progress.Where(p => p.ActivityId == 2 && p.RecordType == ProgressRecordType.Processing).ToList();
            Assert.NotEmpty(probes);
            Assert.All(probes, p => Assert.Equal(1, p.ParentActivityId));
            Assert.Contains(probes, p => p.Activity.StartsWith("DKIM selectors of ", StringComparison.Ordinal) && p.StatusDescription.Contains(" of "));
            Assert.Contains(run.Progress, p => p.ActivityId == 1);
            foreach (var g in run.Progress.GroupBy(p => p.ActivityId))
                Assert.Equal(ProgressRecordType.Completed, g.Last().RecordType);
        }

        [Fact]
        public void Find_DkimSelector_warns_when_nothing_is_found_and_reports_unanswered_selectors_as_errors()
        {
            _dns.SetFault("google._domainkey.dkim.example", FixtureDnsServer.Fault.ServFail);
            var run = ModuleHost.Run("Find-DkimSelector dkim.example, football.example.com -Server $srv", _vars);
            Assert.Equal("DnsServerFailure", Assert.Single(run.ErrorIds));
            Assert.Equal("google._domainkey.dkim.example", run.Errors[0].TargetObject);
            Assert.Equal(new object[] { "selector1" }, run.Output.Select(o => o.Properties["Selector"].Value));
            Assert.Contains(run.Warnings, w => w.Message.Contains("football.example.com") && w.Message.Contains("-Selector"));
        }

        // ---- Test-DkimSignature ------------------------------------------------------------------------------

        [Fact]
        public void Get_ChildItem_pipes_into_Test_DkimSignature_and_the_rfc8463_example_passes()
        {
            var run = ModuleHost.Run("$ExecutionContext.InvokeProvider.ChildItem.Get($fixtures, $false) | Where-Object Name -like 'rfc8463-*.eml' | Test-DkimSignature -ZoneFile $footballZone -Server $dead", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            Assert.All(run.Output, o => Assert.Equal("pass", o.Properties["Result"].Value));
            Assert.Equal(new object[] { "ed25519-sha256", "rsa-sha256" }, run.Output.Select(o => o.Properties["Algorithm"].Value));
            Assert.Equal(true, run.Prop(0, "FromSigned"));
            Assert.Equal("MailOps.Dkim.DkimSignatureResult", run.Output[0].TypeNames[0]);
            Assert.EndsWith("rfc8463-a3.eml", (string)run.Prop(0, "Path")!);
        }

        [DkimpyTheory]
        [InlineData("Rsa")]
        [InlineData("Ed25519")]
        public void Key_from_New_DkimKey_signed_by_dkimpy_verifies_with_its_txt_and_tampering_fails(string algorithm)
        {
            Dkimpy.Require();
            var key = ModuleHost.Run("New-DkimKey k1 example.com -Path $tmp -Algorithm $alg", new Dictionary<string, object?>(_vars) { ["alg"] = algorithm });
            Assert.Empty(key.Errors);
            var keyFile = (string)key.Prop(0, algorithm == "Rsa" ? "PrivateKeyPath" : "SeedPath")!;
            var plain = Path.Combine(_tmp, "plain.eml");
            File.WriteAllText(plain, Message);
            Dkimpy.Sign(plain, Path.Combine(_tmp, "signed.eml"), "k1", "example.com", keyFile, algorithm.ToLowerInvariant());
            File.WriteAllText(Path.Combine(_tmp, "tampered.eml"), File.ReadAllText(Path.Combine(_tmp, "signed.eml")).Replace("hungry", "angry"));
            var run = ModuleHost.Run(@"
$txt = [IO.Path]::Combine($tmp, 'k1.txt')
$ExecutionContext.InvokeProvider.ChildItem.Get($tmp, $false) | Where-Object Name -like '*.eml' | Test-DkimSignature -ZoneFile $txt -Server $dead | ForEach-Object { '{0}|{1}|{2}' -f [IO.Path]::GetFileName($_.Path), $_.Result, $_.Reason }
Test-DkimSignature ([IO.Path]::Combine($tmp, 'signed.eml')) -ZoneFile $txt -Server $dead -Quiet
Test-DkimSignature ([IO.Path]::Combine($tmp, 'signed.eml')), ([IO.Path]::Combine($tmp, 'plain.eml')) -ZoneFile $txt -Server $dead -Quiet
", _vars);
            Assert.Empty(run.Errors);
            var lines = run.Output.Take(3).Select(o => o.ToString()).OrderBy(x => x).Concat(run.Output.Skip(3).Select(o => o.ToString())).ToList();
            Assert.Equal("plain.eml|none|the message has no DKIM-Signature header field", lines[0]);
            Assert.Equal("signed.eml|pass|", lines[1]);
            Assert.StartsWith("tampered.eml|fail|body hash did not verify", lines[2]);
            Assert.Equal(new[] { "True", "False" }, lines.Skip(3));
        }

        [Fact]
        public void Key_fetch_timeout_is_temperror_with_a_warning_and_missing_files_are_errors()
        {
            _dns.SetFault("brisbane._domainkey.football.example.com", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Test-DkimSignature ([IO.Path]::Combine($fixtures, 'rfc8463-a3.eml')), ./no/such.eml -Server $srv -TimeoutSec 1", _vars);
            Assert.Equal(new object[] { "temperror", "pass" }, run.Output.Select(o => o.Properties["Result"].Value));
            Assert.Contains(run.Warnings, w => w.Message.Contains("temperror") && w.Message.Contains("brisbane"));
            var e = Assert.Single(run.Errors);
            Assert.Equal("MessageFileNotFound", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        }

        [DkimpyFact]
        public void Arc_chain_is_its_own_result()
        {
            Dkimpy.Require();
            var input = Path.Combine(_tmp, "in.eml");
            File.WriteAllText(input, "Authentication-Results: mx.dkim.example; dkim=pass header.d=example.com\r\n" + Message);
            Dkimpy.ArcSign(input, Path.Combine(_tmp, "arc.eml"), "good", "dkim.example", Paths.Fixture("dkim", "good.private"), "mx.dkim.example");
            var run = ModuleHost.Run("Test-DkimSignature ([IO.Path]::Combine($tmp, 'arc.eml')) -ZoneFile $dkimZone -Server $dead", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("none", run.Prop(0, "Result"));
            Assert.Equal("MailOps.Dkim.DkimArcResult", run.Output[1].TypeNames[0]);
            Assert.Equal("pass", run.Prop(1, "Result"));
            Assert.Equal(1, run.Prop(1, "Instances"));
        }
    }
}
