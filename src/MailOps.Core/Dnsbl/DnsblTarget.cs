using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailOps.Dns;

namespace MailOps.Dnsbl
{
    /// <summary>What is checked against a blocklist: an IPv4 or IPv6 address, or a domain name.</summary>
    public sealed class DnsblTarget
    {
        private DnsblTarget(string text, string kind, IPAddress? address)
        {
            Text = text;
            Kind = kind;
            Address = address;
        }

        /// <summary>The address or domain as reported in results.</summary>
        public string Text { get; }

        /// <summary>IPv4, IPv6 or Domain.</summary>
        public string Kind { get; }

        public IPAddress? Address { get; }

        public bool IsDomain => Kind == "Domain";

        public bool IsIPv6 => Kind == "IPv6";

        /// <summary>An address target. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are checked as the IPv4 address.</summary>
        public static DnsblTarget ForAddress(IPAddress address)
        {
            if (address == null) throw new ArgumentNullException(nameof(address));
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) address = new IPAddress(address.GetAddressBytes());
            return new DnsblTarget(address.ToString(), address.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6", address);
        }

        /// <summary>A domain target (normalised: no trailing dot, lower case). Throws ArgumentException for a bad name.</summary>
        public static DnsblTarget ForDomain(string domain)
        {
            var problem = DnsName.ValidateDomainName(domain);
            if (problem != null) throw new ArgumentException($"'{domain}' is not a valid domain name: {problem}.", nameof(domain));
            return new DnsblTarget(DnsName.Normalize(domain.Trim()).ToLowerInvariant(), "Domain", null);
        }

        /// <summary>The labels put in front of the zone (RFC 5782 §2.1, §2.4, §3).</summary>
        internal string QueryPrefix => Address == null ? Text : AddressLabels(Address);   // a domain has no address

        /// <summary>Reversed octets for IPv4; 32 reversed nibbles for IPv6 - without mapping IPv4-mapped addresses, so the
        /// RFC 5782 IPv6 test point ::FFFF:7F00:2 is asked in its IPv6 form.</summary>
        internal static string AddressLabels(IPAddress address)
        {
            var bytes = address.GetAddressBytes();
            if (address.AddressFamily == AddressFamily.InterNetwork)
                return string.Join(".", Enumerable.Reverse(bytes).Select(b => b.ToString(CultureInfo.InvariantCulture)));
            var sb = new StringBuilder(64);
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                if (sb.Length > 0) sb.Append('.');
                sb.Append((bytes[i] & 0x0f).ToString("x", CultureInfo.InvariantCulture)).Append('.');
                sb.Append((bytes[i] >> 4).ToString("x", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        public override string ToString() => Text;
    }
}
