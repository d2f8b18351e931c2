using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailServer -Service, -Local and -Relay as a user types them, against scripted loopback servers and the
    /// fixture DNS server.</summary>
    [Collection("Runspace")]
    public sealed class MailServerRelayTests : IDisposable
    {
        private const string Secret = "Relay-Pa55word-7f3c";
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("MailOps Module Relay CA");
        private readonly FixtureDnsServer _dns;
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly Dictionary<string, object?> _vars;
        private readonly string _caPath;

        public MailServerRelayTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in new[] { "server/relay/relay.example.zone", "server/relay/sendgrid.net.zone", "server/relay/amazonses.com.zone", "smtp.test.zone", "server/bl.spamcop.net.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture(z));
            _caPath = Path.Combine(Path.GetTempPath(), $"mailops-relay-ca-{Guid.NewGuid():N}.pem");
            File.WriteAllText(_caPath, TestCertificates.CertificatePem(Ca));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["ca"] = _caPath,
                ["closed"] = ScriptedMailServer.ClosedPort(),
                ["cred"] = Credential(Secret),
            };
        }

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
            _dns.Dispose();
            File.Delete(_caPath);
        }

        private static PSCredential Credential(string password) => new("apikey", new NetworkCredential("", password).SecurePassword);

        private ScriptedMailServer Relay(string[]? afterTls = null)
        {
            var s = new ScriptedMailServer
            {
                Banner = "220 smtp.sendgrid.net ESMTP",
                EhloName = "smtp.sendgrid.net",
                Certificate = TestCertificates.CreateLeaf(Ca, new[] { "smtp.sendgrid.net", "mail.test" }),
                Chain = new[] { Ca },
                ExtensionsAfterTls = afterTls ?? new[] { "PIPELINING", "AUTH PLAIN LOGIN" },
                AcceptLogin = ("apikey", Secret),
            };
            _servers.Add(s);
            return s.Start();
        }

        private static IEnumerable<string> Codes(PSObject r) =>
            ((IEnumerable<object>)r.Properties["Findings"].Value).Select(f => (string)PSObject.AsPSObject(f).Properties["Code"].Value);

        private static void NoErrors(PsRun run) =>
            Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));

        [Fact]
        public void Relay_with_a_domain_logs_in_and_checks_the_providers_spf_include_and_dkim_selector()
        {
            var s = Relay();
            _vars["p"] = s.Port;
            var run = ModuleHost.Run("Test-MailServer -Relay \"smtp.sendgrid.net:$p\" -Credential $cred -Domain good.relay.example -Server $srv -TrustedCertificatePath $ca", _vars);
            NoErrors(run);
            var r = Assert.Single(run.Output);
            Assert.Equal("MailOps.Server.MailRelayResult", r.BaseObject.GetType().FullName);
            Assert.Equal("Accepted", r.Properties["Login"].Value);
            Assert.Equal("SendGrid", r.Properties["Provider"].Value);
            Assert.Equal(true, r.Properties["SpfAuthorizesRelay"].Value);
            Assert.Equal("s1", r.Properties["DkimSelectorFound"].Value!.ToString());
            Assert.Equal("Pass", r.Properties["Status"].Value);
            Assert.Equal(0, s.MessageCommands);
            var quiet = ModuleHost.Run("Test-MailServer -Relay \"smtp.sendgrid.net:$p\" -Credential $cred -Server $srv -TrustedCertificatePath $ca -Quiet", _vars);
            Assert.Equal(new object[] { true }, quiet.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void A_wrong_password_is_RelayAuthenticationFailed_and_no_credential_text_appears_anywhere()
        {
            var s = Relay();
            var wrong = "Wr0ng-" + Guid.NewGuid().ToString("N");
            _vars["p"] = s.Port;
            _vars["bad"] = Credential(wrong);
            var run = ModuleHost.Run("Test-MailServer -Relay \"smtp.sendgrid.net:$p\" -Credential $bad -Domain bare.relay.example -Server $srv -TrustedCertificatePath $ca -Verbose", _vars);
            var error = Assert.Single(run.Errors);
            Assert.Equal("RelayAuthenticationFailed", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.SecurityError, error.CategoryInfo.Category);
            Assert.Equal($"smtp.sendgrid.net:{s.Port}", error.TargetObject);
            var r = Assert.Single(run.Output);
            Assert.Equal("Rejected", r.Properties["Login"].Value);
            Assert.Contains("AuthRejected", Codes(r));
            Assert.Contains("SpfMissingRelayInclude", Codes(r));
            Assert.Contains("DkimRelaySelectorMissing", Codes(r));
            Assert.NotEmpty(run.Verbose);
            var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0apikey\0" + wrong));
            var everything = string.Join("\n", run.Verbose.Select(v => v.Message)
                .Concat(run.Errors.Select(e => e.ToString() + e.ErrorDetails?.RecommendedAction + e.Exception?.Message))
                .Concat(run.Warnings.Select(w => w.Message))
                .Concat(r.Properties.Select(p => Convert.ToString(p.Value) ?? "")));
            Assert.DoesNotContain(wrong, everything);
            Assert.DoesNotContain(token, everything);
        }

        [Fact]
        public void Relay_without_auth_inside_tls_is_AuthNotOffered_and_a_closed_relay_is_an_error_with_a_row()
        {
            _vars["p"] = Relay(new[] { "PIPELINING" }).Port;
            var run = ModuleHost.Run("Test-MailServer -Relay \"127.0.0.1:$p\" -Credential $cred -TrustedCertificatePath $ca; Test-MailServer -Relay \"127.0.0.1:$closed\" -Credential $cred", _vars);
            Assert.Equal("NotOffered", run.Prop(0, "Login"));
            Assert.Contains("AuthNotOffered", Codes(run.Output[0]));
            Assert.Equal("Unreachable", run.Prop(1, "Status"));
            Assert.Single(run.Errors);
        }

        [Fact]
        public void Service_probes_the_ports_given_and_merges_their_findings()
        {
            _vars["p"] = Serve(new ScriptedMailServer { Banner = "220 mail.test ESMTP" });
            var run = ModuleHost.Run("Test-MailServer 127.0.0.1 -HeloName mail.test -NoAsn -Zone bl.spamcop.net -Server $srv -ServicePort @{ Smtp = $p; Submission = $closed } -TrustedCertificatePath $ca", _vars);
            var r = Assert.Single(run.Output);
            var services = ((IEnumerable<object>)r.Properties["Services"].Value).Select(PSObject.AsPSObject).ToList();
            Assert.Equal(2, services.Count);
            Assert.Contains(services, x => (string)x.Properties["Protocol"].Value == "SMTP" && (int)x.Properties["Port"].Value == (int)_vars["p"]!);
            Assert.Contains("NoStartTls", Codes(r));
            Assert.Contains("ServiceNotOffered", Codes(r));
            Assert.Equal("Fail", r.Properties["Status"].Value);
        }

        [Fact]
        public void A_bad_ServicePort_entry_ends_the_command_with_InvalidServicePort()
        {
            var run = ModuleHost.Run("Test-MailServer 127.0.0.1 -NoAsn -Zone bl.spamcop.net -Server $srv -ServicePort @{ Smtpx = 25 }", _vars);
            Assert.Equal("InvalidServicePort", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Empty(run.Output);
        }

        [Fact]
        public void Local_runs_the_egress_check_once_and_attaches_it_to_every_address()
        {
            var target = new ScriptedMailServer { Banner = "220 mx.good.smtp.test ESMTP" };
            _servers.Add(target.Start());
            _vars["eg"] = target.Port;
            var run = ModuleHost.Run("'127.0.0.1', '127.0.0.2' | Test-MailServer -NoAsn -Zone bl.spamcop.net -Server $srv -Local -EgressTarget \"mx.good.smtp.test:$eg\"", _vars);
            Assert.Equal(2, run.Output.Count);
            foreach (var r in run.Output)
                Assert.Equal("Open", PSObject.AsPSObject(r.Properties["Port25Egress"].Value).Properties["Verdict"].Value);
            Assert.Equal(1, target.Connections);
            var blocked = ModuleHost.Run("Test-MailServer 127.0.0.1 -NoAsn -Zone bl.spamcop.net -Server $srv -Local -EgressTarget \"mx.good.smtp.test:$closed\"", _vars);
            Assert.Contains("EgressUnreachable", blocked.ErrorIds);
            Assert.Equal("Incomplete", blocked.Prop(0, "Status"));
        }

        [Fact]
        public void Relay_completes_the_known_provider_hosts()
        {
            var run = ModuleHost.Run("$s = 'Test-MailServer -Relay smtp-relay.b'; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches | ForEach-Object CompletionText");
            Assert.Equal(new object[] { "smtp-relay.brevo.com" }, run.Output.Select(o => o.BaseObject));
        }

        private int Serve(ScriptedMailServer s)
        {
            _servers.Add(s);
            return s.Start().Port;
        }
    }
}
