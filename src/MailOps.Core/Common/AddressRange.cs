using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MailOps
{
    /// <summary>
    /// Addresses as users type them: one address (192.0.2.10, 2001:db8::25) or a CIDR range (192.0.2.0/28,
    /// 2001:db8::/124). Ranges are bounded so one typo cannot start a million lookups: /24 or smaller for IPv4
    /// (at most 256 addresses), /120 or smaller for IPv6. In a range of more than two addresses the network address
    /// (all host bits zero) is left out, and for IPv4 the broadcast address (all host bits one) too: neither sends
    /// mail. /31 and /32 (IPv4), /127 and /128 (IPv6) give every address.
    /// </summary>
    public static class AddressRange
    {
        /// <summary>The shortest IPv4 prefix accepted (256 addresses).</summary>
        public const int MinIPv4Prefix = 24;

        /// <summary>The shortest IPv6 prefix accepted (256 addresses).</summary>
        public const int MinIPv6Prefix = 120;

        /// <summary>
        /// Parses one address or CIDR range into its addresses, in ascending order. Returns null and the addresses, or
        /// a sentence saying what is wrong (not an address, prefix out of range, range too large).
        /// </summary>
        public static string? TryExpand(string text, out IReadOnlyList<IPAddress> addresses)
        {
            addresses = new IPAddress[0];
            var t = (text ?? "").Trim();
            if (t.Length == 0) return "it is empty";
            var slash = t.IndexOf('/');
            var addressText = slash < 0 ? t : t.Substring(0, slash);
            if (addressText.StartsWith("[", StringComparison.Ordinal) && addressText.EndsWith("]", StringComparison.Ordinal))
                addressText = addressText.Substring(1, addressText.Length - 2);
            if (!TryParseAddress(addressText, out var ip))
                return "it is not an IPv4 or IPv6 address" + (slash < 0 ? "" : " range") + " (write 192.0.2.10, 192.0.2.0/28 or 2001:db8::/124)";
            if (slash < 0)
            {
                addresses = new[] { ip };
                return null;
            }
            var v4 = ip.AddressFamily == AddressFamily.InterNetwork;
            var bits = v4 ? 32 : 128;
            var prefixText = t.Substring(slash + 1);
            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > bits)
                return $"the prefix length '/{prefixText}' is not a number from 0 to {bits}";
            var min = v4 ? MinIPv4Prefix : MinIPv6Prefix;
            if (prefix < min)
                return $"the range /{prefix} is too large: ranges are limited to /{min} or smaller for {(v4 ? "IPv4" : "IPv6")} (256 addresses); split it into /{min} ranges";

            var bytes = ip.GetAddressBytes();
            var hostBits = bits - prefix;                   // 0..8: only the last byte varies
            var mask = (byte)(0xFF << hostBits);
            var first = (byte)(bytes[bytes.Length - 1] & mask);
            var count = 1 << hostBits;
            var list = new List<IPAddress>(count);
            for (var i = 0; i < count; i++)
            {
                if (count > 2 && i == 0) continue;               // the network address
                if (count > 2 && v4 && i == count - 1) continue; // the IPv4 broadcast address
                var b = (byte[])bytes.Clone();
                b[b.Length - 1] = (byte)(first + i);
                list.Add(new IPAddress(b));
            }
            addresses = list;
            return null;
        }

        /// <summary>IPv4 in dotted-quad form only (IPAddress.TryParse also takes "10" or "10.1"), or any IPv6 form.</summary>
        public static bool TryParseAddress(string? text, [NotNullWhen(true)] out IPAddress? ip)
        {
            ip = null;
            var t = (text ?? "").Trim();
            if (!IPAddress.TryParse(t, out var parsed)) return false;
            if (parsed.AddressFamily == AddressFamily.InterNetwork)
            {
                var parts = t.Split('.');
                if (parts.Length != 4) return false;
                foreach (var p in parts)
                    if (p.Length == 0 || p.Length > 3 || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 255) return false;
            }
            else if (parsed.AddressFamily != AddressFamily.InterNetworkV6) return false;
            ip = parsed;
            return true;
        }
    }
}
