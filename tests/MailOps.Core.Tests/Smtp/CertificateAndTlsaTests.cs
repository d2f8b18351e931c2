using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using MailOps.Smtp;
using MailOps.Transport;
using MailOps.Testing;

namespace MailOps.Tests.Smtp
{
    /// <summary>RFC 6125 name matching, SPKI extraction and TLSA record lines, checked against .NET's own encoders.</summary>
    public sealed class CertificateAndTlsaTests
    {
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("Tlsa Test CA");
        private static readonly X509Certificate2 Leaf = TestCertificates.CreateLeaf(Ca, new[] { "mail.example.com", "*.mx.example.com" });

        [Theory]
        [InlineData("mail.example.com", true)]
        [InlineData("MAIL.Example.com.", true)]
        [InlineData("a.mx.example.com", true)]
        [InlineData("mx.example.com", false)]      // a wildcard needs a label in its place
        [InlineData("a.b.mx.example.com", false)]  // and covers exactly one
        [InlineData("example.com", false)]
        [InlineData("evil-mail.example.com", false)]
        public void Wildcards_cover_exactly_the_leftmost_label(string host, bool expected) =>
            Assert.Equal(expected, CertificateJudge.MatchesHostName(Leaf, host));

        [Fact]
        public void Wildcard_of_a_top_level_domain_covers_nothing()
        {
            Assert.False(CertificateJudge.NameCovers("*.com", "example.com"));
            Assert.True(CertificateJudge.NameCovers("*.example.com", "mail.example.com"));
        }

        [Fact]
        public void Ip_address_hosts_match_ip_sans_only()
        {
            var ipCert = TestCertificates.CreateLeaf(null, new[] { "127.0.0.1" });
            Assert.True(CertificateJudge.MatchesHostName(ipCert, "127.0.0.1"));
            Assert.False(CertificateJudge.MatchesHostName(ipCert, "127.0.0.2"));
            Assert.False(CertificateJudge.MatchesHostName(Leaf, "127.0.0.1"));
        }

        [Fact]
        public void Dns_names_come_from_the_san_extension()
        {
            Assert.Equal(new[] { "mail.example.com", "*.mx.example.com" }, CertificateJudge.GetDnsNames(Leaf));
        }

        [Fact]
        public void Spki_is_the_same_bytes_dotnet_exports()
        {
            Assert.Equal(Leaf.PublicKey.ExportSubjectPublicKeyInfo(), CertificateJudge.GetSubjectPublicKeyInfo(Leaf));
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            var req = new CertificateRequest("CN=rsa.example", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var rsaCert = req.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            Assert.Equal(rsaCert.PublicKey.ExportSubjectPublicKeyInfo(), CertificateJudge.GetSubjectPublicKeyInfo(rsaCert));
        }

        [Fact]
        public void Tlsa_line_for_dane_ee_is_the_leafs_spki_hash()
        {
            var line = TlsaRecordBuilder.Build(new[] { Leaf, Ca }, "mail.example.com", 25, 3, 1, 1, "test");
            Assert.Equal($"_25._tcp.mail.example.com. IN TLSA 3 1 1 {TestCertificates.TlsaData(Leaf, 1, 1)}", line.Record);
            Assert.Equal("_25._tcp.mail.example.com.", line.Name);
            Assert.Equal(64, line.Data.Length);
            Assert.Equal(line.Record, line.ToString());
        }

        [Fact]
        public void Tlsa_line_for_dane_ta_describes_the_topmost_ca_given()
        {
            var line = TlsaRecordBuilder.Build(new[] { Leaf, Ca }, "mail.example.com", 25, 2, 1, 1, "test");
            Assert.Equal(TestCertificates.TlsaData(Ca, 1, 1), line.Data);
            Assert.Equal(Ca.Subject, line.CertificateSubject);
            var ex = Assert.Throws<ArgumentException>(() => TlsaRecordBuilder.Build(new[] { Leaf }, "mail.example.com", 25, 2, 1, 1, "leaf.pem"));
            Assert.Contains("fullchain.pem", ex.Message);
        }

        [Theory]
        [InlineData(0, 0, 0)]
        [InlineData(3, 0, 2)]
        [InlineData(3, 1, 0)]
        public void Other_parameters_follow_rfc_6698(int usage, int selector, int matching)
        {
            var line = TlsaRecordBuilder.Build(new[] { Leaf, Ca }, "mail.example.com", 465, usage, selector, matching, "test");
            var cert = usage == 3 ? Leaf : Ca;
            Assert.Equal(TestCertificates.TlsaData(cert, selector, matching), line.Data);
            Assert.StartsWith($"_465._tcp.mail.example.com. IN TLSA {usage} {selector} {matching} ", line.Record);
        }

        [Fact]
        public void Pem_files_with_chains_and_der_files_are_read()
        {
            var pem = System.Text.Encoding.ASCII.GetBytes(TestCertificates.CertificatePem(Leaf, Ca));
            var certs = CertificateFile.Read(pem);
            Assert.Equal(new[] { Leaf.Thumbprint, Ca.Thumbprint }, certs.Select(c => c.Thumbprint));
            Assert.Equal(Leaf.Thumbprint, Assert.Single(CertificateFile.Read(Leaf.RawData)).Thumbprint);
            Assert.Equal("mail.example.com", TlsaRecordBuilder.DefaultHostName(Leaf));
        }
    }
}
