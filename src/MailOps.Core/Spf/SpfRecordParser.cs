using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MailOps.Spf
{
    /// <summary>One term of a parsed SPF record: a directive (qualifier + mechanism) or a modifier.</summary>
    internal sealed class SpfParsedTerm
    {
        public required string Text;     // as written
        public int Position;            // 0-based offset in the record text
        public bool IsModifier;
        public string? Name;             // mechanism or modifier name, lower case
        public char Qualifier = '+';    // + - ~ ?
        public MacroString? Domain;      // domain-spec (include, a, mx, ptr, exists, redirect, exp); null when absent
        public string? Value;            // unknown modifier value
        public int Cidr4 = 32;
        public int Cidr6 = 128;
        public IPAddress? Network;       // ip4 / ip6
        public int Prefix;

        /// <summary>True for the terms RFC 7208 §4.6.4 counts against the limit of 10 DNS-querying terms.</summary>
        public bool CountsLookup => Name == "include" || Name == "a" || Name == "mx" || Name == "ptr" || Name == "exists" || Name == "redirect";

        public string QualifierResult => SpfParser.QualifierResult(Qualifier);

        public override string? ToString() => Text;
    }

    /// <summary>A parsed SPF record, or the syntax error that makes it a permerror.</summary>
    internal sealed class SpfParsedRecord
    {
        public string? Text;
        public List<SpfParsedTerm> Terms = new List<SpfParsedTerm>();
        public List<SpfParsedTerm> Mechanisms = new List<SpfParsedTerm>();
        public SpfParsedTerm? Redirect;
        public SpfParsedTerm? Exp;

        /// <summary>Null when the record is valid.</summary>
        public string? Error;

        /// <summary>0-based offset of the error in <see cref="Text"/>.</summary>
        public int ErrorPosition;

        /// <summary>The term in which the error is, when there is one.</summary>
        public string? ErrorTerm;

        public bool IsValid => Error == null;

        /// <summary>"position 14 ('a:foo'): ..."; positions are 1-based for people.</summary>
        public string? DescribeError() =>
            Error == null ? null : $"syntax error at position {ErrorPosition + 1}{(ErrorTerm != null ? $" (in '{ErrorTerm}')" : "")}: {Error}";
    }

    /// <summary>Parses SPF records per RFC 7208 §4.5–§7 (ABNF in §12), reporting the first error with its position.</summary>
    internal static class SpfParser
    {
        private static readonly Regex ModifierName = new Regex(@"^([A-Za-z][A-Za-z0-9\-_.]*)=", RegexOptions.CultureInvariant);
        private static readonly Regex DualCidr = new Regex(@"^(.*?)((?:/[0-9]+)?(?://[0-9]+)?)$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
        private static readonly Regex CidrParts = new Regex(@"^(?:/([0-9]+))?(?://([0-9]+))?$", RegexOptions.CultureInvariant);
        private static readonly Regex Ip4Network = new Regex(@"^((?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])){3})(?:/([0-9]+))?$", RegexOptions.CultureInvariant);
        private static readonly Regex Ip6Network = new Regex(@"^([0-9A-Fa-f:.]+)(?:/([0-9]+))?$", RegexOptions.CultureInvariant);

        /// <summary>True when a TXT record's text is an SPF record: "v=spf1" (any case) then a space or the end (RFC 7208 §4.5).</summary>
        public static bool IsSpfRecord(string? text) =>
            text != null && text.Length >= 6 && string.Compare(text, 0, "v=spf1", 0, 6, StringComparison.OrdinalIgnoreCase) == 0
            && (text.Length == 6 || text[6] == ' ');

        internal static string QualifierResult(char q) => q == '-' ? "fail" : q == '~' ? "softfail" : q == '?' ? "neutral" : "pass";

        public static SpfParsedRecord Parse(string text)
        {
            var rec = new SpfParsedRecord { Text = text };
            if (!IsSpfRecord(text))
            {
                rec.Error = "the record does not start with 'v=spf1' followed by a space";
                return rec;
            }
            int i = 6;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == ' ') { i++; continue; }
                int start = i;
                while (i < text.Length && text[i] != ' ') i++;
                var termText = text.Substring(start, i - start);
                var term = ParseTerm(termText, start, out var error, out var offset);
                if (term == null)
                {
                    rec.Error = error;
                    rec.ErrorPosition = start + offset;
                    rec.ErrorTerm = Printable(termText);
                    return rec;
                }
                rec.Terms.Add(term);
                if (!term.IsModifier) rec.Mechanisms.Add(term);
                else if (term.Name == "redirect")
                {
                    if (rec.Redirect != null) return Fail(rec, term, "'redirect=' appears more than once (RFC 7208 §6)");
                    rec.Redirect = term;
                }
                else if (term.Name == "exp")
                {
                    if (rec.Exp != null) return Fail(rec, term, "'exp=' appears more than once (RFC 7208 §6)");
                    rec.Exp = term;
                }
            }
            return rec;
        }

        private static SpfParsedRecord Fail(SpfParsedRecord rec, SpfParsedTerm term, string error)
        {
            rec.Error = error;
            rec.ErrorPosition = term.Position;
            rec.ErrorTerm = term.Text;
            return rec;
        }

        private static string Printable(string s) =>
            new string(s.Select(ch => ch < 0x20 || ch == 0x7f ? '?' : ch).ToArray());

        private static SpfParsedTerm? ParseTerm(string text, int position, out string? error, out int offset)
        {
            error = null;
            offset = 0;
            // Anything outside visible ASCII is an error wherever it is (RFC 7208 §3.1, §4.6.1).
            for (int k = 0; k < text.Length; k++)
            {
                char ch = text[k];
                if (ch < 0x21 || ch > 0x7e)
                {
                    offset = k;
                    error = ch > 0x7e
                        ? $"non-ASCII character U+{(int)ch:X4}; SPF records are 7-bit ASCII (RFC 7208 §3.1)"
                        : $"control character 0x{(int)ch:X2}; terms are separated by spaces only (RFC 7208 §4.6.1)";
                    return null;
                }
            }

            var term = new SpfParsedTerm { Text = text, Position = position };
            var mod = ModifierName.Match(text);
            if (mod.Success)
            {
                term.IsModifier = true;
                term.Name = mod.Groups[1].Value.ToLowerInvariant();
                var value = text.Substring(mod.Length);
                int valueOffset = mod.Length;
                if (term.Name == "redirect" || term.Name == "exp")
                {
                    if (value.Length == 0) { error = $"'{term.Name}=' needs a domain"; offset = valueOffset; return null; }
                    term.Domain = ParseDomainSpec(value, out error, out var o);
                    if (term.Domain == null) { offset = valueOffset + o; return null; }
                    return term;
                }
                var ms = SpfMacro.Parse(value, false, out error, out var mo);
                if (ms == null) { offset = valueOffset + mo; return null; }
                term.Value = value;
                return term;
            }

            int p = 0;
            if (text[0] == '+' || text[0] == '-' || text[0] == '~' || text[0] == '?')
            {
                term.Qualifier = text[0];
                p = 1;
            }
            int nameEnd = p;
            while (nameEnd < text.Length && char.IsLetterOrDigit(text[nameEnd])) nameEnd++;
            var name = text.Substring(p, nameEnd - p).ToLowerInvariant();
            var rest = text.Substring(nameEnd);
            int restOffset = nameEnd;
            term.Name = name;
            switch (name)
            {
                case "all":
                    if (rest.Length > 0) { error = $"'all' takes no argument ('{rest}')"; offset = restOffset; return null; }
                    return term;
                case "include":
                case "exists":
                    if (!rest.StartsWith(":", StringComparison.Ordinal) || rest.Length == 1)
                    {
                        error = $"'{name}' needs ':' and a domain ({name}:example.com)";
                        offset = restOffset;
                        return null;
                    }
                    term.Domain = ParseDomainSpec(rest.Substring(1), out error, out var io);
                    if (term.Domain == null) { offset = restOffset + 1 + io; return null; }
                    return term;
                case "ptr":
                    if (rest.Length == 0) return term;
                    if (!rest.StartsWith(":", StringComparison.Ordinal) || rest.Length == 1)
                    {
                        error = rest.StartsWith("/", StringComparison.Ordinal) ? "'ptr' takes no CIDR length" : "'ptr:' needs a domain";
                        offset = restOffset;
                        return null;
                    }
                    term.Domain = ParseDomainSpec(rest.Substring(1), out error, out var po);
                    if (term.Domain == null) { offset = restOffset + 1 + po; return null; }
                    return term;
                case "a":
                case "mx":
                {
                    var m = DualCidr.Match(rest);
                    var domainPart = m.Groups[1].Value;
                    var cidr = m.Groups[2].Value;
                    if (domainPart.Length > 0)
                    {
                        if (!domainPart.StartsWith(":", StringComparison.Ordinal))
                        {
                            error = $"unexpected '{domainPart}' after '{name}'; write {name}:domain/24//64";
                            offset = restOffset;
                            return null;
                        }
                        if (domainPart.Length == 1) { error = $"'{name}:' needs a domain"; offset = restOffset; return null; }
                        term.Domain = ParseDomainSpec(domainPart.Substring(1), out error, out var ao);
                        if (term.Domain == null) { offset = restOffset + 1 + ao; return null; }
                    }
                    if (cidr.Length > 0)
                    {
                        var cm = CidrParts.Match(cidr);
                        int cidrOffset = restOffset + domainPart.Length;
                        if (!cm.Success) { error = $"bad CIDR length '{cidr}'"; offset = cidrOffset; return null; }
                        if (cm.Groups[1].Success)
                        {
                            if (!ParsePrefix(cm.Groups[1].Value, 32, out term.Cidr4, out error)) { offset = cidrOffset; return null; }
                        }
                        if (cm.Groups[2].Success)
                        {
                            if (!ParsePrefix(cm.Groups[2].Value, 128, out term.Cidr6, out error)) { offset = cidrOffset; return null; }
                        }
                    }
                    return term;
                }
                case "ip4":
                {
                    if (!rest.StartsWith(":", StringComparison.Ordinal)) { error = "'ip4' needs ':' and an address (ip4:192.0.2.0/24)"; offset = restOffset; return null; }
                    var m = Ip4Network.Match(rest.Substring(1));
                    if (!m.Success)
                    {
                        error = $"'{rest.Substring(1)}' is not an IPv4 address with an optional /prefix (four decimal parts, no leading zeros)";
                        offset = restOffset + 1;
                        return null;
                    }
                    term.Network = IPAddress.Parse(m.Groups[1].Value);
                    term.Prefix = 32;
                    if (m.Groups[2].Success && !ParsePrefix(m.Groups[2].Value, 32, out term.Prefix, out error))
                    {
                        offset = restOffset + 1 + m.Groups[1].Length;
                        return null;
                    }
                    return term;
                }
                case "ip6":
                {
                    if (!rest.StartsWith(":", StringComparison.Ordinal)) { error = "'ip6' needs ':' and an address (ip6:2001:db8::/32)"; offset = restOffset; return null; }
                    var m = Ip6Network.Match(rest.Substring(1));
                    if (!m.Success || m.Groups[1].Value.IndexOf(':') < 0
                        || !IPAddress.TryParse(m.Groups[1].Value, out var net) || net.AddressFamily != AddressFamily.InterNetworkV6)
                    {
                        error = $"'{rest.Substring(1)}' is not an IPv6 address with an optional /prefix";
                        offset = restOffset + 1;
                        return null;
                    }
                    term.Network = net;
                    term.Prefix = 128;
                    if (m.Groups[2].Success && !ParsePrefix(m.Groups[2].Value, 128, out term.Prefix, out error))
                    {
                        offset = restOffset + 1 + m.Groups[1].Length;
                        return null;
                    }
                    return term;
                }
                default:
                    error = name.Length == 0
                        ? $"'{text}' is neither a mechanism nor a modifier"
                        : name == "redirect" || name == "exp"
                            ? $"'{name}' is a modifier: write {name}=domain"
                            : $"unknown mechanism '{name}'";
                    offset = p;
                    return null;
            }
        }

        private static bool ParsePrefix(string digits, int max, out int value, out string? error)
        {
            error = null;
            value = 0;
            if ((digits.Length > 1 && digits[0] == '0') || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value > max)
            {
                error = $"CIDR length /{digits} is not a number from 0 to {max} without leading zeros";
                return false;
            }
            return true;
        }

        /// <summary>domain-spec = macro-string domain-end (RFC 7208 §7.1).</summary>
        internal static MacroString? ParseDomainSpec(string text, out string? error, out int offset)
        {
            var ms = SpfMacro.Parse(text, false, out error, out offset);
            if (ms == null) return null;
            error = SpfMacro.CheckDomainEnd(ms);
            if (error != null) { offset = 0; return null; }
            return ms;
        }
    }
}
