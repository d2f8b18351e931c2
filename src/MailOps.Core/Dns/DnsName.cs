using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailOps.Dns
{
    /// <summary>Helpers for domain names as MailOps stores them: absolute, no trailing dot, root as ".".</summary>
    public static class DnsName
    {
        /// <summary>Strips one trailing dot (the root stays "."); keeps case.</summary>
        public static string Normalize(string? name)
        {
            if (Strings.IsNullOrEmpty(name) || name == ".") return ".";
            return name.EndsWith(".", StringComparison.Ordinal) && !name.EndsWith("\\.", StringComparison.Ordinal)
                ? name.Substring(0, name.Length - 1)
                : name;
        }

        /// <summary>The name with its trailing dot, as a master file writes an absolute name.</summary>
        public static string Absolute(string name)
        {
            var n = Normalize(name);
            return n == "." ? "." : n + ".";
        }

        /// <summary>Case-insensitive comparison of two names, ignoring a trailing dot.</summary>
        public static bool EqualNames(string? a, string b) =>
            string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

        /// <summary>True when <paramref name="name"/> is <paramref name="zone"/> or below it.</summary>
        public static bool IsAtOrBelow(string? name, string? zone)
        {
            var n = Normalize(name);
            var z = Normalize(zone);
            if (z == ".") return true;
            return string.Equals(n, z, StringComparison.OrdinalIgnoreCase)
                || n.EndsWith("." + z, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>The parent of a name ("." for a top-level label and for the root).</summary>
        public static string Parent(string name)
        {
            var n = Normalize(name);
            if (n == ".") return ".";
            var i = n.IndexOf('.');
            return i < 0 ? "." : n.Substring(i + 1);
        }

        /// <summary>The number of labels ("." has none).</summary>
        public static int LabelCount(string? name)
        {
            var n = Normalize(name);
            return n == "." ? 0 : n.Split('.').Length;
        }

        /// <summary>The reverse-lookup name for an address: in-addr.arpa for IPv4, 32 nibbles under ip6.arpa for IPv6
        /// (RFC 1035 §3.5, RFC 3596 §2.5). IPv4-mapped IPv6 addresses are reversed as IPv4.</summary>
        public static string ReverseName(IPAddress address)
        {
            if (address == null) throw new ArgumentNullException(nameof(address));
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            var bytes = address.GetAddressBytes();
            if (address.AddressFamily == AddressFamily.InterNetwork)
                return string.Join(".", Enumerable.Reverse(bytes).Select(b => b.ToString(CultureInfo.InvariantCulture))) + ".in-addr.arpa";
            var sb = new StringBuilder();
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                sb.Append((bytes[i] & 0x0f).ToString("x", CultureInfo.InvariantCulture)).Append('.');
                sb.Append((bytes[i] >> 4).ToString("x", CultureInfo.InvariantCulture)).Append('.');
            }
            return sb.Append("ip6.arpa").ToString();
        }

        /// <summary>Checks a host or domain name for the syntax DNS carries (labels 1–63 octets, name ≤ 253).
        /// Returns null when valid, else what is wrong.</summary>
        public static string? ValidateDomainName(string? name)
        {
            if (Strings.IsNullOrWhiteSpace(name)) return "the name is empty";
            var n = Normalize(name.Trim());
            if (n == ".") return "the name is the root";
            if (n.Length > 253) return $"the name is {n.Length} characters long; DNS allows 253";
            foreach (var label in n.Split('.'))
            {
                if (label.Length == 0) return "the name has an empty label (two dots in a row)";
                if (label.Length > 63) return $"the label '{label.Substring(0, 20)}…' is {label.Length} characters; DNS allows 63";
                if (label.Any(char.IsWhiteSpace)) return $"the label '{label}' contains white space";
            }
            return null;
        }

        /// <summary>
        /// A domain as users paste it, made into the name to ask DNS for: white space around it trimmed; the domain part
        /// of an address (<c>user@example.com</c>, <c>mailto:</c>, <c>&lt;...&gt;</c>); the host of a URL
        /// (<c>https://example.com/</c>, <c>http://example.com:8080/path</c>); a trailing dot dropped; upper case folded;
        /// an internationalised name turned into A-labels (IDNA, <c>bücher.example</c> to <c>xn--bcher-kva.example</c>).
        /// Labels may hold letters, digits, '-' and '_' (so _dmarc.example.com and _25._tcp.mx.example.com pass); anything
        /// else (white space, other punctuation, an empty label, a label over 63 or a name over 253 characters) is refused.
        /// Returns null and the name, or what is wrong.
        /// </summary>
        public static string? TryNormalizeInput(string input, out string? domain)
        {
            domain = null;
            var t = (input ?? "").Trim();
            if (t.Length == 0) return "the name is empty";
            if (t.StartsWith("<", StringComparison.Ordinal) && t.EndsWith(">", StringComparison.Ordinal)) t = t.Substring(1, t.Length - 2).Trim();
            if (t.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)) t = t.Substring(7);
            if (t.IndexOf("://", StringComparison.Ordinal) > 0)
            {
                if (!Uri.TryCreate(t, UriKind.Absolute, out var uri) || Strings.IsNullOrEmpty(uri.Host))
                    return "it looks like a URL but has no host name";
                t = uri.Host;
            }
            else
            {
                var at = t.LastIndexOf('@');
                if (at >= 0) t = t.Substring(at + 1);
            }
            if (t.Length == 0) return "the name is empty";
            var problem = ValidateDomainName(t);
            if (problem != null) return problem;
            t = Normalize(t);
            if (t.Any(c => c > 0x7F))
            {
                try
                {
                    t = new IdnMapping { AllowUnassigned = false, UseStd3AsciiRules = false }.GetAscii(t);
                }
                catch (ArgumentException)
                {
                    return "it is not a valid internationalised domain name";
                }
            }
            t = t.ToLowerInvariant();
            problem = ValidateDomainName(t);
            if (problem != null) return problem;
            foreach (var label in t.Split('.'))
                foreach (var c in label)
                    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                        return $"the label '{label}' contains '{c}'; domain names hold letters, digits, '-' and '_'";
            domain = t;
            return null;
        }
    }
}
