using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace MailOps.Spf
{
    /// <summary>One piece of a macro-string (RFC 7208 §7.1): literal text, an escape (%%, %_, %-) or a macro-expand.</summary>
    internal sealed class MacroToken
    {
        public string? Literal;          // literal text, or the expansion of an escape
        public bool IsEscape;           // %% %_ %-
        public char Letter;             // lower-case macro letter; '\0' for literals and escapes
        public bool UrlEscape;          // the letter was upper case
        public int Digits;              // 0 = keep all parts
        public bool Reverse;
        public string Delimiters = ".";

        public bool IsMacro => Letter != '\0';
    }

    /// <summary>A parsed macro-string: a domain-spec, or an explain-string from an exp= TXT record.</summary>
    internal sealed class MacroString
    {
        public MacroString(string text, IReadOnlyList<MacroToken> tokens)
        {
            Text = text;
            Tokens = tokens;
        }

        public string Text { get; }

        public IReadOnlyList<MacroToken> Tokens { get; }

        public bool HasMacros => Tokens.Any(t => t.IsMacro);

        public override string ToString() => Text;
    }

    /// <summary>The values macros expand to for one check_host() (RFC 7208 §7.2).</summary>
    internal sealed class MacroContext
    {
        public string? Sender;           // s: local-part@domain
        public string? LocalPart;        // l
        public string? SenderDomain;     // o
        public string? Domain;           // d: the current domain
        public required IPAddress Ip;    // i, c, v (already unmapped from IPv4-mapped IPv6)
        public string? Helo;             // h
        public string? ReceivingHost;    // r
        public Func<Task<string>>? ValidatedName;  // p (costs DNS queries; only run when used)
        public DateTimeOffset Now;      // t
    }

    /// <summary>Parses and expands RFC 7208 §7 macro-strings.</summary>
    internal static class SpfMacro
    {
        private const string Letters = "slodiphcrtv";
        private const string ExpOnlyLetters = "crt";
        private const string DelimiterChars = ".-+,/_=";

        /// <summary>Parses a macro-string. Returns null and sets <paramref name="error"/> and <paramref name="errorOffset"/>
        /// (0-based, into <paramref name="text"/>) when it is not valid. <paramref name="explain"/> allows the
        /// exp-only letters c, r, t and spaces (explain-string).</summary>
        public static MacroString? Parse(string text, bool explain, out string? error, out int errorOffset)
        {
            error = null;
            errorOffset = 0;
            var tokens = new List<MacroToken>();
            var literal = new StringBuilder();
            void Flush()
            {
                if (literal.Length > 0) { tokens.Add(new MacroToken { Literal = literal.ToString() }); literal.Clear(); }
            }
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c != '%')
                {
                    bool ok = explain ? (c >= 0x20 && c <= 0x7e) : (c >= 0x21 && c <= 0x7e);
                    if (!ok)
                    {
                        error = c > 0x7e
                            ? $"non-ASCII character U+{(int)c:X4}; SPF records are 7-bit ASCII (RFC 7208 §3.1)"
                            : $"character 0x{(int)c:X2} is not allowed here (RFC 7208 §7.1 allows visible ASCII only)";
                        errorOffset = i;
                        return null;
                    }
                    literal.Append(c);
                    i++;
                    continue;
                }
                if (i + 1 >= text.Length)
                {
                    error = "'%' at the end; write '%%' for a literal percent sign (RFC 7208 §7.1)";
                    errorOffset = i;
                    return null;
                }
                char n = text[i + 1];
                if (n == '%' || n == '_' || n == '-')
                {
                    Flush();
                    tokens.Add(new MacroToken { Literal = n == '%' ? "%" : n == '_' ? " " : "%20", IsEscape = true });
                    i += 2;
                    continue;
                }
                if (n != '{')
                {
                    error = $"'%{n}' is not a macro: '%' must be followed by '{{', '%', '_' or '-' (RFC 7208 §7.1)";
                    errorOffset = i;
                    return null;
                }
                int close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    error = "'%{' without a closing '}'";
                    errorOffset = i;
                    return null;
                }
                var body = text.Substring(i + 2, close - i - 2);
                var token = ParseMacroBody(body, explain, out error);
                if (token == null)
                {
                    errorOffset = i;
                    return null;
                }
                Flush();
                tokens.Add(token);
                i = close + 1;
            }
            Flush();
            return new MacroString(text, tokens);
        }

        private static MacroToken? ParseMacroBody(string body, bool explain, out string? error)
        {
            error = null;
            if (body.Length == 0) { error = "empty macro '%{}'"; return null; }
            char letter = body[0];
            char lower = char.ToLowerInvariant(letter);
            if (Letters.IndexOf(lower) < 0 || letter > 0x7f)
            {
                error = $"'%{{{letter}' is not a macro letter; RFC 7208 §7.2 defines s, l, o, d, i, p, v, h (and c, r, t in exp= text)";
                return null;
            }
            if (!explain && ExpOnlyLetters.IndexOf(lower) >= 0)
            {
                error = $"the macro letter '{letter}' is allowed only in exp= explanation text (RFC 7208 §7.2)";
                return null;
            }
            var token = new MacroToken { Letter = lower, UrlEscape = char.IsUpper(letter) };
            int i = 1;
            int start = i;
            while (i < body.Length && body[i] >= '0' && body[i] <= '9') i++;
            if (i > start)
            {
                if (!int.TryParse(body.Substring(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var digits) || digits == 0)
                {
                    error = $"'{body.Substring(start, i - start)}' is not a usable number of parts in '%{{{body}}}'";
                    return null;
                }
                token.Digits = Math.Min(digits, 128);
            }
            if (i < body.Length && (body[i] == 'r' || body[i] == 'R'))
            {
                token.Reverse = true;
                i++;
            }
            if (i < body.Length)
            {
                var delims = body.Substring(i);
                foreach (var d in delims)
                {
                    if (DelimiterChars.IndexOf(d) < 0)
                    {
                        error = $"'{d}' in '%{{{body}}}' is not a delimiter; RFC 7208 §7.1 allows . - + , / _ =";
                        return null;
                    }
                }
                token.Delimiters = delims;
            }
            return token;
        }

        /// <summary>Checks the end of a domain-spec: a macro-expand, or "." and a top label (RFC 7208 §7.1 domain-end).
        /// Returns null when fine, else what is wrong.</summary>
        public static string? CheckDomainEnd(MacroString spec)
        {
            if (spec.Tokens.Count == 0) return "the domain is empty";
            var last = spec.Tokens[spec.Tokens.Count - 1];
            if (last.IsMacro || last.IsEscape) return null;
            var tail = last.Literal!;   // a literal token (not a macro, not an escape) has its text
            if (tail.EndsWith(".", StringComparison.Ordinal)) tail = tail.Substring(0, tail.Length - 1);
            int dot = tail.LastIndexOf('.');
            if (dot < 0)
                return spec.Tokens.Count == 1
                    ? $"'{spec.Text}' is not a domain name with at least two labels"
                    : $"'{spec.Text}' must end in a macro or in '.' and a top-level label";
            var top = tail.Substring(dot + 1);
            if (!IsTopLabel(top))
            {
                if (top.Length > 0 && top.All(char.IsDigit) && IPAddress.TryParse(spec.Text, out _))
                    return $"'{spec.Text}' is an IP address, not a domain name (use ip4:{spec.Text})";
                return $"'{top}' is not a valid top-level label in '{spec.Text}' (letters, digits and inner hyphens, not all digits)";
            }
            return null;
        }

        private static bool IsTopLabel(string s)
        {
            if (s.Length == 0) return false;
            if (!s.All(ch => (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
            if (s[0] == '-' || s[s.Length - 1] == '-') return false;
            return s.Any(ch => (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
        }

        /// <summary>Expands a macro-string. Letters are expanded per RFC 7208 §7.3; upper-case letters are URL-escaped.</summary>
        public static async Task<string> ExpandAsync(MacroString spec, MacroContext ctx)
        {
            var sb = new StringBuilder();
            foreach (var t in spec.Tokens)
            {
                if (!t.IsMacro) { sb.Append(t.Literal); continue; }
                string? value;
                switch (t.Letter)
                {
                    case 's': value = ctx.Sender; break;
                    case 'l': value = ctx.LocalPart; break;
                    case 'o': value = ctx.SenderDomain; break;
                    case 'd': value = ctx.Domain; break;
                    case 'i': value = DottedIp(ctx.Ip); break;
                    case 'p': value = ctx.ValidatedName != null ? await ctx.ValidatedName().ConfigureAwait(false) : "unknown"; break;
                    case 'v': value = ctx.Ip.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6"; break;
                    case 'h': value = ctx.Helo; break;
                    case 'c': value = ctx.Ip.ToString(); break;
                    case 'r': value = Strings.IsNullOrEmpty(ctx.ReceivingHost) ? "unknown" : ctx.ReceivingHost; break;
                    case 't': value = ctx.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture); break;
                    default: value = ""; break;
                }
                value = Transform(value ?? "", t);
                if (t.UrlEscape) value = UrlEscape(value);
                sb.Append(value);
            }
            return sb.ToString();
        }

        internal static string Transform(string value, MacroToken t)
        {
            if (t.Digits == 0 && !t.Reverse && t.Delimiters == ".") return value;
            var parts = value.Split(t.Delimiters.ToCharArray()).ToList();
            if (t.Reverse) parts.Reverse();
            if (t.Digits > 0 && parts.Count > t.Digits) parts = parts.Skip(parts.Count - t.Digits).ToList();
            return string.Join(".", parts);
        }

        /// <summary>IPv4 as a dotted quad; IPv6 as 32 dot-separated nibbles (RFC 7208 §7.3).</summary>
        internal static string DottedIp(IPAddress ip)
        {
            if (ip.AddressFamily == AddressFamily.InterNetwork) return ip.ToString();
            var sb = new StringBuilder();
            foreach (var b in ip.GetAddressBytes())
            {
                if (sb.Length > 0) sb.Append('.');
                sb.Append((b >> 4).ToString("x", CultureInfo.InvariantCulture)).Append('.').Append((b & 0xf).ToString("x", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        private static string UrlEscape(string s)
        {
            var sb = new StringBuilder();
            foreach (var b in Encoding.UTF8.GetBytes(s))
            {
                char c = (char)b;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
                    sb.Append(c);
                else
                    sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        /// <summary>Makes an expanded domain usable as a query name: drops a trailing dot and, over 253 characters,
        /// removes labels from the left (RFC 7208 §7.3). Returns null when the result is not a valid DNS name
        /// (empty label, label over 63 octets, a single label).</summary>
        internal static string? ToQueryName(string expanded)
        {
            var name = expanded;
            if (name.EndsWith(".", StringComparison.Ordinal)) name = name.Substring(0, name.Length - 1);
            if (name.Length > 253)
            {
                // The first label boundary that leaves at most 253 characters (one pass, however long the expansion).
                int dot = name.IndexOf('.', name.Length - 254);
                if (dot < 0) return null;
                name = name.Substring(dot + 1);
            }
            return IsValidDomain(name) ? name : null;
        }

        /// <summary>RFC 7208 §4.3: a multi-label name, no empty label, no label over 63 octets, not a domain literal.</summary>
        internal static bool IsValidDomain(string name)
        {
            if (Strings.IsNullOrEmpty(name) || name.Length > 253 || name.StartsWith("[", StringComparison.Ordinal)) return false;
            var labels = name.Split('.');
            if (labels.Length < 2) return false;
            return labels.All(l => l.Length > 0 && Encoding.UTF8.GetByteCount(l) <= 63);
        }
    }
}
