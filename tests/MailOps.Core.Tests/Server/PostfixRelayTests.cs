using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Server;
using MailOps.Smtp;
using MailOps.Testing;
using MailOps.Tests.Smtp;

namespace MailOps.Tests.Server
{
    /// <summary>Test-MailServer -Service and -Relay against a real Postfix smtpd on loopback (Debian package; no SASL
    /// configured, so it offers no AUTH).</summary>
    [Collection("Postfix")]
    public sealed class PostfixRelayTests
    {
        private readonly PostfixFixture _pf;

        public PostfixRelayTests(PostfixFixture pf) => _pf = pf;

        private static IDnsResolver NoDns() => new WireDnsResolver(new[] { new IPEndPoint(IPAddress.Loopback, 9) }, TimeSpan.FromMilliseconds(300), 0);

        [PostfixFact]
        public async Task Postfix_services_on_the_address_are_probed_with_tls_on_both_listeners()
        {
            var o = await MailServerCheck.RunAsync(NoDns(), null, IPAddress.Loopback, new MailServerOptions
            {
                HeloName = "mail.test",
                Asn = false,
                Services = new[] { (MailProtocol.Smtp, _pf.Server!.Port), (MailProtocol.Smtps, _pf.Server.ImplicitTlsPort) },
                ServiceOptions = new MailServiceOptions { Timeout = TimeSpan.FromSeconds(10), TrustedCertificates = new[] { _pf.Ca } },
            }, CancellationToken.None);
            var services = o.Result.Services;
            Assert.Equal(2, services.Count);
            Assert.All(services, s => Assert.True(s.TlsEstablished));
            Assert.Equal("STARTTLS", services[0].TlsMode);
            Assert.Equal("Pass", services[0].Status);
            Assert.Equal("Implicit", services[1].TlsMode);
            Assert.Empty(o.ServiceFailures);
            // Postfix without SASL offers no AUTH on its implicit-TLS (submission) listener: Test-SmtpService's NoAuth, merged.
            Assert.Contains(o.Result.Findings, f => f.Code == "NoAuth" && f.Subject == $"mail.test:{_pf.Server.ImplicitTlsPort}");
        }

        [PostfixFact]
        public async Task A_postfix_without_sasl_as_relay_is_AuthNotOffered_after_tls_and_nothing_is_sent()
        {
            foreach (var (port, implicitTls) in new[] { (_pf.Server!.Port, false), (_pf.Server.ImplicitTlsPort, true) })
            {
                var o = await MailRelayCheck.RunAsync(NoDns(), "mail.test", port, new NetworkCredential("user", "never-sent"), new MailRelayOptions
                {
                    Timeout = TimeSpan.FromSeconds(10),
                    TrustedCertificates = new[] { _pf.Ca },
                    ImplicitTls = implicitTls,
                    Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
                }, CancellationToken.None);
                var r = o.Result;
                Assert.Null(o.ConnectionFailure);
                Assert.NotNull(r.Service);
            Assert.True(r.Service.TlsEstablished);
                Assert.Equal("NotOffered", r.Login);
                Assert.Null(r.AuthMechanism);
                Assert.Contains("AuthNotOffered", r.Findings.Select(f => f.Code));
                Assert.Equal("Fail", r.Status);
            }
        }
    }

    /// <summary>Postfix whose SASL is Dovecot's (smtpd_sasl_type = dovecot over 127.0.0.1), the setup Mailcow, Poste.io
    /// and most Postfix relays use: a real AUTH the relay check must pass with the right password and fail with a wrong one.</summary>
    public sealed class PostfixSaslFixture : IDisposable
    {
        public PostfixSaslFixture()
        {
            Ca = TestCertificates.CreateCa("MailOps SASL Test CA");
            var leaf = TestCertificates.CreateLeaf(Ca, new[] { "mail.test", "localhost" });
            Why = PostfixServer.Unavailable() ?? DovecotServer.Unavailable();
            if (Why != null) return;
            Dovecot = DovecotServer.Start(leaf, null, "relayuser", "Relay-Passw0rd");
            Postfix = PostfixServer.Start(leaf, Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>(), "mail.test",
                $"smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = inet:127.0.0.1:{Dovecot.AuthPort}\nsmtpd_tls_auth_only = yes\n");
        }

        public string? Why { get; }
        public System.Security.Cryptography.X509Certificates.X509Certificate2 Ca { get; }
        public DovecotServer? Dovecot { get; }
        public PostfixServer? Postfix { get; }

        public void Dispose()
        {
            Postfix?.Dispose();
            Dovecot?.Dispose();
        }
    }

    /// <summary>A fact that needs Postfix (as root) and Dovecot: skipped with the reason when either cannot run.</summary>
    public sealed class PostfixSaslFactAttribute : FactAttribute
    {
        public PostfixSaslFactAttribute()
        {
            var why = PostfixServer.Unavailable() ?? DovecotServer.Unavailable();
            if (why != null) Skip = why;
        }
    }

    /// <summary>Test-MailServer -Relay's login against a real Postfix submission service with Dovecot SASL.</summary>
    public sealed class PostfixSaslRelayTests : IClassFixture<PostfixSaslFixture>
    {
        private readonly PostfixSaslFixture _fx;

        public PostfixSaslRelayTests(PostfixSaslFixture fx) => _fx = fx;

        private Task<MailRelayOutcome> Login(int port, bool implicitTls, string password) =>
            MailRelayCheck.RunAsync(new WireDnsResolver(new[] { new IPEndPoint(IPAddress.Loopback, 9) }, TimeSpan.FromMilliseconds(300), 0),
                "mail.test", port, new NetworkCredential("relayuser", password), new MailRelayOptions
                {
                    Timeout = TimeSpan.FromSeconds(10),
                    TrustedCertificates = new[] { _fx.Ca },
                    ImplicitTls = implicitTls,
                    Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
                }, CancellationToken.None);

        [PostfixSaslFact]
        public async Task The_right_password_is_accepted_after_tls_on_both_listeners_and_nothing_is_sent()
        {
            Assert.Null(_fx.Why);
            foreach (var (port, implicitTls) in new[] { (_fx.Postfix!.Port, false), (_fx.Postfix.ImplicitTlsPort, true) })
            {
                var o = await Login(port, implicitTls, "Relay-Passw0rd");
                var r = o.Result;
                Assert.Null(o.ConnectionFailure);
                Assert.NotNull(r.Service);
            Assert.True(r.Service.TlsEstablished);
                Assert.Equal("Accepted", r.Login);
                Assert.True(r.Authenticated);
                Assert.Contains(r.AuthMechanism, new[] { "PLAIN", "LOGIN" });
                Assert.StartsWith("235", r.AuthReply);
                Assert.DoesNotContain(r.Findings, f => f.Code.StartsWith("Auth", StringComparison.Ordinal));
            }
            // The login reached Dovecot's authentication service: Postfix did not accept it on its own.
            Assert.Contains("relayuser", _fx.Postfix.Log);
        }

        [PostfixSaslFact]
        public async Task A_wrong_password_is_rejected_by_the_real_server()
        {
            var o = await Login(_fx.Postfix!.Port, false, "not-the-password");
            var r = o.Result;
            Assert.Equal("Rejected", r.Login);
            Assert.False(r.Authenticated);
            Assert.StartsWith("535", r.AuthReply);
            Assert.Contains("AuthRejected", r.Findings.Select(f => f.Code));
            Assert.Equal("Fail", r.Status);
        }
    }
}
