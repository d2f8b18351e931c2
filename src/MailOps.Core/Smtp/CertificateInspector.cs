using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;

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
            DnsNames = new ResultList<string>(CertificateInspector.GetDnsNames(cert));
            NotBefore = cert.NotBefore.ToUniversalTime();
            NotAfter = cert.NotAfter.ToUniversalTime();
            DaysToExpiry = (int)Math.Floor((NotAfter - now).TotalDays);
            Thumbprint = cert.Thumbprint;
            SpkiSha256 = Hex.Encode(Sha256(CertificateInspector.GetSubjectPublicKeyInfo(cert)));
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

    /// <summary>Certificate checks the transport cmdlets share: names (RFC 6125), chains with extra trust anchors, SPKI.</summary>
    public static class CertificateInspector
    {
        private const string SubjectAltNameOid = "2.5.29.17";

        /// <summary>The dNSName entries of the subjectAltName extension, lower-cased; the CN when there is no SAN extension.</summary>
        public static IReadOnlyList<string> GetDnsNames(X509Certificate2 cert)
        {
            var (dns, _, hasSan) = ReadSubjectAltNames(cert);
            if (hasSan) return dns;
            var cn = cert.GetNameInfo(X509NameType.SimpleName, false);
            return string.IsNullOrEmpty(cn) ? (IReadOnlyList<string>)new string[0] : new[] { cn.ToLowerInvariant() };
        }

        /// <summary>True when the certificate covers <paramref name="host"/>: exact DNS name, or a wildcard standing for exactly the
        /// leftmost label (RFC 6125 §6.4.3; "*.example.com" covers a.example.com, not example.com or a.b.example.com).
        /// For an IP address, the iPAddress SAN entries.</summary>
        public static bool MatchesHostName(X509Certificate2 cert, string host)
        {
            if (string.IsNullOrEmpty(host)) return false;
            host = DnsName.Normalize(host.Trim().Trim('[', ']')).ToLowerInvariant();
            var (dns, ips, hasSan) = ReadSubjectAltNames(cert);
            if (IPAddress.TryParse(host, out var ip)) return ips.Any(a => a.Equals(ip));
            var names = hasSan ? dns : GetDnsNames(cert);
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
            var der = cert.RawData;
            var certSeq = Der.Read(der, 0);
            var tbs = Der.Read(der, certSeq.ContentStart);
            int pos = tbs.ContentStart;
            var first = Der.Read(der, pos);
            if (first.Tag == 0xA0) pos = first.End; // [0] version
            for (int i = 0; i < 5; i++) pos = Der.Read(der, pos).End; // serial, signature, issuer, validity, subject
            var spki = Der.Read(der, pos);
            if (spki.Tag != 0x30) throw new CryptographicException("The certificate's SubjectPublicKeyInfo could not be found.");
            var result = new byte[spki.End - spki.Start];
            Array.Copy(der, spki.Start, result, 0, result.Length);
            return result;
        }

        private static (List<string> Dns, List<IPAddress> Ips, bool HasSan) ReadSubjectAltNames(X509Certificate2 cert)
        {
            var dns = new List<string>();
            var ips = new List<IPAddress>();
            var ext = cert.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == SubjectAltNameOid);
            if (ext == null) return (dns, ips, false);
            var raw = ext.RawData;
            var seq = Der.Read(raw, 0);
            int pos = seq.ContentStart;
            while (pos < seq.End)
            {
                var item = Der.Read(raw, pos);
                if (item.Tag == 0x82)
                    dns.Add(System.Text.Encoding.ASCII.GetString(raw, item.ContentStart, item.End - item.ContentStart).ToLowerInvariant());
                else if (item.Tag == 0x87 && (item.End - item.ContentStart == 4 || item.End - item.ContentStart == 16))
                {
                    var b = new byte[item.End - item.ContentStart];
                    Array.Copy(raw, item.ContentStart, b, 0, b.Length);
                    ips.Add(new IPAddress(b));
                }
                pos = item.End;
            }
            return (dns, ips, true);
        }

        /// <summary>Builds the chain of <paramref name="leaf"/> with the certificates the server sent and the extra trusted CAs;
        /// a chain that ends at one of <paramref name="trusted"/> counts as trusted. Revocation is not checked (offline).</summary>
        public static (bool Valid, string Status, IReadOnlyList<X509Certificate2> Chain) BuildChain(
            X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, IReadOnlyCollection<X509Certificate2> trusted, DateTime now)
        {
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.VerificationTime = now.ToLocalTime();
                DisableDownloads(chain.ChainPolicy);
                foreach (var c in presented ?? Enumerable.Empty<X509Certificate2>()) chain.ChainPolicy.ExtraStore.Add(c);
                foreach (var c in trusted ?? (IReadOnlyCollection<X509Certificate2>)new X509Certificate2[0]) chain.ChainPolicy.ExtraStore.Add(c);
                chain.Build(leaf);
                var elements = chain.ChainElements.Cast<X509ChainElement>().Select(e => new X509Certificate2(e.Certificate)).ToList();
                var root = elements.LastOrDefault();
                var rootIsExtraTrusted = root != null && trusted != null && trusted.Any(t => t.Thumbprint == root.Thumbprint);
                var problems = chain.ChainStatus
                    .Select(s => s.Status)
                    .Where(s => s != X509ChainStatusFlags.NoError)
                    .Where(s => !(rootIsExtraTrusted && s == X509ChainStatusFlags.UntrustedRoot))
                    .Where(s => s != X509ChainStatusFlags.RevocationStatusUnknown && s != X509ChainStatusFlags.OfflineRevocation)
                    .Distinct()
                    .ToList();
                return problems.Count == 0
                    ? (true, "Valid", elements)
                    : (false, string.Join(", ", problems.Select(p => p.ToString())), elements);
            }
        }

        /// <summary>Never fetch intermediates from the network (AIA): a check must not leave for an address it was not given.
        /// The property exists from .NET 5 on; MailOps targets netstandard2.0, so it is set by reflection when present.</summary>
        internal static void DisableDownloads(X509ChainPolicy policy)
        {
            var p = policy.GetType().GetProperty("DisableCertificateDownloads");
            if (p != null && p.CanWrite) p.SetValue(policy, true);
        }

        /// <summary>Judges a presented certificate against a host name.</summary>
        public static MailCertificate Inspect(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, string hostName,
            IReadOnlyCollection<X509Certificate2> trusted, DateTime now)
        {
            var (valid, status, chain) = BuildChain(leaf, presented, trusted, now);
            return new MailCertificate(leaf, hostName, valid, status, MatchesHostName(leaf, hostName), now, chain);
        }

        /// <summary>Reads one or more certificates from a PEM or DER file's bytes.</summary>
        public static IReadOnlyList<X509Certificate2> ReadCertificates(byte[] data)
        {
            var text = System.Text.Encoding.ASCII.GetString(data);
            const string begin = "-----BEGIN CERTIFICATE-----";
            const string end = "-----END CERTIFICATE-----";
            if (text.Contains(begin))
            {
                var list = new List<X509Certificate2>();
                int pos = 0;
                while ((pos = text.IndexOf(begin, pos, StringComparison.Ordinal)) >= 0)
                {
                    var stop = text.IndexOf(end, pos, StringComparison.Ordinal);
                    if (stop < 0) throw new CryptographicException("A PEM certificate block has no END line.");
                    var b64 = text.Substring(pos + begin.Length, stop - pos - begin.Length);
                    list.Add(new X509Certificate2(Convert.FromBase64String(new string(b64.Where(c => !char.IsWhiteSpace(c)).ToArray()))));
                    pos = stop + end.Length;
                }
                return list;
            }
            return new[] { new X509Certificate2(data) };
        }

        internal static string Describe(IEnumerable<string> names) => string.Join(", ", names.DefaultIfEmpty("(none)"));

        internal static string Days(int days) => days.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Just enough DER to walk certificates and extensions.</summary>
    internal static class Der
    {
        internal struct Tlv
        {
            public int Tag;
            public int Start;
            public int ContentStart;
            public int End;
        }

        public static Tlv Read(byte[] data, int pos)
        {
            if (pos + 2 > data.Length) throw new CryptographicException("Truncated DER.");
            var tag = data[pos];
            int len = data[pos + 1];
            int header = 2;
            if ((len & 0x80) != 0)
            {
                int n = len & 0x7f;
                if (n == 0 || n > 4 || pos + 2 + n > data.Length) throw new CryptographicException("Bad DER length.");
                len = 0;
                for (int i = 0; i < n; i++) len = (len << 8) | data[pos + 2 + i];
                header += n;
            }
            if (len < 0 || pos + header + len > data.Length) throw new CryptographicException("DER length runs past the data.");
            return new Tlv { Tag = tag, Start = pos, ContentStart = pos + header, End = pos + header + len };
        }
    }
}
