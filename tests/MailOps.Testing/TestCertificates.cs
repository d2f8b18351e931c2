using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailOps.Testing
{
    /// <summary>Certificates made in the test with CertificateRequest: a test CA, leaves it issues, self-signed and expired
    /// ones. ECDSA P-256 keeps generation fast. Nothing is written to any certificate store.</summary>
    public static class TestCertificates
    {
        public static X509Certificate2 CreateCa(string commonName, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, X509Certificate2? issuer = null)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={commonName}, O=MailOps Test", key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            var nb = notBefore ?? DateTimeOffset.UtcNow.AddDays(-400);
            var na = notAfter ?? DateTimeOffset.UtcNow.AddYears(2);
            if (issuer == null) return req.CreateSelfSigned(nb, na);
            using var signed = req.Create(issuer, nb, na, Serial());
            return signed.CopyWithPrivateKey(key);
        }

        /// <summary>A server certificate for <paramref name="dnsNames"/> issued by <paramref name="ca"/> (self-signed when null).</summary>
        public static X509Certificate2 CreateLeaf(X509Certificate2? ca, string[] dnsNames, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, ECDsa? key = null)
        {
            key ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in dnsNames)
            {
                if (System.Net.IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
                else san.AddDnsName(n);
            }
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            var nb = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
            var na = notAfter ?? DateTimeOffset.UtcNow.AddDays(90);
            if (ca == null) return req.CreateSelfSigned(nb, na);
            using var signed = req.Create(ca, nb, na, Serial());
            return signed.CopyWithPrivateKey(key);
        }

        private static byte[] Serial()
        {
            var b = new byte[12];
            RandomNumberGenerator.Fill(b);
            b[0] &= 0x7f;
            return b;
        }

        public static string CertificatePem(params X509Certificate2[] certs) =>
            string.Concat(certs.Select(c => PemEncoding.WriteString("CERTIFICATE", c.RawData) + "\n"));

        public static string KeyPem(X509Certificate2 cert)
        {
            using var key = cert.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The certificate has no ECDSA private key.");
            return PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8PrivateKey()) + "\n";
        }

        /// <summary>TLSA association data computed here, independently of MailOps' own code: SPKI or full certificate, SHA-256/512 or raw.</summary>
        public static string TlsaData(X509Certificate2 cert, int selector, int matchingType)
        {
            var input = selector == 0 ? cert.RawData : cert.PublicKey.ExportSubjectPublicKeyInfo();
            var data = matchingType switch
            {
                0 => input,
                1 => SHA256.HashData(input),
                2 => SHA512.HashData(input),
                _ => throw new ArgumentOutOfRangeException(nameof(matchingType)),
            };
            return Convert.ToHexString(data).ToLowerInvariant();
        }

        /// <summary>A master-file TLSA line.</summary>
        public static string TlsaLine(string owner, X509Certificate2 cert, int usage, int selector, int matchingType, int ttl = 300) =>
            $"{owner.TrimEnd('.')}. {ttl} IN TLSA {usage} {selector} {matchingType} {TlsaData(cert, selector, matchingType)}";
    }
}
