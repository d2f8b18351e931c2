using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Text;

namespace MailOps.Dkim
{
    /// <summary>RFC 6376 §3.2 tag=value lists, as used by DKIM-Signature fields and key records.</summary>
    internal static class DkimTagList
    {
        /// <summary>Parses a tag list into a map (tag names are case-sensitive) and adds what is wrong to
        /// <paramref name="problems"/> (nothing when the list is well formed). White space around tags and values is
        /// dropped; inside values it is kept so callers can strip it where the RFC says so.</summary>
        public static Dictionary<string, string> Parse(string? text, List<string> problems)
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (text == null) return tags;
            var parts = text.Split(';');
            for (int i = 0; i < parts.Length; i++)
            {
                var part = parts[i];
                if (part.Trim().Length == 0)
                {
                    // An empty trailing element ("...; ") is allowed; an empty one in the middle is tolerated.
                    continue;
                }
                var eq = part.IndexOf('=');
                if (eq < 0)
                {
                    problems.Add($"'{part.Trim()}' is not a tag=value pair");
                    continue;
                }
                var name = part.Substring(0, eq).Trim();
                var value = part.Substring(eq + 1).Trim(' ', '\t', '\r', '\n');
                if (name.Length == 0 || !IsTagName(name))
                {
                    problems.Add($"'{name}' is not a valid tag name");
                    continue;
                }
                if (tags.ContainsKey(name))
                {
                    problems.Add($"the tag {name}= appears twice (RFC 6376 §3.2 forbids duplicates)");
                    continue;
                }
                tags[name] = value;
            }
            return tags;
        }

        private static bool IsTagName(string name)
        {
            if (!char.IsLetter(name[0]) || name[0] > 'z') return false;
            foreach (var c in name)
                if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '_'))) return false;
            return true;
        }

        /// <summary>Removes all folding white space (for base64 values such as p=, b=, bh=).</summary>
        [return: NotNullIfNotNull(nameof(value))]
        public static string? StripWhiteSpace(string? value)
        {
            if (value == null) return null;
            var sb = new StringBuilder(value.Length);
            foreach (var c in value)
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') sb.Append(c);
            return sb.ToString();
        }

        /// <summary>Splits a colon-separated list (h=, s=, t=), trimming white space, dropping empty items.</summary>
        public static List<string> SplitList(string? value)
        {
            var list = new List<string>();
            if (value == null) return list;
            foreach (var item in value.Split(':'))
            {
                var t = StripWhiteSpace(item);
                if (t.Length > 0) list.Add(t);
            }
            return list;
        }
    }
}
