using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailOps.Testing
{
    /// <summary>
    /// A throw-away PKI made at test time with CertificateRequest: a test root CA (which tests pass to the cmdlets as
    /// an extra trusted CA), a second root nobody trusts, and server certificates issued by either, with any name and
    /// validity. ECDSA P-256 keys, so making them is fast. Nothing is written to any certificate store.
    /// </summary>
    public sealed class TestPki
    {
        public TestPki()
        {
            Ca = CreateRoot("CN=MailOps Test Root CA");
            UntrustedCa = CreateRoot("CN=MailOps Untrusted Root CA");
        }

        /// <summary>The root the tests trust (with its private key).</summary>
        public X509Certificate2 Ca { get; }

        /// <summary>A root no test trusts.</summary>
        public X509Certificate2 UntrustedCa { get; }

        /// <summary>The public part of <see cref="Ca"/>, as the cmdlets receive it.</summary>
        public X509Certificate2 CaPublic => X509CertificateLoader.LoadCertificate(Ca.RawData);

        /// <summary>An intermediate CA issued by the trusted root.</summary>
        public X509Certificate2 IssueIntermediate(string subject)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7f;
            var now = DateTimeOffset.UtcNow;
            using var cert = req.Create(Ca, now.AddDays(-30), now.AddDays(1000), serial);
            using var withKey = cert.CopyWithPrivateKey(key);
            return Reload(withKey);
        }

        private static X509Certificate2 CreateRoot(string subject)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            using var cert = req.CreateSelfSigned(now.AddDays(-365), now.AddDays(3650));
            return Reload(cert);
        }

        /// <summary>A server certificate for <paramref name="dnsName"/>, valid from/until the given days relative to now,
        /// issued by <paramref name="issuer"/> (default: the trusted test CA).</summary>
        public X509Certificate2 IssueServer(string dnsName, int notBeforeDays = -1, int notAfterDays = 90, X509Certificate2? issuer = null)
        {
            issuer ??= Ca;
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            var serial = new byte[12];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7f;
            var now = DateTimeOffset.UtcNow;
            using var cert = req.Create(issuer, now.AddDays(notBeforeDays), now.AddDays(notAfterDays), serial);
            using var withKey = cert.CopyWithPrivateKey(key);
            return Reload(withKey);
        }

        /// <summary>Round-trips through PKCS#12 so the key is usable by SslStream on every platform.</summary>
        private static X509Certificate2 Reload(X509Certificate2 cert) =>
            X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12, (string?)null), null, X509KeyStorageFlags.Exportable);

        /// <summary>PEM text of a certificate (public part only).</summary>
        public static string ToPem(X509Certificate2 cert) =>
            "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(cert.RawData, Base64FormattingOptions.InsertLineBreaks) + "\n-----END CERTIFICATE-----\n";

        /// <summary>Writes the trusted CA as a PEM file in a fresh temporary folder and returns its path.</summary>
        public string WriteCaPem()
        {
            var dir = Path.Combine(Path.GetTempPath(), "mailops-pki-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            // Sites shared by a whole test class (static) are never disposed: the folder goes when the test process ends.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            };
            var path = Path.Combine(dir, "test-ca.pem");
            File.WriteAllText(path, ToPem(Ca), Encoding.ASCII);
            return path;
        }
    }
}
