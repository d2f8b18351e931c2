using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Asn
{
    /// <summary>The origin AS of an address, as Team Cymru's IP-to-ASN DNS service reports it.</summary>
    public sealed class AsnInfo
    {
        internal AsnInfo(string ip, int asn, string? prefix, string? country, string? registry, string? allocated, string? asName)
        {
            IPAddress = ip;
            Asn = asn;
            Prefix = prefix;
            Country = country;
            Registry = registry;
            Allocated = allocated;
            AsName = asName;
        }

        public string IPAddress { get; }
        /// <summary>The origin AS number (the first when several ASes announce the prefix).</summary>
        public int Asn { get; }
        /// <summary>The announced prefix that covers the address, e.g. 198.51.100.0/24.</summary>
        public string? Prefix { get; }
        /// <summary>Two-letter country code of the allocation.</summary>
        public string? Country { get; }
        /// <summary>arin, ripencc, apnic, lacnic or afrinic.</summary>
        public string? Registry { get; }
        public string? Allocated { get; }
        /// <summary>The AS name and description, e.g. "EXAMPLE-NET - Example Networks, US"; null when the name lookup found nothing.</summary>
        public string? AsName { get; }

        public override string ToString() => $"AS{Asn} {AsName} ({Prefix}, {Country})";
    }

    /// <summary>
    /// IP-to-ASN through DNS (Team Cymru, https://www.team-cymru.com/ip-asn-mapping): TXT at
    /// <c>&lt;reversed octets&gt;.origin.asn.cymru.com</c> (IPv6: nibbles at <c>origin6.asn.cymru.com</c>) gives
    /// "ASN | prefix | CC | registry | allocated"; TXT at <c>AS&lt;n&gt;.asn.cymru.com</c> gives
    /// "ASN | CC | registry | allocated | name". Asked through MailOps' resolver (its cache, -Server, -ZoneFile).
    /// </summary>
    public static class AsnLookup
    {
        public const string OriginZone = "origin.asn.cymru.com";
        public const string Origin6Zone = "origin6.asn.cymru.com";
        public const string NameZone = "asn.cymru.com";

        /// <summary>The TXT name to ask for an address.</summary>
        public static string OriginName(IPAddress ip)
        {
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            var b = ip.GetAddressBytes();
            if (ip.AddressFamily == AddressFamily.InterNetwork)
                return $"{b[3]}.{b[2]}.{b[1]}.{b[0]}.{OriginZone}";
            var sb = new StringBuilder();
            for (var i = b.Length - 1; i >= 0; i--)
                sb.Append("0123456789abcdef"[b[i] & 0xf]).Append('.').Append("0123456789abcdef"[b[i] >> 4]).Append('.');
            return sb.Append(Origin6Zone).ToString();
        }

        /// <summary>Looks up the origin AS of an address: null when the service has no data for it (NXDOMAIN, NODATA: an
        /// unannounced or private address). Throws <see cref="DnsQueryFailedException"/> when a question goes unanswered.</summary>
        public static async Task<AsnInfo?> LookupAsync(IDnsResolver dns, IPAddress ip, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            var origin = await dns.QueryAsync(OriginName(ip), DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (origin.IsError) throw new DnsQueryFailedException(origin);
            var text = origin.RecordsOf<TxtRecord>().Select(t => t.Text).FirstOrDefault(t => t.Contains("|"));
            if (text == null) return null;
            var f = Fields(text);
            if (f.Count < 2) return null;
            var asnText = f[0].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (!int.TryParse(asnText, out var asn)) return null;
            string? name = null;
            var named = await dns.QueryAsync($"AS{asn}.{NameZone}", DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (named.IsError) throw new DnsQueryFailedException(named);
            var nameText = named.RecordsOf<TxtRecord>().Select(t => t.Text).FirstOrDefault(t => t.Contains("|"));
            if (nameText != null)
            {
                var n = Fields(nameText);
                if (n.Count >= 5) name = n[4];
            }
            return new AsnInfo(ip.ToString(), asn, At(f, 1), At(f, 2), At(f, 3), At(f, 4), name);
        }

        private static List<string> Fields(string text) => text.Split('|').Select(x => x.Trim()).ToList();

        private static string? At(List<string> f, int i) => i < f.Count && f[i].Length > 0 ? f[i] : null;

        /// <summary>Words in AS names of access networks (home broadband, DSL, cable, mobile): mail sent from such a network is
        /// treated as coming from a dynamic address by many receivers. A heuristic; the list is data.</summary>
        public static IReadOnlyList<string> ResidentialWords { get; } = new[]
        {
            "broadband", "residential", "dsl", "adsl", "vdsl", "cable", "dynamic", "dialup", "dial-up", "ftth", "fttx", "mobile", "wireless", "lte", "3g", "4g", "5g", "home",
        };

        /// <summary>The residential-looking word in an AS name, or null.</summary>
        public static string? ResidentialHint(string? asName)
        {
            if (Strings.IsNullOrEmpty(asName)) return null;
            var words = asName.ToLowerInvariant().Split(new[] { ' ', '-', ',', '.', '_', '(', ')', '/' }, StringSplitOptions.RemoveEmptyEntries);
            return ResidentialWords.FirstOrDefault(w => words.Contains(w));
        }
    }
}
