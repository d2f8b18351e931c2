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
                Assert.True(r.Service.TlsEstablished);
                Assert.Equal("NotOffered", r.Login);
                Assert.Null(r.AuthMechanism);
                Assert.Contains("AuthNotOffered", r.Findings.Select(f => f.Code));
                Assert.Equal("Fail", r.Status);
            }
        }
    }
}
