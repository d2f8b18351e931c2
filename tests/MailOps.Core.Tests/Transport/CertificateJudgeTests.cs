#nullable enable
using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailOps.Testing;
using MailOps.Transport;

namespace MailOps.Tests.Transport
{
    /// <summary>The one certificate judge and the one certificate-file reader the transport cmdlets share.</summary>
    public sealed class CertificateJudgeTests
    {
        private static readonly X509Certificate2 Root = TestCertificates.CreateCa("Judge Root");
        private static readonly X509Certificate2 Intermediate = TestCertificates.CreateCa("Judge Intermediate", issuer: Root);
        private static readonly X509Certificate2 Leaf = TestCertificates.CreateLeaf(Intermediate, new[] { "mail.judge.test", "*.mx.judge.test" });

        [Fact]
        public void Chain_is_judged_at_the_injected_time_not_the_machine_clock()
        {
            var today = CertificateJudge.BuildChain(Leaf, new[] { Intermediate }, new[] { Root }, DateTime.UtcNow);
            Assert.True(today.Valid, today.Status);
            Assert.Equal("Valid", today.Status);
            Assert.Equal(3, today.Chain.Count);

            var later = CertificateJudge.BuildChain(Leaf, new[] { Intermediate }, new[] { Root }, DateTime.UtcNow.AddDays(120));
            Assert.False(later.Valid);
            Assert.True((later.Problems & X509ChainStatusFlags.NotTimeValid) != 0, later.Status);
        }

        [Fact]
        public void A_trusted_intermediate_anchors_the_chain_without_its_root()
        {
            var verdict = CertificateJudge.BuildChain(Leaf, Array.Empty<X509Certificate2>(), new[] { Intermediate }, DateTime.UtcNow);
            Assert.True(verdict.Anchored);
            Assert.True(verdict.Valid, verdict.Status);

            var untrusted = CertificateJudge.BuildChain(Leaf, new[] { Intermediate }, Array.Empty<X509Certificate2>(), DateTime.UtcNow);
            Assert.False(untrusted.Valid);
            Assert.False(untrusted.Anchored);
            Assert.True((untrusted.Problems & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0, untrusted.Status);
        }

        [Fact]
        public void A_malformed_subjectAltName_reads_as_no_names_instead_of_throwing()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest("CN=broken.judge.test", key, HashAlgorithmName.SHA256);
            // SEQUENCE claiming 16 bytes, holding a dNSName whose length runs past the end.
            req.CertificateExtensions.Add(new X509Extension("2.5.29.17", new byte[] { 0x30, 0x10, 0x82, 0x20, (byte)'a', (byte)'b' }, false));
            using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            Assert.Empty(CertificateJudge.GetDnsNames(cert)); // a SAN extension is present, so the CN does not stand in
            Assert.False(CertificateJudge.MatchesHostName(cert, "broken.judge.test"));
        }

        [Fact]
        public void Pem_bundle_and_der_read_and_broken_files_are_CryptographicExceptions()
        {
            var bundle = Encoding.ASCII.GetBytes("subject=junk before\n" + TestCertificates.CertificatePem(Leaf, Intermediate));
            var certs = CertificateFile.Read(bundle);
            Assert.Equal(new[] { Leaf.Thumbprint, Intermediate.Thumbprint }, new[] { certs[0].Thumbprint, certs[1].Thumbprint });
            Assert.Equal(Root.Thumbprint, Assert.Single(CertificateFile.Read(Root.RawData)).Thumbprint);

            Assert.Throws<CryptographicException>(() => CertificateFile.Read(Array.Empty<byte>()));
            Assert.Throws<CryptographicException>(() => CertificateFile.Read(Encoding.ASCII.GetBytes("not a certificate")));
            Assert.Throws<CryptographicException>(() => CertificateFile.Read(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")));
            Assert.Throws<CryptographicException>(() => CertificateFile.Read(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nMIIB\n")));
        }
    }
}
