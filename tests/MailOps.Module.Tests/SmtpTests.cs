using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>A real Postfix for the pipeline tests (mail.smtp.test, certificate from a test CA).</summary>
    public sealed class ModulePostfixFixture : IDisposable
    {
        public ModulePostfixFixture()
        {
            Ca = TestCertificates.CreateCa("MailOps Module Test CA");
            Leaf = TestCertificates.CreateLeaf(Ca, new[] { "mail.smtp.test" });
            Server = PostfixServer.Unavailable() == null ? PostfixServer.Start(Leaf, Array.Empty<X509Certificate2>(), "mail.smtp.test") : null;
            CaPath = Path.Combine(Path.GetTempPath(), $"mailops-ca-{Guid.NewGuid():N}.pem");
            File.WriteAllText(CaPath, TestCertificates.CertificatePem(Ca));
        }

        public X509Certificate2 Ca { get; }
        public X509Certificate2 Leaf { get; }
        /// <summary>Null when Postfix cannot run here: the tests that need it are [PostfixFact] and skip.</summary>
        public PostfixServer? Server { get; }
        public string CaPath { get; }

        public void Dispose()
        {
            Server?.Dispose();
            File.Delete(CaPath);
        }
    }

    /// <summary>Test-SmtpService, Test-MailDane, New-TlsaRecord and Test-Port25Egress as a user types them: a real Postfix and
    /// scripted servers on 127.0.0.1, names from the fixture DNS server (or -ZoneFile).</summary>
    [Collection("Runspace")]
    public sealed class SmtpTests : IDisposable, IClassFixture<ModulePostfixFixture>
    {
        private const string Owner = "_25._tcp.mx.dane.smtp.test";
        private readonly ModulePostfixFixture _pf;
        private readonly FixtureDnsServer _dns;
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly List<string> _files = new();
        private readonly Dictionary<string, object?> _vars;

        public SmtpTests(ModulePostfixFixture pf)
        {
            _pf = pf;
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["pf"] = pf.Server?.Port ?? 0,
                ["pfTls"] = pf.Server?.ImplicitTlsPort ?? 0,
                ["ca"] = pf.CaPath,
                ["closed"] = ScriptedMailServer.ClosedPort(),
                ["dead"] = Paths.DeadServer,
            };
        }

        public void Dispose()
        {
            _dns.Dispose();
            foreach (var s in _servers) s.Dispose();
            foreach (var f in _files) File.Delete(f);
        }

        private int Serve(ScriptedMailServer s)
        {
            _servers.Add(s);
            return s.Start().Port;
        }

        private string TempFile(string text, string ext)
        {
            var p = Path.Combine(Path.GetTempPath(), $"mailops-{Guid.NewGuid():N}{ext}");
            File.WriteAllText(p, text);
            _files.Add(p);
            return p;
        }

        private PsRun Run(string script) => ModuleHost.Run(script, _vars);

        private static void NoErrors(PsRun run) =>
            Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));

        // ------------------------------------------------------------------ Test-SmtpService

        [PostfixFact]
        public void Postfix_passes_with_starttls_and_a_trusted_chain()
        {
            var run = Run("Test-SmtpService mail.smtp.test -Port $pf -Server $srv -TrustedCertificatePath $ca");
            NoErrors(run);
            var r = Assert.Single(run.Output);
            Assert.Equal("MailOps.Smtp.MailServiceResult", r.TypeNames[0]);
            Assert.Equal("Pass", r.Properties["Status"].Value);
            Assert.Equal("mail.smtp.test ESMTP MailOps test Postfix", r.Properties["Banner"].Value);
            Assert.Equal("STARTTLS", r.Properties["TlsMode"].Value);
            Assert.Equal("TLS 1.3", r.Properties["TlsVersion"].Value);
            Assert.Equal(true, r.Properties["ChainValid"].Value);
            Assert.Equal("CN=mail.smtp.test", r.Properties["CertificateSubject"].Value);
        }

        [PostfixFact]
        public void Postfix_without_the_ca_is_a_certificate_warning_and_wrappermode_is_implicit_tls()
        {
            var run = Run("Test-SmtpService mail.smtp.test -Port $pf -Server $srv; Test-SmtpService mail.smtp.test -Port $pfTls -Protocol Smtps -Server $srv -TrustedCertificatePath $ca");
            NoErrors(run);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("Warning", run.Prop(0, "Status"));
            Assert.Equal("CertificateUntrusted", run.Prop(0, "Findings")!.ToString()!.Split(':')[0].Split(' ')[1]);
            Assert.Equal("Implicit", run.Prop(1, "TlsMode"));
            Assert.Equal("SMTPS", run.Prop(1, "Protocol"));
        }

        [PostfixFact]
        public void Refused_port_is_an_error_and_the_other_port_still_reports()
        {
            var run = Run("Test-SmtpService 127.0.0.1 -Port $pf, $closed");
            var e = Assert.Single(run.Errors);
            Assert.Equal("MailConnectionRefused", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
            Assert.Equal($"127.0.0.1:{_vars["closed"]}", e.TargetObject);
            Assert.False(string.IsNullOrEmpty(e.ErrorDetails.RecommendedAction));
            Assert.Equal(2, run.Output.Count); // written as each probe ends: the refused port's row usually comes first
            var byPort = run.Output.ToDictionary(o => (int)o.Properties["Port"].Value, o => (string)o.Properties["Status"].Value);
            Assert.Equal("Unreachable", byPort[(int)_vars["closed"]!]);
            Assert.NotEqual("Unreachable", byPort[_pf.Server!.Port]);
        }

        [Fact]
        public void Rows_come_in_input_order_even_when_a_later_port_answers_first()
        {
            // The first port greets after 1.5 s, the second at once: the rows follow -Port, not the finishing order.
            _vars["slow"] = Serve(new ScriptedMailServer { BannerDelay = TimeSpan.FromMilliseconds(1500) });
            _vars["fast"] = Serve(new ScriptedMailServer());
            var run = Run("Test-SmtpService 127.0.0.1 -Port $slow, $fast -Protocol Smtp -TimeoutSec 5 -ThrottleLimit 4 | ForEach-Object Port");
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { _vars["slow"]!, _vars["fast"]! }, run.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void Silent_server_is_a_no_banner_timeout()
        {
            _vars["silent"] = Serve(new ScriptedMailServer { Banner = null });
            var run = Run("Test-SmtpService 127.0.0.1 -Port $silent -TimeoutSec 1");
            Assert.Equal("Error", Assert.Single(run.Output).Properties["Status"].Value); // reached, but no greeting
            Assert.Contains("greeting", (string)run.Prop(0, "CouldNotCheck")!, StringComparison.OrdinalIgnoreCase);
            var e = Assert.Single(run.Errors);
            Assert.Equal("MailNoBanner,MailOps.Commands.TestSmtpServiceCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
        }

        [Fact]
        public void Get_MailMx_output_binds_by_property_name()
        {
            _vars["p"] = Serve(new ScriptedMailServer { Banner = "220 mx.dane.smtp.test ESMTP" });
            var run = Run("Get-MailMx dane.smtp.test -Server $srv | Test-SmtpService -Port $p -Server $srv");
            NoErrors(run);
            var r = Assert.Single(run.Output);
            Assert.Equal("mx.dane.smtp.test", r.Properties["HostName"].Value);
            Assert.Equal("Fail", r.Properties["Status"].Value); // no STARTTLS
            Assert.Equal("NoStartTls", ((System.Collections.IEnumerable)r.Properties["Findings"].Value).Cast<object>().Select(f => PSObject.AsPSObject(f).Properties["Code"].Value).Single());
        }

        [PostfixFact]
        public void Csv_style_objects_bind_by_ComputerName_and_Quiet_returns_booleans()
        {
            var run = Run("@([pscustomobject]@{ ComputerName = '127.0.0.1' }) | Test-SmtpService -Port $pf -Quiet -TrustedCertificatePath $ca; @([pscustomobject]@{ ComputerName = '127.0.0.1' }) | Test-SmtpService -Port $pf, $closed -Quiet -TrustedCertificatePath $ca");
            NoErrors(run);
            Assert.Equal(new object[] { true, false }, run.Output.Select(o => o.BaseObject)); // one per invocation: a refused port is $false
        }

        [Fact]
        public void Expired_certificate_is_a_finding_on_an_object_that_exports_as_text()
        {
            var expired = TestCertificates.CreateLeaf(_pf.Ca, new[] { "mail.smtp.test" }, DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(-2));
            _vars["p"] = Serve(new ScriptedMailServer { Banner = "220 mail.smtp.test ESMTP", Certificate = expired });
            var run = Run("$r = Test-SmtpService mail.smtp.test -Port $p -Server $srv -TrustedCertificatePath $ca; $r.Status; $r.Findings.ToString(); $r.DaysToExpiry");
            NoErrors(run);
            Assert.Equal("Fail", run.Output[0].BaseObject);
            Assert.StartsWith("Fail CertificateExpired:", (string)run.Output[1].BaseObject);
            Assert.InRange((int)run.Output[2].BaseObject, -3, -2);
        }

        [Fact]
        public void Imaps_port_is_probed_with_the_imap_protocol()
        {
            var leaf = TestCertificates.CreateLeaf(_pf.Ca, new[] { "mail.smtp.test" });
            _vars["p"] = Serve(new ScriptedMailServer { Imap = true, ImplicitTls = true, Banner = "* OK IMAP ready", Certificate = leaf });
            var run = Run("Test-SmtpService mail.smtp.test -Port $p -Protocol Imaps -Server $srv -TrustedCertificatePath $ca");
            NoErrors(run);
            Assert.Equal("IMAPS", run.Prop(0, "Protocol"));
            Assert.Equal("Pass", run.Prop(0, "Status"));
        }

        [PostfixFact]
        public void Missing_trusted_certificate_file_stops_the_command()
        {
            var run = Run("Test-SmtpService 127.0.0.1 -Port $pf -TrustedCertificatePath ./no/such.pem");
            Assert.Empty(run.Output);
            Assert.Equal("CertificateFileNotFound", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
        }

        // ------------------------------------------------------------------ Test-MailDane

        private int DaneServer(X509Certificate2 leaf) => Serve(new ScriptedMailServer { Banner = "220 mx.dane.smtp.test ESMTP", Certificate = leaf });

        [Fact]
        public void Dane_valid_through_a_validating_resolver_that_needs_the_do_bit()
        {
            var leaf = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" });
            _dns.LoadMasterFile(TestCertificates.TlsaLine(Owner, leaf, 3, 1, 1));
            _dns.AuthenticData = true;
            _dns.AuthenticDataOnlyWhenAsked = true;
            _vars["p"] = DaneServer(leaf);
            var run = Run("Test-MailDane dane.smtp.test -Server $srv -Port $p");
            NoErrors(run);
            var r = Assert.Single(run.Output);
            Assert.Equal("MailOps.Smtp.MailDaneResult", r.TypeNames[0]);
            Assert.Equal("Valid", r.Properties["DaneStatus"].Value);
            Assert.Equal(true, r.Properties["DnssecValidated"].Value);
            Assert.Equal($"3 1 1 {TestCertificates.TlsaData(leaf, 1, 1)}", r.Properties["MatchedRecord"].Value);
            Assert.Equal("SingleKey", r.Properties["Rollover"].Value);
        }

        [Fact]
        public void Dane_host_objects_bind_and_quiet_is_false_on_a_mismatch()
        {
            var leaf = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" });
            var other = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" });
            _dns.LoadMasterFile(TestCertificates.TlsaLine(Owner, other, 3, 1, 1));
            _dns.AuthenticData = true;
            _vars["p"] = DaneServer(leaf);
            var run = Run("[pscustomobject]@{ HostName = 'mx.dane.smtp.test' } | Test-MailDane -Server $srv -Port $p; Test-MailDane -HostName mx.dane.smtp.test -Server $srv -Port $p -Quiet");
            NoErrors(run);
            Assert.Equal("NoMatch", run.Prop(0, "DaneStatus"));
            Assert.Equal(false, run.Output[1].BaseObject);
        }

        [Fact]
        public void Tlsa_servfail_is_an_error_not_no_tlsa()
        {
            _dns.SetFault(Owner, FixtureDnsServer.Fault.ServFail);
            var run = Run("Test-MailDane dane.smtp.test, nullmx.smtp.test -Server $srv");
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsServerFailure", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("mx.dane.smtp.test", e.TargetObject);
            Assert.Equal("NotChecked", Assert.Single(run.Output).Properties["DaneStatus"].Value); // the null MX domain still reports
        }

        [Fact]
        public void Dane_from_a_zone_file_says_dnssec_was_not_checked()
        {
            var leaf = TestCertificates.CreateLeaf(null, new[] { "mx.dane.smtp.test" });
            _vars["zone"] = TempFile(File.ReadAllText(Paths.DnsFixture("smtp.test.zone")) + TestCertificates.TlsaLine(Owner, leaf, 3, 1, 1) + "\n", ".zone");
            _vars["p"] = DaneServer(leaf);
            var run = Run("Test-MailDane dane.smtp.test -ZoneFile $zone -Server $dead -Port $p | ForEach-Object { $_.DaneStatus; ($_.Findings | ForEach-Object Code) -join ',' }");
            NoErrors(run);
            Assert.Equal("Valid", run.Output[0].BaseObject);
            Assert.Contains("DnssecNotChecked", (string)run.Output[1].BaseObject);
        }

        // ------------------------------------------------------------------ New-TlsaRecord

        [Fact]
        public void New_TlsaRecord_from_a_relative_certificate_path()
        {
            var dir = Path.Combine(Path.GetTempPath(), $"mailops-tlsa-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "fullchain.pem"), TestCertificates.CertificatePem(_pf.Leaf, _pf.Ca));
                _vars["dir"] = dir;
                var run = Run("$null = $ExecutionContext.SessionState.Path.SetLocation($dir); New-TlsaRecord ./fullchain.pem; New-TlsaRecord -CertificatePath fullchain.pem -Usage 2 -ServerName mx.example.net | ForEach-Object Record");
                NoErrors(run);
                Assert.Equal("MailOps.Smtp.TlsaRecordLine", run.Output[0].TypeNames[0]);
                Assert.Equal($"_25._tcp.mail.smtp.test. IN TLSA 3 1 1 {TestCertificates.TlsaData(_pf.Leaf, 1, 1)}", run.Prop(0, "Record"));
                Assert.Equal($"_25._tcp.mx.example.net. IN TLSA 2 1 1 {TestCertificates.TlsaData(_pf.Ca, 1, 1)}", run.Output[1].BaseObject);
            }
            finally { Directory.Delete(dir, true); }
        }

        [PostfixFact]
        public void New_TlsaRecord_from_the_live_postfix()
        {
            var run = Run("New-TlsaRecord -HostName mail.smtp.test -Port $pf -Server $srv -Selector 0 -MatchingType 2");
            NoErrors(run);
            Assert.Equal($"_{_pf.Server!.Port}._tcp.mail.smtp.test. IN TLSA 3 0 2 {TestCertificates.TlsaData(_pf.Leaf, 0, 2)}", run.Prop(0, "Record"));
        }

        [Fact]
        public void New_TlsaRecord_usage_2_without_a_ca_stops_and_a_missing_file_stops()
        {
            _vars["leaf"] = TempFile(TestCertificates.CertificatePem(_pf.Leaf), ".pem");
            var run = Run("New-TlsaRecord -CertificatePath $leaf -Usage 2");
            Assert.Equal("InvalidTlsaParameters", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            var missing = Run("New-TlsaRecord -CertificatePath ./nope.pem");
            Assert.Equal("CertificateFileNotFound", missing.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, missing.StatementTerminating!.CategoryInfo.Category);
        }

        [Fact]
        public void New_TlsaRecord_pkix_usage_warns()
        {
            _vars["leaf"] = TempFile(TestCertificates.CertificatePem(_pf.Leaf), ".pem");
            var run = Run("New-TlsaRecord -CertificatePath $leaf -Usage 1");
            Assert.Single(run.Output);
            Assert.Contains(run.Warnings, w => w.Message.Contains("RFC 7672"));
        }

        // ------------------------------------------------------------------ Test-Port25Egress

        [Fact]
        public void Egress_open_on_the_targets_own_banner()
        {
            _vars["p"] = Serve(new ScriptedMailServer { Banner = "220 mx.good.smtp.test ESMTP" });
            var run = Run("Test-Port25Egress -Target \"mx.good.smtp.test:$p\" -Server $srv");
            NoErrors(run);
            var r = Assert.Single(run.Output);
            Assert.Equal("MailOps.Smtp.Port25EgressResult", r.TypeNames[0]);
            Assert.Equal("Open", r.Properties["Verdict"].Value);
            Assert.Null(r.Properties["Remedy"].Value);
        }

        [Fact]
        public void Egress_blocked_when_only_the_control_port_answers_with_the_remedy_as_a_warning()
        {
            _vars["ctl"] = Serve(new ScriptedMailServer { Banner = null });
            _vars["silent"] = Serve(new ScriptedMailServer { Banner = null });
            _vars["foreign"] = Serve(new ScriptedMailServer { Banner = "220 filter.isp.example ESMTP" });
            var run = Run("\"mx.good.smtp.test:$closed\", \"mx.good.smtp.test:$silent\" | Test-Port25Egress -ControlPort $closed, $ctl -Server $srv -TimeoutSec 1; Test-Port25Egress \"mx.good.smtp.test:$foreign\" -Server $srv -Quiet");
            NoErrors(run);
            var r = run.Output[0];
            Assert.Equal("Blocked", r.Properties["Verdict"].Value);
            Assert.Equal(2, r.Properties["BlockedCount"].Value);
            Assert.Contains("587", (string)r.Properties["Remedy"].Value);
            var targets = ((System.Collections.IEnumerable)r.Properties["Targets"].Value).Cast<object>().Select(PSObject.AsPSObject).ToList();
            Assert.Equal(new[] { "Refused", "NoBanner" }, targets.Select(t => t.Properties["SmtpResult"].Value));
            Assert.Contains(run.Warnings, w => w.Message.Contains("unblock"));
            Assert.Equal(false, run.Output[1].BaseObject); // intercepted is not open
        }

        [Fact]
        public void Egress_default_targets_are_resolved_from_the_providers_mx()
        {
            _dns.LoadMasterFile(@"gmail.com. 300 IN MX 5 gmail-smtp-in.l.google.com.
gmail-smtp-in.l.google.com. 300 IN A 127.0.0.1
outlook.com. 300 IN MX 5 outlook-com.olc.protection.outlook.com.
outlook-com.olc.protection.outlook.com. 300 IN A 127.0.0.1");
            _dns.SetFault("yahoo.com", FixtureDnsServer.Fault.Refused);
            var run = Run("$r = Test-Port25Egress -Server $srv -ControlPort $closed -TimeoutSec 2; $r.Targets | ForEach-Object { $_.Provider + '=' + $_.Target }");
            Assert.Equal(new[] { "gmail.com=gmail-smtp-in.l.google.com", "outlook.com=outlook-com.olc.protection.outlook.com" }, run.Output.Select(o => o.ToString()));
            Assert.Contains(run.Warnings, w => w.Message.Contains("yahoo.com") && w.Message.Contains("REFUSED"));
        }

        [Fact]
        public void Egress_bad_target_is_an_error_for_that_item()
        {
            var run = Run("Test-Port25Egress 'host:99999', \"127.0.0.1:$closed\" -ControlPort $closed");
            Assert.Equal(new[] { "InvalidTarget", "EgressUnreachable" }, run.ErrorIds); // the bad target, then: nothing answered
            Assert.Equal("Unreachable", run.Prop(0, "Verdict"));
        }
    }
}
