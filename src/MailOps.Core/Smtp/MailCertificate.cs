using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>The certificate a mail server presented, as MailOps judged it.</summary>
    public sealed class MailCertificate
    {
        internal MailCertificate(X509Certificate2 cert, string hostName, bool chainValid, string chainStatus, bool nameMatches, DateTime now,
            IReadOnlyList<X509Certificate2> chain)
        {
            Subject = cert.Subject;
            Issuer = cert.Issuer;
            DnsNames = new ResultList<string>(CertificateJudge.GetDnsNames(cert));
            NotBefore = cert.NotBefore.ToUniversalTime();
            NotAfter = cert.NotAfter.ToUniversalTime();
            DaysToExpiry = (int)Math.Floor((NotAfter - now).TotalDays);
            Thumbprint = cert.Thumbprint;
            SpkiSha256 = Hex.Encode(Sha256(CertificateJudge.GetSubjectPublicKeyInfo(cert)));
            IsSelfSigned = cert.SubjectName.RawData.SequenceEqual(cert.IssuerName.RawData);
            HostName = hostName;
            NameMatches = nameMatches;
            ChainValid = chainValid;
            ChainStatus = chainStatus;
            Chain = new ResultList<string>(chain.Select(c => c.Subject));
        }

        public string Subject { get; }
        public string Issuer { get; }

        /// <summary>The DNS names of the subjectAltName extension (the CN only when there is none).</summary>
        public ResultList<string> DnsNames { get; }

        public DateTime NotBefore { get; }
        public DateTime NotAfter { get; }

        /// <summary>Whole days until NotAfter; negative once expired.</summary>
        public int DaysToExpiry { get; }

        public string Thumbprint { get; }

        /// <summary>SHA-256 of the SubjectPublicKeyInfo: the data of a "3 1 1" TLSA record.</summary>
        public string SpkiSha256 { get; }

        public bool IsSelfSigned { get; }

        /// <summary>The name the certificate was checked against.</summary>
        public string HostName { get; }

        /// <summary>True when a DNS name of the certificate covers <see cref="HostName"/> (RFC 6125: a wildcard covers exactly one leftmost label).</summary>
        public bool NameMatches { get; }

        /// <summary>True when the chain builds to a trusted root (the system's, or one passed as a trusted CA).</summary>
        public bool ChainValid { get; }

        /// <summary>"Valid", or what is wrong with the chain (UntrustedRoot, NotTimeValid, PartialChain...).</summary>
        public string ChainStatus { get; }

        /// <summary>Subjects of the chain as built, leaf first.</summary>
        public ResultList<string> Chain { get; }

        public bool IsExpired => DaysToExpiry < 0;

        public override string ToString() => $"{Subject} (expires {NotAfter:yyyy-MM-dd}, chain {ChainStatus})";

        private static byte[] Sha256(byte[] data)
        {
            using (var h = SHA256.Create()) return h.ComputeHash(data);
        }
    }
}
