using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Server;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Server
{
    /// <summary>Test-MailServer's relay mode (engine): a login inside TLS against scripted loopback relays, never a password
    /// before TLS, never a message; and the sending domain's SPF include and DKIM keys for the relay against fixture DNS.</summary>
    public sealed class MailRelayCheckTests : IDisposable
    {
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("MailOps Relay Test CA");
        private const string Secret = "s3cret-Passw0rd";
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly FixtureDnsServer _dns;

        public MailRelayCheckTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in new[] { "server/relay/relay.example.zone", "server/relay/sendgrid.net.zone", "server/relay/amazonses.com.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture(z));
        }

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
            _dns.Dispose();
        }

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromSeconds(2), 0));

        /// <summary>A relay named <paramref name="name"/> (its certificate says so) offering AUTH PLAIN LOGIN inside TLS only.</summary>
        private ScriptedMailServer Relay(string name = "smtp.sendgrid.net", string[]? before = null, string[]? after = null, bool implicitTls = false, bool certificate = true)
        {
            var s = new ScriptedMailServer
            {
                Banner = $"220 {name} ESMTP",
                EhloName = name,
                Certificate = certificate ? TestCertificates.CreateLeaf(Ca, new[] { name }) : null,
                Chain = new[] { Ca },
                Extensions = before ?? new[] { "PIPELINING" },
                ExtensionsAfterTls = after ?? new[] { "PIPELINING", "AUTH PLAIN LOGIN" },
                AcceptLogin = ("apikey", Secret),
                ImplicitTls = implicitTls,
            };
            _servers.Add(s);
            return s.Start();
        }

        private static MailRelayOptions Options(string? domain = null, bool? implicitTls = null, params string[] selectors) => new()
        {
            Timeout = TimeSpan.FromSeconds(5),
            TrustedCertificates = new[] { Ca },
            Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
            Domain = domain,
            ImplicitTls = implicitTls,
            DkimSelectors = selectors,
        };

        private Task<MailRelayOutcome> Run(ScriptedMailServer s, string password = Secret, MailRelayOptions? o = null, string host = "smtp.sendgrid.net") =>
            MailRelayCheck.RunAsync(Dns(), host, s.Port, new NetworkCredential("apikey", password), o ?? Options(), CancellationToken.None);

        private static string[] Codes(MailRelayResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Fact]
        public async Task A_good_relay_accepts_the_login_inside_starttls_and_no_message_is_sent()
        {
            var s = Relay();
            var o = await Run(s);
            var r = o.Result;
            Assert.Null(o.ConnectionFailure);
            Assert.Equal("Accepted", r.Login);
            Assert.True(r.Authenticated);
            Assert.Equal("PLAIN", r.AuthMechanism);
            Assert.Equal("STARTTLS", r.TlsMode);
            Assert.Equal("SendGrid", r.Provider);
            Assert.Equal("Pass", r.Status);
            Assert.Empty(r.Findings);
            Assert.Equal(1, s.LoginsAccepted);
            Assert.Equal(0, s.AuthBeforeTlsCount);
            Assert.Equal(0, s.MessageCommands);
            // EHLO, STARTTLS, EHLO, AUTH, QUIT - in that order: AUTH only after the handshake.
            var verbs = s.Received.Select(l => l.Split(' ')[0]).ToList();
            Assert.Equal(new[] { "EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT" }, verbs);
        }

        [Fact]
        public async Task A_wrong_password_is_AuthRejected_and_the_password_is_nowhere_in_the_result()
        {
            var s = Relay();
            var wrong = "wr0ng-" + Guid.NewGuid().ToString("N");
            var r = (await Run(s, wrong)).Result;
            Assert.Equal("Rejected", r.Login);
            Assert.False(r.Authenticated);
            Assert.Equal("Fail", r.Status);
            Assert.Contains("AuthRejected", Codes(r));
            Assert.StartsWith("535", r.AuthReply);
            var text = string.Join("\n", new[] { r.ToString(), r.AuthReply, r.Service?.ToString() }.Concat(r.Findings.Select(f => f.Message + f.Remedy)));
            Assert.DoesNotContain(wrong, text);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0apikey\0" + wrong)), text);
        }

        [Fact]
        public async Task A_server_that_echoes_the_credential_has_it_redacted()
        {
            var s = new ScriptedMailServer
            {
                Banner = "220 smtp.sendgrid.net ESMTP", Certificate = TestCertificates.CreateLeaf(Ca, new[] { "smtp.sendgrid.net" }), Chain = new[] { Ca },
                ExtensionsAfterTls = new[] { "AUTH PLAIN" }, AcceptLogin = ("apikey", Secret), EchoCredentialsOnFailure = true,
            };
            _servers.Add(s.Start());
            var wrong = "echo-" + Guid.NewGuid().ToString("N");
            var r = (await MailRelayCheck.RunAsync(Dns(), "smtp.sendgrid.net", s.Port, new NetworkCredential("relay-user@example.com", wrong), Options(), CancellationToken.None)).Result;
            Assert.Equal("Rejected", r.Login);
            Assert.StartsWith("535", r.AuthReply);
            Assert.Contains("***", r.AuthReply);
            var text = string.Join("\n", r.Findings.Select(f => f.Message)) + r.AuthReply;
            Assert.DoesNotContain(wrong, text);
            Assert.DoesNotContain("relay-user@example.com", text);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0relay-user@example.com\0" + wrong)), text);
        }

        [Fact]
        public async Task No_starttls_means_no_password_sent_even_when_auth_is_offered_in_clear()
        {
            var s = Relay(before: new[] { "AUTH PLAIN LOGIN" }, certificate: false);
            var r = (await Run(s)).Result;
            Assert.Equal("NoTls", r.Login);
            Assert.Contains("NoTlsBeforeAuth", Codes(r));
            Assert.Contains("NoStartTls", Codes(r));
            Assert.Equal(0, s.AuthBeforeTlsCount);
            Assert.DoesNotContain(s.Received, l => l.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
        }

        [Fact]
        public async Task A_broken_handshake_sends_no_password()
        {
            var s = new ScriptedMailServer { Banner = "220 smtp.sendgrid.net ESMTP", AdvertiseStartTls = true, BreakHandshake = true, AcceptLogin = ("apikey", Secret), ExtensionsAfterTls = new[] { "AUTH PLAIN" } };
            _servers.Add(s.Start());
            var r = (await Run(s)).Result;
            Assert.Equal("NoTls", r.Login);
            Assert.Contains("TlsHandshakeFailed", Codes(r));
            Assert.DoesNotContain(s.Received, l => l.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
        }

        [Fact]
        public async Task Login_is_used_when_plain_is_not_offered()
        {
            var s = Relay(after: new[] { "AUTH LOGIN" });
            var r = (await Run(s)).Result;
            Assert.Equal("Accepted", r.Login);
            Assert.Equal("LOGIN", r.AuthMechanism);
            Assert.Equal(1, s.LoginsAccepted);
        }

        [Fact]
        public async Task No_auth_inside_tls_is_AuthNotOffered()
        {
            var s = Relay(after: new[] { "PIPELINING" });
            var r = (await Run(s)).Result;
            Assert.Equal("NotOffered", r.Login);
            Assert.Contains("AuthNotOffered", Codes(r));
            Assert.Equal("Fail", r.Status);
        }

        [Fact]
        public async Task Implicit_tls_logs_in_at_once()
        {
            var s = Relay(implicitTls: true);
            var r = (await Run(s, o: Options(implicitTls: true))).Result;
            Assert.Equal("Implicit", r.TlsMode);
            Assert.Equal("Accepted", r.Login);
            Assert.Equal(new[] { "EHLO", "AUTH", "QUIT" }, s.Received.Select(l => l.Split(' ')[0]));
        }

        [Fact]
        public async Task A_closed_relay_port_is_Unreachable_with_the_connection_failure()
        {
            var o = await MailRelayCheck.RunAsync(Dns(), "smtp.sendgrid.net", ScriptedMailServer.ClosedPort(), new NetworkCredential("apikey", Secret), Options(), CancellationToken.None);
            Assert.NotNull(o.ConnectionFailure);
            Assert.Equal(MailConnectionFailure.Refused, o.ConnectionFailure!.Failure);
            Assert.Equal("Unreachable", o.Result.Status);
            Assert.Null(o.Result.Login);
        }

        [Fact]
        public async Task The_domain_authorises_the_relay_through_a_nested_include_and_publishes_its_selector()
        {
            var r = (await Run(Relay(), o: Options("good.relay.example"))).Result;
            Assert.True(r.SpfAuthorizesRelay);
            Assert.Equal("include:sendgrid.net", r.SpfInclude);
            Assert.Equal(new[] { "s1" }, r.DkimSelectorFound);
            Assert.Equal(new[] { "s1", "s2" }, r.DkimSelectors.Select(d => d.Selector));
            Assert.Equal("Pass", r.Status);
        }

        [Fact]
        public async Task A_domain_without_the_include_and_key_gets_both_findings()
        {
            // Mailgun checks SPF at the sending domain: a missing include is a Warning with the include to add.
            var r = (await Run(Relay("smtp.mailgun.org"), o: Options("bare.relay.example"), host: "smtp.mailgun.org")).Result;
            Assert.Equal("Mailgun", r.Provider);
            Assert.False(r.SpfAuthorizesRelay);
            var spf = r.Findings.Single(f => f.Code == "SpfMissingRelayInclude");
            Assert.Equal("Warning", spf.Severity);
            Assert.Contains("include:mailgun.org", spf.Remedy);
            Assert.Contains("https://", spf.Remedy);
            Assert.Contains("DkimRelaySelectorMissing", Codes(r));
            Assert.Equal("Fail", r.Status);
        }

        [Fact]
        public async Task A_provider_with_its_own_return_path_makes_the_missing_include_information()
        {
            // SendGrid (like Amazon SES, Postmark, Brevo) sends with its own or a CNAMEd return-path: SPF is checked there.
            var r = (await Run(Relay(), o: Options("bare.relay.example"))).Result;
            Assert.False(r.SpfAuthorizesRelay);
            Assert.Equal("Info", r.Findings.Single(f => f.Code == "SpfMissingRelayInclude").Severity);
            Assert.Contains("DkimRelaySelectorMissing", Codes(r));
        }

        [Fact]
        public async Task Per_domain_selectors_cannot_be_guessed_until_given()
        {
            var s = Relay("email-smtp.eu-west-1.amazonaws.com");
            var unknown = (await Run(s, o: Options("ses.relay.example"), host: "email-smtp.eu-west-1.amazonaws.com")).Result;
            Assert.Equal("Amazon SES", unknown.Provider);
            Assert.True(unknown.SpfAuthorizesRelay);
            Assert.Contains("DkimRelaySelectorUnknown", Codes(unknown));
            Assert.Equal("Pass", unknown.Status);
            var given = (await Run(s, o: Options("ses.relay.example", null, "abcdef123456"), host: "email-smtp.eu-west-1.amazonaws.com")).Result;
            Assert.Equal(new[] { "abcdef123456" }, given.DkimSelectorFound);
            Assert.DoesNotContain("DkimRelaySelectorUnknown", Codes(given));
        }

        [Fact]
        public async Task An_unanswered_spf_question_makes_the_result_Incomplete_never_a_missing_include()
        {
            _dns.SetFault("good.relay.example", FixtureDnsServer.Fault.ServFail);
            var o = await Run(Relay(), o: Options("good.relay.example"));
            Assert.Equal("Incomplete", o.Result.Status);
            Assert.Null(o.Result.SpfAuthorizesRelay);
            Assert.DoesNotContain("SpfMissingRelayInclude", Codes(o.Result));
            Assert.Contains(o.Failures, f => f.Area == "Spf");
        }

        [Fact]
        public void Every_provider_entry_has_https_sources_and_host_patterns_match_regions_only()
        {
            var all = MailRelayProvider.BuiltIn;
            foreach (var name in new[] { "Amazon SES", "Mailgun", "SendGrid", "Postmark", "Brevo" })
                Assert.Contains(all, p => p.Name == name);
            Assert.All(all, p =>
            {
                Assert.NotEmpty(p.Sources);
                Assert.All(p.Sources, u => Assert.StartsWith("https://", u));
                Assert.NotEmpty(p.HostPatterns);
                Assert.NotEmpty(p.SpfIncludes);
            });
            Assert.Equal("Amazon SES", MailRelayProvider.ForHost("email-smtp.us-east-1.amazonaws.com")?.Name);
            Assert.Null(MailRelayProvider.ForHost("email-smtp.a.b.amazonaws.com"));
            Assert.Equal("Brevo", MailRelayProvider.ForHost("SMTP-RELAY.BREVO.COM.")?.Name);
            Assert.Null(MailRelayProvider.ForHost("smtp.example.net"));
            Assert.Throws<FormatException>(() => MailRelayProvider.Parse("X\tsmtp.x\tx\t-\t-\tdomain\thttp://insecure.example"));
            Assert.Throws<FormatException>(() => MailRelayProvider.Parse("X\tsmtp.x\tx\t-\t-\tsomewhere\thttps://x.example"));
            Assert.Throws<FormatException>(() => MailRelayProvider.Parse("X\tsmtp.x\tx\t-\t-\thttps://x.example"));
            Assert.True(MailRelayProvider.ForHost("smtp.postmarkapp.com")!.SpfAtReturnPath);
            Assert.False(MailRelayProvider.ForHost("smtp.mailgun.org")!.SpfAtReturnPath);
        }

        [Theory]
        [InlineData("smtp.example.net", "smtp.example.net", 587)]
        [InlineData("smtp.example.net:465", "smtp.example.net", 465)]
        [InlineData("127.0.0.1:2525", "127.0.0.1", 2525)]
        [InlineData("[2001:db8::25]:465", "2001:db8::25", 465)]
        [InlineData("2001:db8::25", "2001:db8::25", 587)]
        public void Relay_names_default_to_port_587(string text, string host, int port)
        {
            Assert.Equal((host, port), MailRelayCheck.ParseRelay(text));
        }
    }
}
