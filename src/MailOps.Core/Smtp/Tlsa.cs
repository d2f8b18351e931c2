using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>TLSA association data (RFC 6698 §2.1) and the usage names of RFC 7218.</summary>
    public static class Tlsa
    {
        public static string UsageName(int usage)
        {
            switch (usage)
            {
                case 0: return "PKIX-TA";
                case 1: return "PKIX-EE";
                case 2: return "DANE-TA";
                case 3: return "DANE-EE";
                default: return "Usage" + usage.ToString(CultureInfo.InvariantCulture);
            }
        }

        public static string MatchingName(int matching) =>
            matching == 0 ? "Full" : matching == 1 ? "SHA2-256" : matching == 2 ? "SHA2-512" : "Matching" + matching.ToString(CultureInfo.InvariantCulture);

        /// <summary>The association data of <paramref name="cert"/> for a selector and matching type; null when either is unknown.</summary>
        public static byte[]? AssociationData(X509Certificate2 cert, int selector, int matchingType)
        {
            byte[] input;
            if (selector == 0) input = cert.RawData;
            else if (selector == 1) input = CertificateJudge.GetSubjectPublicKeyInfo(cert);
            else return null;
            switch (matchingType)
            {
                case 0: return input;
                case 1: using (var h = SHA256.Create()) return h.ComputeHash(input);
                case 2: using (var h = SHA512.Create()) return h.ComputeHash(input);
                default: return null;
            }
        }

        /// <summary>The data as a TLSA record writes it (lower-case hex, as most tools print it).</summary>
        public static string ToHex(byte[] data) => Hex.Encode(data).ToLowerInvariant();

        internal static bool Matches(TlsaRecord record, X509Certificate2 cert)
        {
            var mine = AssociationData(cert, record.Selector, record.MatchingType);
            return mine != null && mine.SequenceEqual(record.GetAssociationData());
        }
    }

    /// <summary>One TLSA record and what it matched on the live server.</summary>
    public sealed class TlsaRecordMatch
    {
        internal TlsaRecordMatch(TlsaRecord record, string result, string? matchedCertificate, string detail)
        {
            Usage = record.CertificateUsage;
            Selector = record.Selector;
            MatchingType = record.MatchingType;
            UsageName = Tlsa.UsageName(record.CertificateUsage);
            Record = $"{record.CertificateUsage} {record.Selector} {record.MatchingType} {record.AssociationData.ToLowerInvariant()}";
            Result = result;
            MatchedCertificate = matchedCertificate;
            Detail = detail;
        }

        public int Usage { get; }
        public int Selector { get; }
        public int MatchingType { get; }

        /// <summary>DANE-EE, DANE-TA, PKIX-EE, PKIX-TA.</summary>
        public string UsageName { get; }

        /// <summary>The record data as published ("3 1 1 abcd...").</summary>
        public string Record { get; }

        /// <summary>Match, NoMatch, Unusable, NameMismatch (DANE-TA matched but the name is wrong) or Expired (DANE-TA matched, certificate expired).</summary>
        public string Result { get; }

        /// <summary>The subject of the certificate the record matched.</summary>
        public string? MatchedCertificate { get; }

        public string Detail { get; }

        public bool IsMatch => Result == "Match";

        public override string ToString() => $"{Record.Substring(0, Math.Min(Record.Length, 24))}... {Result}";
    }
}
