using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace MailOps.Dmarc
{
    /// <summary>
    /// The Public Suffix List (https://publicsuffix.org/list/), as RFC 7489 §3.2 uses it to find an Organizational
    /// Domain: normal rules, wildcard rules (<c>*.ck</c>) and exception rules (<c>!www.ck</c>); the implicit rule
    /// <c>*</c> when nothing matches. ICANN and private sections are both used.
    /// </summary>
    public sealed class PublicSuffixList
    {
        private readonly HashSet<string> _rules = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _wildcards = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _exceptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        private PublicSuffixList() { }

        /// <summary>Number of rules loaded.</summary>
        public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

        /// <summary>Where the list was loaded from.</summary>
        public string? Source { get; private set; }

        public static PublicSuffixList Load(string path)
        {
            using (var reader = new StreamReader(path))
            {
                var list = Parse(reader);
                list.Source = path;
                return list;
            }
        }

        public static PublicSuffixList Parse(TextReader reader)
        {
            var list = new PublicSuffixList();
            var idn = new IdnMapping();
            string line;
            while ((line = reader.ReadLine()) != null)
            {
                var rule = line.Trim();
                var space = rule.IndexOfAny(new[] { ' ', '\t' });
                if (space >= 0) rule = rule.Substring(0, space);
                if (rule.Length == 0 || rule.StartsWith("//", StringComparison.Ordinal)) continue;
                rule = ToAscii(idn, rule);
                if (rule.StartsWith("!", StringComparison.Ordinal)) list._exceptions.Add(rule.Substring(1));
                else if (rule.StartsWith("*.", StringComparison.Ordinal)) list._wildcards.Add(rule.Substring(2));
                else list._rules.Add(rule);
            }
            return list;
        }

        private static string ToAscii(IdnMapping idn, string s)
        {
            if (s.All(c => c < 128)) return s.ToLowerInvariant();
            try
            {
                var prefix = s.StartsWith("!", StringComparison.Ordinal) ? "!" : s.StartsWith("*.", StringComparison.Ordinal) ? "*." : "";
                return prefix + idn.GetAscii(s.Substring(prefix.Length)).ToLowerInvariant();
            }
            catch (ArgumentException)
            {
                return s.ToLowerInvariant();
            }
        }

        /// <summary>The public suffix of a domain (e.g. "co.uk" for "mail.example.co.uk").</summary>
        public string GetPublicSuffix(string domain)
        {
            var labels = Dns.DnsName.Normalize(domain).ToLowerInvariant().Split('.');
            // Longest matching rule wins; an exception rule beats all others.
            for (int i = 0; i < labels.Length; i++)
            {
                var candidate = string.Join(".", labels, i, labels.Length - i);
                if (_exceptions.Contains(candidate))
                    return string.Join(".", labels, i + 1, labels.Length - i - 1);
                if (_rules.Contains(candidate)) return candidate;
                if (i + 1 < labels.Length)
                {
                    var parent = string.Join(".", labels, i + 1, labels.Length - i - 1);
                    if (_wildcards.Contains(parent)) return candidate;
                }
            }
            return labels[labels.Length - 1];
        }

        /// <summary>The registrable domain (public suffix plus one label), or null when the domain is itself a public suffix.</summary>
        public string? GetRegistrableDomain(string domain)
        {
            var d = Dns.DnsName.Normalize(domain).ToLowerInvariant();
            var suffix = GetPublicSuffix(d);
            if (string.Equals(d, suffix, StringComparison.OrdinalIgnoreCase)) return null;
            var rest = d.Substring(0, d.Length - suffix.Length - 1);
            var dot = rest.LastIndexOf('.');
            return (dot < 0 ? rest : rest.Substring(dot + 1)) + "." + suffix;
        }
    }
}
