using System;
using System.Collections.Generic;
using System.Formats.Asn1;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Transport
{
    /// <summary>A chain as built by <see cref="CertificateJudge.BuildChain"/>.</summary>
    internal sealed class ChainVerdict
    {
        public ChainVerdict(bool valid, string status, X509ChainStatusFlags problems, string information, IReadOnlyList<X509Certificate2> chain, bool anchored)
        {
            Valid = valid;
            Status = status;
            Problems = problems;
            Information = information;
            Chain = chain;
            Anchored = anchored;
        }

        /// <summary>True when the chain builds to a trusted root (the system's, or one of the extra trusted certificates).</summary>
        public bool Valid { get; }

        /// <summary>"Valid", or the problems as text ("UntrustedRoot, NotTimeValid").</summary>
        public string Status { get; }

        /// <summary>What is wrong (revocation never counts: it is not checked).</summary>
        public X509ChainStatusFlags Problems { get; }

        /// <summary>The platform's words for the problems.</summary>
        public string Information { get; }

        /// <summary>The chain as built, leaf first.</summary>
        public IReadOnlyList<X509Certificate2> Chain { get; }

        /// <summary>True when the chain passes through one of the extra trusted certificates.</summary>
        public bool Anchored { get; }
    }

    /// <summary>
    /// The one certificate judge of the transport checks (SMTP/IMAP, DANE, MTA-STS): names (RFC 6125), subjectAltName and
    /// SubjectPublicKeyInfo read with System.Formats.Asn1, and one chain build - extra trust anchors, the clock the caller
    /// injects, revocation not checked and intermediates never downloaded (AIA): a check goes nowhere it was not sent.
    /// </summary>
    public static class CertificateJudge
    {
        private const string SubjectAltNameOid = "2.5.29.17";

        /// <summary>The dNSName entries of the subjectAltName extension, lower-cased; the CN when there is no SAN extension.</summary>
        public static IReadOnlyList<string> GetDnsNames(X509Certificate2 cert)
        {
            var san = ReadSubjectAltNames(cert);
            if (san.HasSan) return san.Dns;
            var cn = cert.GetNameInfo(X509NameType.SimpleName, false);
            return Strings.IsNullOrEmpty(cn) ? (IReadOnlyList<string>)new string[0] : new[] { cn.ToLowerInvariant() };
        }

        /// <summary>True when the certificate covers <paramref name="host"/>: exact DNS name, or a wildcard standing for exactly the
        /// leftmost label (RFC 6125 §6.4.3; "*.example.com" covers a.example.com, not example.com or a.b.example.com).
        /// For an IP address, the iPAddress SAN entries.</summary>
        public static bool MatchesHostName(X509Certificate2 cert, string host)
        {
            if (Strings.IsNullOrEmpty(host)) return false;
            host = DnsName.Normalize(host.Trim().Trim('[', ']')).ToLowerInvariant();
            var san = ReadSubjectAltNames(cert);
            if (IPAddress.TryParse(host, out var ip)) return san.Ips.Any(a => a.Equals(ip));
            var names = san.HasSan ? san.Dns : GetDnsNames(cert);
            return names.Any(n => NameCovers(n, host));
        }

        internal static bool NameCovers(string pattern, string host)
        {
            pattern = DnsName.Normalize(pattern).ToLowerInvariant();
            if (pattern == host) return true;
            if (!pattern.StartsWith("*.", StringComparison.Ordinal)) return false;
            var suffix = pattern.Substring(1); // ".example.com"
            if (DnsName.LabelCount(pattern) < 3) return false; // "*.com" covers nothing
            if (!host.EndsWith(suffix, StringComparison.Ordinal)) return false;
            var left = host.Substring(0, host.Length - suffix.Length);
            return left.Length > 0 && left.IndexOf('.') < 0;
        }

        /// <summary>The DER SubjectPublicKeyInfo of the certificate (the input of a selector-1 TLSA record).</summary>
        public static byte[] GetSubjectPublicKeyInfo(X509Certificate2 cert)
        {
            try
            {
                var certificate = new AsnReader(cert.RawData, AsnEncodingRules.DER).ReadSequence();
                var tbs = certificate.ReadSequence();
                if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true))) tbs.ReadEncodedValue(); // [0] version
                for (int i = 0; i < 5; i++) tbs.ReadEncodedValue(); // serial, signature, issuer, validity, subject
                if (!tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
                    throw new CryptographicException("The certificate's SubjectPublicKeyInfo could not be found.");
                return tbs.ReadEncodedValue().ToArray();
            }
            catch (AsnContentException ex)
            {
                throw new CryptographicException("The certificate's SubjectPublicKeyInfo could not be read: " + ex.Message, ex);
            }
        }

        private struct SubjectAltNames
        {
            public List<string> Dns;
            public List<IPAddress> Ips;
            public bool HasSan;
        }

        /// <summary>The dNSName ([2] IA5String) and iPAddress ([7] OCTET STRING) entries of the subjectAltName extension; other
        /// name forms are skipped. A malformed extension reads as whatever came before the damage.</summary>
        private static SubjectAltNames ReadSubjectAltNames(X509Certificate2 cert)
        {
            var result = new SubjectAltNames { Dns = new List<string>(), Ips = new List<IPAddress>() };
            var ext = cert.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == SubjectAltNameOid);
            if (ext == null) return result;
            result.HasSan = true;
            var dnsTag = new Asn1Tag(TagClass.ContextSpecific, 2);
            var ipTag = new Asn1Tag(TagClass.ContextSpecific, 7);
            try
            {
                var names = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag.HasSameClassAndValue(dnsTag))
                        result.Dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, dnsTag).ToLowerInvariant());
                    else if (tag.HasSameClassAndValue(ipTag))
                    {
                        var b = names.ReadOctetString(ipTag);
                        if (b.Length == 4 || b.Length == 16) result.Ips.Add(new IPAddress(b));
                    }
                    else names.ReadEncodedValue();
                }
            }
            catch (AsnContentException)
            {
                // keep what was read
            }
            return result;
        }

        /// <summary>An X509Chain set up the one MailOps way: verification at <paramref name="now"/> (UTC), no revocation check,
        /// no downloads, <paramref name="extra"/> as candidate intermediates and anchors. The caller disposes it.</summary>
        internal static X509Chain CreateChain(DateTime now, IEnumerable<X509Certificate2> extra, X509VerificationFlags flags = X509VerificationFlags.NoFlag)
        {
            var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationFlags = flags;
            chain.ChainPolicy.VerificationTime = DateTime.SpecifyKind(now, DateTimeKind.Utc).ToLocalTime();
            DisableDownloads(chain.ChainPolicy);
            foreach (var c in extra ?? Enumerable.Empty<X509Certificate2>()) chain.ChainPolicy.ExtraStore.Add(c);
            return chain;
        }

        /// <summary>Builds the chain of <paramref name="leaf"/> with the certificates the server presented and the extra trusted
        /// certificates; a chain that passes through one of <paramref name="trusted"/> counts as trusted.</summary>
        internal static ChainVerdict BuildChain(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, IReadOnlyCollection<X509Certificate2> trusted, DateTime now)
        {
            trusted = trusted ?? new X509Certificate2[0];
            using (var chain = CreateChain(now, (presented ?? Enumerable.Empty<X509Certificate2>()).Concat(trusted)))
            {
                chain.Build(leaf);
                var elements = chain.ChainElements.Cast<X509ChainElement>().Select(e => new X509Certificate2(e.Certificate)).ToList();
                var thumbprints = new HashSet<string>(trusted.Select(t => t.Thumbprint), StringComparer.OrdinalIgnoreCase);
                var anchored = elements.Any(e => thumbprints.Contains(e.Thumbprint));
                var ignored = X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;
                if (anchored) ignored |= X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
                var statuses = chain.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError && (s.Status & ~ignored) != 0).ToList();
                var problems = statuses.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status) & ~ignored;
                var info = string.Join("; ", statuses.Select(s => (s.StatusInformation ?? "").Trim()).Where(s => s.Length > 0).Distinct());
                var status = statuses.Count == 0 ? "Valid" : string.Join(", ", statuses.Select(s => s.Status & ~ignored).Distinct().Select(p => p.ToString()));
                return new ChainVerdict(statuses.Count == 0, status, problems, info, elements, anchored);
            }
        }

        /// <summary>Never fetch intermediates from the network (AIA): a check must not leave for an address it was not given.
        /// The property exists from .NET 5 on; MailOps targets netstandard2.0, so it is set by reflection when present
        /// (.NET Framework never downloads when the chain is built with no network retrieval allowed by policy).</summary>
        private static void DisableDownloads(X509ChainPolicy policy)
        {
            var p = policy.GetType().GetProperty("DisableCertificateDownloads");
            if (p != null && p.CanWrite) p.SetValue(policy, true);
        }

        /// <summary>Judges a presented certificate against a host name at <paramref name="now"/> (UTC).</summary>
        public static MailCertificate Inspect(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, string hostName,
            IReadOnlyCollection<X509Certificate2> trusted, DateTime now)
        {
            var verdict = BuildChain(leaf, presented, trusted, now);
            return new MailCertificate(leaf, hostName, verdict.Valid, verdict.Status, MatchesHostName(leaf, hostName), now, verdict.Chain);
        }

        internal static string Describe(IEnumerable<string> names) => string.Join(", ", names.DefaultIfEmpty("(none)"));
    }
}
