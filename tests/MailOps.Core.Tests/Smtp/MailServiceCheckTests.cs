using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Smtp
{
    /// <summary>Test-SmtpService's engine against scripted loopback servers: the fault cases a real server will not produce on demand.</summary>
    public sealed class MailServiceCheckTests : IDisposable
    {
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("MailOps Test CA");
        private static readonly X509Certificate2 Good = TestCertificates.CreateLeaf(Ca, new[] { "mail.test" });
        private readonly List<ScriptedMailServer> _servers = new();

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
        }

        private ScriptedMailServer Serve(ScriptedMailServer s)
        {
            _servers.Add(s);
            return s.Start();
        }

        /// <summary>Options that resolve every name to 127.0.0.1 (the certificates name mail.test) and trust the test CA.</summary>
        private static MailServiceOptions Options(MailProtocol? protocol = null, bool trustCa = true, int timeoutMs = 5000) => new()
        {
            Protocol = protocol,
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
            TrustedCertificates = trustCa ? new[] { Ca } : Array.Empty<X509Certificate2>(),
            Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
        };

        private static Task<MailServiceResult> Run(ScriptedMailServer s, MailServiceOptions o, string host = "mail.test") =>
            MailServiceCheck.RunAsync(host, s.Port, o, CancellationToken.None);

        private static string[] Codes(MailServiceResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Fact]
        public async Task Good_starttls_server_passes_with_every_detail_filled_in()
        {
            var s = Serve(new ScriptedMailServer { Certificate = Good, Chain = new[] { Ca } });
            var r = await Run(s, Options());
            Assert.Empty(r.Findings);
            Assert.Equal("Pass", r.Status);
            Assert.Equal("SMTP", r.Protocol);
            Assert.Equal("127.0.0.1", r.Address);
            Assert.Equal(220, r.BannerCode);
            Assert.Equal("mail.test ESMTP Scripted", r.Banner);
            Assert.Equal("mail.test", r.BannerHostName);
            Assert.InRange(r.TimeToBannerMs!.Value, 0, 2000);
            Assert.Contains("PIPELINING", r.Extensions);
            Assert.Contains("STARTTLS", r.Extensions);
            Assert.Equal("STARTTLS", r.TlsMode);
            Assert.True(r.StartTlsOffered);
            Assert.True(r.TlsEstablished);
            Assert.StartsWith("TLS 1.", r.TlsVersion);
            Assert.False(string.IsNullOrEmpty(r.CipherSuite));
            Assert.Equal("CN=mail.test", r.CertificateSubject);
            Assert.Equal(new[] { "mail.test" }, r.CertificateDnsNames);
            Assert.True(r.CertificateNameMatches);
            Assert.True(r.ChainValid);
            Assert.InRange(r.DaysToExpiry!.Value, 88, 89);
            Assert.Contains("EHLO", s.Received[0]);
            Assert.Equal("STARTTLS", s.Received[1]);
            Assert.Equal("QUIT", s.Received.Last());
        }

        [Fact]
        public async Task Untrusted_chain_is_a_certificate_finding_not_missing_starttls()
        {
            var s = Serve(new ScriptedMailServer { Certificate = Good, Chain = new[] { Ca } });
            var r = await Run(s, Options(trustCa: false));
            Assert.True(r.TlsEstablished);
            Assert.Equal(new[] { "CertificateUntrusted" }, Codes(r));
            Assert.Equal("Warning", r.Findings[0].Severity); // port 25: opportunistic senders still encrypt
            Assert.False(r.ChainValid);
            // The server sends only the leaf (servers leave the root out), so the issuer is unknown to this client.
            Assert.Equal("PartialChain", r.Certificate!.ChainStatus);
            Assert.Contains("full chain", r.Findings[0].Remedy);
        }

        [Fact]
        public async Task Untrusted_chain_fails_on_submission()
        {
            var s = Serve(new ScriptedMailServer { Certificate = Good, ExtensionsAfterTls = new[] { "AUTH PLAIN" } });
            var r = await Run(s, Options(MailProtocol.Submission, trustCa: false));
            var f = Assert.Single(r.Findings);
            Assert.Equal("CertificateUntrusted", f.Code);
            Assert.Equal("Fail", f.Severity);
            Assert.NotEqual("Valid", r.Certificate!.ChainStatus);
            Assert.Equal(new[] { "PLAIN" }, r.AuthMechanisms);
        }

        [Fact]
        public async Task Expired_certificate_is_reported_as_expired_with_the_date()
        {
            var expired = TestCertificates.CreateLeaf(Ca, new[] { "mail.test" }, DateTimeOffset.UtcNow.AddDays(-100), DateTimeOffset.UtcNow.AddDays(-10));
            var s = Serve(new ScriptedMailServer { Certificate = expired });
            var r = await Run(s, Options());
            Assert.True(r.TlsEstablished);
            Assert.Contains("CertificateExpired", Codes(r));
            Assert.DoesNotContain("NoStartTls", Codes(r));
            Assert.Equal("Fail", r.Status);
            Assert.InRange(r.DaysToExpiry!.Value, -11, -10);
            Assert.Contains(expired.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd"), r.Findings.First(f => f.Code == "CertificateExpired").Message);
        }

        [Fact]
        public async Task Certificate_expiring_soon_warns()
        {
            var soon = TestCertificates.CreateLeaf(Ca, new[] { "mail.test" }, notAfter: DateTimeOffset.UtcNow.AddDays(5.5));
            var r = await Run(Serve(new ScriptedMailServer { Certificate = soon }), Options());
            Assert.Equal(new[] { "CertificateExpiresSoon" }, Codes(r));
        }

        [Fact]
        public async Task Wrong_name_is_a_name_mismatch_naming_what_the_certificate_covers()
        {
            var other = TestCertificates.CreateLeaf(Ca, new[] { "other.test", "www.other.test" });
            var r = await Run(Serve(new ScriptedMailServer { Certificate = other }), Options());
            Assert.Equal(new[] { "CertificateNameMismatch" }, Codes(r));
            Assert.False(r.CertificateNameMatches);
            Assert.Contains("other.test, www.other.test", r.Findings[0].Message);
            Assert.True(r.ChainValid);
        }

        [Fact]
        public async Task No_banner_is_a_connection_failure_not_a_finding()
        {
            var s = Serve(new ScriptedMailServer { Banner = null });
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() => Run(s, Options(timeoutMs: 800)));
            Assert.Equal(MailConnectionFailure.NoBanner, ex.Failure);
            Assert.Contains("no greeting", ex.Message);
            Assert.Equal(1, s.Connections);
        }

        [Fact]
        public async Task Slow_banner_is_measured_and_flagged()
        {
            var s = Serve(new ScriptedMailServer { BannerDelay = TimeSpan.FromMilliseconds(1200), Certificate = Good });
            var o = Options();
            o.SlowBanner = TimeSpan.FromMilliseconds(500);
            var r = await Run(s, o);
            Assert.InRange(r.TimeToBannerMs!.Value, 1100, 4000);
            Assert.Equal(new[] { "SlowBanner" }, Codes(r));
            Assert.True(r.TlsEstablished);
        }

        [Fact]
        public async Task Banner_from_another_host_is_flagged()
        {
            var s = Serve(new ScriptedMailServer { Banner = "220 relay.elsewhere.example ESMTP", Certificate = Good });
            var r = await Run(s, Options());
            Assert.Equal("relay.elsewhere.example", r.BannerHostName);
            Assert.Equal(new[] { "BannerHostMismatch" }, Codes(r));
            Assert.Contains("relay.elsewhere.example, not mail.test", r.Findings[0].Message);
        }

        [Fact]
        public async Task Banner_554_is_a_rejection()
        {
            var r = await Run(Serve(new ScriptedMailServer { Banner = "554 mail.test Access denied" }), Options());
            Assert.Equal(554, r.BannerCode);
            Assert.Equal(new[] { "BannerRejected" }, Codes(r));
            Assert.Empty(r.Extensions);
        }

        [Fact]
        public async Task Starttls_advertised_but_refused_is_not_reported_as_missing()
        {
            var s = Serve(new ScriptedMailServer { AdvertiseStartTls = true, StartTlsReply = "454 4.7.0 TLS not available due to local problem" });
            var r = await Run(s, Options());
            Assert.True(r.StartTlsOffered);
            Assert.False(r.TlsEstablished);
            Assert.Equal(new[] { "StartTlsRefused" }, Codes(r));
            Assert.Contains("454", r.Findings[0].Message);
        }

        [Fact]
        public async Task No_starttls_is_a_failure()
        {
            var r = await Run(Serve(new ScriptedMailServer()), Options());
            Assert.False(r.StartTlsOffered);
            Assert.Equal("None", r.TlsMode);
            Assert.Equal(new[] { "NoStartTls" }, Codes(r));
        }

        [Fact]
        public async Task Broken_handshake_is_a_tls_failure()
        {
            var r = await Run(Serve(new ScriptedMailServer { Certificate = Good, BreakHandshake = true }), Options());
            Assert.True(r.StartTlsOffered);
            Assert.False(r.TlsEstablished);
            Assert.Equal(new[] { "TlsHandshakeFailed" }, Codes(r));
        }

        [Fact]
        public async Task Auth_before_tls_is_flagged_with_the_mechanisms()
        {
            var s = Serve(new ScriptedMailServer { Certificate = Good, Extensions = new[] { "PIPELINING", "AUTH PLAIN LOGIN" }, ExtensionsAfterTls = new[] { "AUTH PLAIN LOGIN" } });
            var r = await Run(s, Options(MailProtocol.Submission));
            Assert.Equal(new[] { "PLAIN", "LOGIN" }, r.AuthBeforeTls);
            Assert.Equal(new[] { "PLAIN", "LOGIN" }, r.AuthMechanisms);
            var f = Assert.Single(r.Findings);
            Assert.Equal("AuthBeforeTls", f.Code);
            Assert.Equal("Fail", f.Severity);
            Assert.Contains("smtpd_tls_auth_only", f.Remedy);
        }

        [Fact]
        public async Task Submission_without_auth_inside_tls_warns()
        {
            var r = await Run(Serve(new ScriptedMailServer { Certificate = Good }), Options(MailProtocol.Submission));
            Assert.Equal(new[] { "NoAuth" }, Codes(r));
        }

        [Fact]
        public async Task Implicit_tls_handshakes_before_the_banner()
        {
            var s = Serve(new ScriptedMailServer { Certificate = Good, ImplicitTls = true, Extensions = new[] { "AUTH PLAIN" } });
            var r = await Run(s, Options(MailProtocol.Smtps));
            Assert.Equal("SMTPS", r.Protocol);
            Assert.Equal("Implicit", r.TlsMode);
            Assert.True(r.TlsEstablished);
            Assert.Equal(220, r.BannerCode);
            Assert.Empty(r.AuthBeforeTls);
            Assert.Equal(new[] { "PLAIN" }, r.AuthMechanisms);
            Assert.Empty(r.Findings);
        }

        [Fact]
        public async Task Implicit_tls_port_speaking_plain_smtp_is_a_handshake_failure()
        {
            var r = await Run(Serve(new ScriptedMailServer()), Options(MailProtocol.Smtps, timeoutMs: 2000));
            Assert.Equal(new[] { "TlsHandshakeFailed" }, Codes(r));
        }

        [Fact]
        public async Task Refused_port_throws_refused()
        {
            var port = ScriptedMailServer.ClosedPort();
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() => MailServiceCheck.RunAsync("127.0.0.1", port, Options(), CancellationToken.None));
            Assert.Equal(MailConnectionFailure.Refused, ex.Failure);
            Assert.Equal(port, ex.Port);
            // The row a cmdlet writes for it: Unreachable, with the reason; a server that greets nothing is Error.
            var row = MailServiceResult.NotProbed("127.0.0.1", port, MailProtocol.Smtp, ex);
            Assert.Equal("Unreachable", row.Status);
            Assert.Equal("SMTP", row.Protocol);
            Assert.Contains("refused", row.CouldNotCheck);
            Assert.EndsWith(": " + row.CouldNotCheck, row.ToString());
            var silent = new MailConnectionException("127.0.0.1", port, MailConnectionFailure.NoBanner, "no greeting");
            Assert.Equal("Error", MailServiceResult.NotProbed("127.0.0.1", port, MailProtocol.Smtp, silent).Status);
        }

        [Fact]
        public async Task Protocol_follows_the_port_unless_given()
        {
            Assert.Equal(MailProtocol.Submission, MailServiceCheck.ProtocolForPort(587));
            Assert.Equal(MailProtocol.Smtps, MailServiceCheck.ProtocolForPort(465));
            Assert.Equal(MailProtocol.Imaps, MailServiceCheck.ProtocolForPort(993));
            Assert.Equal(MailProtocol.Imap, MailServiceCheck.ProtocolForPort(143));
            Assert.Equal(MailProtocol.Smtp, MailServiceCheck.ProtocolForPort(2525));
            var r = await Run(Serve(new ScriptedMailServer { Certificate = Good }), Options());
            Assert.Equal("SMTP", r.Protocol);
        }

        [Fact]
        public async Task Imap_starttls_with_logindisabled_passes()
        {
            var s = Serve(new ScriptedMailServer { Imap = true, Banner = "* OK [CAPABILITY IMAP4rev1] Dovecot ready.", Certificate = Good });
            var r = await Run(s, Options(MailProtocol.Imap));
            Assert.Equal("IMAP", r.Protocol);
            Assert.Null(r.BannerCode);
            Assert.StartsWith("* OK", r.Banner);
            Assert.Contains("STARTTLS", r.Extensions);
            Assert.Contains("LOGINDISABLED", r.Extensions);
            Assert.True(r.TlsEstablished);
            Assert.Equal(new[] { "LOGIN", "PLAIN" }, r.AuthMechanisms);
            Assert.Empty(r.Findings);
        }

        [Fact]
        public async Task Imap_login_allowed_before_tls_is_flagged()
        {
            var s = Serve(new ScriptedMailServer { Imap = true, Banner = "* OK ready", Certificate = Good, ImapCapabilities = new[] { "IMAP4rev1", "AUTH=PLAIN" } });
            var r = await Run(s, Options(MailProtocol.Imap));
            Assert.Equal(new[] { "LOGIN", "PLAIN" }, r.AuthBeforeTls);
            Assert.Equal(new[] { "AuthBeforeTls" }, Codes(r));
        }

        [Fact]
        public async Task Imaps_implicit_tls()
        {
            var s = Serve(new ScriptedMailServer { Imap = true, ImplicitTls = true, Banner = "* OK IMAPS ready", Certificate = Good, ImapCapabilities = new[] { "IMAP4rev1", "AUTH=PLAIN" } });
            var r = await Run(s, Options(MailProtocol.Imaps));
            Assert.Equal("IMAPS", r.Protocol);
            Assert.Equal("Implicit", r.TlsMode);
            Assert.True(r.ChainValid);
            Assert.Empty(r.Findings);
        }

        [Fact]
        public async Task Cancellation_stops_a_stalled_probe_within_a_second()
        {
            var s = Serve(new ScriptedMailServer { Banner = null });
            using var cts = new CancellationTokenSource(300);
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MailServiceCheck.RunAsync("mail.test", s.Port, Options(timeoutMs: 60000), cts.Token));
            Assert.True(sw.ElapsedMilliseconds < 1300, $"took {sw.ElapsedMilliseconds} ms");
        }
    }
}
