using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Smtp
{
    /// <summary>One real Postfix for the engine tests: a test CA, a leaf for mail.test, STARTTLS and implicit-TLS listeners.</summary>
    public sealed class PostfixFixture : IDisposable
    {
        public PostfixFixture()
        {
            Ca = TestCertificates.CreateCa("MailOps Postfix Test CA");
            Leaf = TestCertificates.CreateLeaf(Ca, new[] { "mail.test" });
            Server = PostfixServer.Unavailable() == null ? PostfixServer.Start(Leaf, Array.Empty<X509Certificate2>(), "mail.test") : null;
        }

        public X509Certificate2 Ca { get; }
        public X509Certificate2 Leaf { get; }
        /// <summary>Null when Postfix cannot run here: the tests that need it are [PostfixFact] and skip.</summary>
        public PostfixServer? Server { get; }

        public void Dispose() => Server?.Dispose();
    }

    [CollectionDefinition("Postfix")]
    public sealed class PostfixCollection : ICollectionFixture<PostfixFixture> { }

    /// <summary>The probe, the TLSA builder and DANE against a real Postfix smtpd on loopback (Debian package).</summary>
    [Collection("Postfix")]
    public sealed class PostfixTests
    {
        private readonly PostfixFixture _pf;

        public PostfixTests(PostfixFixture pf) => _pf = pf;

        private MailServiceOptions Options(MailProtocol? protocol = null) => new()
        {
            Protocol = protocol,
            Timeout = TimeSpan.FromSeconds(10),
            TrustedCertificates = new[] { _pf.Ca },
            Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
        };

        [PostfixFact]
        public async Task Postfix_starttls_session_is_read_in_full()
        {
            var r = await MailServiceCheck.RunAsync("mail.test", _pf.Server!.Port, Options(), CancellationToken.None);
            Assert.Equal(220, r.BannerCode);
            Assert.Equal("mail.test ESMTP MailOps test Postfix", r.Banner);
            Assert.Equal("mail.test", r.BannerHostName);
            Assert.Contains("STARTTLS", r.Extensions);
            Assert.Contains("PIPELINING", r.Extensions);
            Assert.Contains("SIZE 10240000", r.Extensions);
            Assert.Contains("ENHANCEDSTATUSCODES", r.Extensions);
            Assert.True(r.TlsEstablished, string.Join("; ", r.Findings));
            Assert.Equal("TLS 1.3", r.TlsVersion);
            Assert.StartsWith("TLS_", r.CipherSuite);
            Assert.Equal(_pf.Leaf.Thumbprint, r.Certificate!.Thumbprint);
            Assert.True(r.ChainValid);
            Assert.True(r.CertificateNameMatches);
            Assert.Empty(r.AuthBeforeTls);
            Assert.Equal("Pass", r.Status);
        }

        [PostfixFact]
        public async Task Postfix_certificate_from_an_unknown_ca_is_untrusted_not_missing()
        {
            var o = Options();
            o.TrustedCertificates = Array.Empty<X509Certificate2>();
            var r = await MailServiceCheck.RunAsync("mail.test", _pf.Server!.Port, o, CancellationToken.None);
            Assert.True(r.TlsEstablished);
            Assert.Equal(new[] { "CertificateUntrusted" }, r.Findings.Select(f => f.Code));
        }

        [PostfixFact]
        public async Task Postfix_wrappermode_is_implicit_tls()
        {
            var r = await MailServiceCheck.RunAsync("mail.test", _pf.Server!.ImplicitTlsPort, Options(MailProtocol.Smtps), CancellationToken.None);
            Assert.Equal("Implicit", r.TlsMode);
            Assert.True(r.TlsEstablished);
            Assert.Equal(220, r.BannerCode);
            Assert.DoesNotContain("STARTTLS", r.Extensions); // Postfix does not offer STARTTLS inside TLS
            // No SASL configured in the test Postfix: a submission port without AUTH is worth a warning.
            Assert.Equal(new[] { "NoAuth" }, r.Findings.Select(f => f.Code));
        }

        [PostfixFact]
        public async Task Tlsa_record_from_postfix_matches_the_certificate_it_was_given()
        {
            var chain = await TlsaRecordBuilder.FetchChainAsync("127.0.0.1", _pf.Server!.Port, new MailServiceOptions { Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
            Assert.Equal(_pf.Leaf.Thumbprint, chain[0].Thumbprint);
            var line = TlsaRecordBuilder.Build(chain, "mail.test", 25, 3, 1, 1, "postfix");
            Assert.Equal($"_25._tcp.mail.test. IN TLSA 3 1 1 {TestCertificates.TlsaData(_pf.Leaf, 1, 1)}", line.Record);
        }

        [PostfixFact]
        public async Task Dane_against_postfix_matches_a_tlsa_record_made_from_its_certificate()
        {
            using var dns = FixtureDnsServer.Start();
            dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
            dns.LoadMasterFile(TestCertificates.TlsaLine("_25._tcp.mx.dane.smtp.test", _pf.Leaf, 3, 1, 1));
            dns.AuthenticData = true;
            var resolver = new WireDnsResolver(new[] { dns.EndPoint }, TimeSpan.FromSeconds(2), 0, requestDnssec: true);
            var targets = await DaneCheck.GetTargetsAsync(resolver, "dane.smtp.test", CancellationToken.None);
            var r = await DaneCheck.CheckHostAsync(resolver, Assert.Single(targets), new DaneOptions { Port = _pf.Server!.Port, Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
            Assert.Equal("Valid", r.DaneStatus);
            Assert.True(r.DnssecValidated);
            Assert.Equal($"3 1 1 {TestCertificates.TlsaData(_pf.Leaf, 1, 1)}", r.MatchedRecord);
        }
    }
}
