using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace MailOps.Dns
{
    /// <summary>
    /// Decides whether a DNS reply answers the question that was asked. The one place MailOps checks a reply before it
    /// believes it (RFC 5452 §9.1, RFC 1034 §4.3.2):
    /// <list type="bullet">
    /// <item>the question section echoes the question: one entry, same name (case-insensitive), type and class IN;</item>
    /// <item>every answer record is owned by the question name or by a name reached through the CNAME chain that starts
    /// at it (a DNAME record is skipped: its synthesized CNAME carries the chain);</item>
    /// <item>the chain has no loop, no name with two CNAMEs, and at most <see cref="MaxCnameChain"/> links;</item>
    /// <item>the reply carries at most <see cref="MaxAnswerRecords"/> records and <see cref="MaxTextStrings"/> TXT
    /// character-strings.</item>
    /// </list>
    /// A reply that fails any of these is a DNS error for the question (never an answer, never "no record").
    /// </summary>
    public static class DnsAnswerValidator
    {
        /// <summary>The most CNAME links followed from the question name (BIND and Unbound stop at a similar depth).</summary>
        public const int MaxCnameChain = 16;

        /// <summary>The most records one reply may carry in its answer section.</summary>
        public const int MaxAnswerRecords = 1000;

        /// <summary>The most TXT/SPF character-strings one reply may carry (a 4096-bit DKIM key needs 3).</summary>
        public const int MaxTextStrings = 1000;

        private const int DnameType = 39;


        /// <summary>One entry of a reply's question section, as read from the wire.</summary>
        public readonly struct Question
        {
            public Question(string name, int type, int @class)
            {
                Name = name;
                Type = type;
                Class = @class;
            }

            public string Name { get; }
            public int Type { get; }
            public int Class { get; }
        }

        /// <summary>Checks a reply. Returns null and the records to believe (in reply order), or what is wrong with it.</summary>
        /// <param name="name">The name asked.</param>
        /// <param name="type">The type asked.</param>
        /// <param name="questionRequired">True when the reply must echo the question (NOERROR and NXDOMAIN replies; an
        /// error reply may omit it, and is an error anyway).</param>
        /// <param name="questions">The reply's question section.</param>
        /// <param name="answers">The reply's answer section.</param>
        /// <param name="accepted">The records owned by names on the chain.</param>
        public static string? Validate(string name, DnsRecordType type, bool questionRequired, IReadOnlyList<Question> questions,
            IReadOnlyList<DnsRecord> answers, out IReadOnlyList<DnsRecord> accepted)
        {
            accepted = Array.Empty<DnsRecord>();
            questions = questions ?? Array.Empty<Question>();
            answers = answers ?? Array.Empty<DnsRecord>();

            if (questions.Count > 0 || questionRequired)
            {
                if (questions.Count != 1)
                    return $"the reply's question section has {questions.Count} entries instead of echoing the one question asked";
                var q = questions[0];
                if (!SameName(q.Name, name) || q.Type != (int)type || q.Class != 1)
                    return $"the reply answers another question ({Display(q.Name)} {TypeName(q.Type)} class {q.Class.ToString(CultureInfo.InvariantCulture)}) than the one asked";
            }

            if (answers.Count > MaxAnswerRecords)
                return $"the reply carries {answers.Count} records, more than the {MaxAnswerRecords} MailOps reads";
            var strings = answers.OfType<TxtRecord>().Sum(t => t.Strings.Count);
            if (strings > MaxTextStrings)
                return $"the reply carries {strings} TXT character-strings, more than the {MaxTextStrings} MailOps reads";

            // An empty answer section (NXDOMAIN, NODATA: most blocklist answers) has nothing to check further.
            if (answers.Count == 0) return null;

            // The chain: the question name, then each CNAME target in turn.
            var chain = new List<string> { Key(name) };
            if (type != DnsRecordType.CNAME)
            {
                var current = Key(name);
                while (true)
                {
                    var targets = answers.OfType<NameRecord>()
                        .Where(r => r.Type == DnsRecordType.CNAME && Key(r.Name) == current)
                        .Select(r => Key(r.Target)).Distinct().ToList();
                    if (targets.Count == 0) break;
                    if (targets.Count > 1)
                        return $"the reply gives {Display(current)} {targets.Count} different CNAME targets";
                    var next = targets[0];
                    if (chain.Contains(next))
                        return $"the reply's CNAME chain loops back to {Display(next)}";
                    if (chain.Count > MaxCnameChain)
                        return $"the reply's CNAME chain is longer than the {MaxCnameChain} links MailOps follows";
                    chain.Add(next);
                    current = next;
                }
            }

            var owners = new HashSet<string>(chain, StringComparer.Ordinal);
            var kept = new List<DnsRecord>(answers.Count);
            foreach (var r in answers)
            {
                if ((int)r.Type == DnameType) continue; // RFC 6672: owned by an ancestor; the synthesized CNAME is checked.
                if (!owners.Contains(Key(r.Name)))
                    return $"the reply carries a {TypeName((int)r.Type)} record owned by {Display(r.Name)}, which is neither the name asked nor on its CNAME chain";
                kept.Add(r);
            }
            accepted = kept;
            return null;
        }

        /// <summary>Compares names as DNS does: case-insensitive for ASCII, escapes (\. \032) decoded, trailing dot ignored.</summary>
        internal static bool SameName(string a, string b) => Key(a) == Key(b);

        private static string Key(string name)
        {
            var n = DnsName.Normalize(name ?? ".");
            bool plain = true, upper = false;
            foreach (var c in n)
            {
                if (c > 0x7f || c == '\\') { plain = false; break; }
                if (c >= 'A' && c <= 'Z') upper = true;
            }
            // The common case, one pass and no copy when the name is already lower case.
            if (plain) return upper ? ToLowerAscii(n) : n;
            if (HasNonAscii(n))
            {
                // DnsClient shows xn-- labels decoded; compare in the ASCII form the wire carries.
                try { n = new IdnMapping { AllowUnassigned = true }.GetAscii(n); }
                catch (ArgumentException) { }
            }
            if (n.IndexOf('\\') < 0) return ToLowerAscii(n);
            var sb = new StringBuilder(n.Length);
            for (int i = 0; i < n.Length; i++)
            {
                var c = n[i];
                if (c == '\\' && i + 1 < n.Length)
                {
                    if (i + 3 < n.Length && char.IsDigit(n[i + 1]) && char.IsDigit(n[i + 2]) && char.IsDigit(n[i + 3])
                        && int.TryParse(n.Substring(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code < 256)
                    {
                        // An escaped dot stays distinguishable from a label separator.
                        sb.Append(code == '.' ? "\\." : ((char)code).ToString());
                        i += 3;
                    }
                    else
                    {
                        sb.Append(n[i + 1] == '.' ? "\\." : n[i + 1].ToString());
                        i += 1;
                    }
                }
                else sb.Append(c);
            }
            return ToLowerAscii(sb.ToString());
        }

        private static bool HasNonAscii(string s)
        {
            foreach (var c in s)
                if (c > 0x7f) return true;
            return false;
        }

        private static string ToLowerAscii(string s)
        {
            var chars = s.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
                if (chars[i] >= 'A' && chars[i] <= 'Z') chars[i] = (char)(chars[i] + 32);
            return new string(chars);
        }

        private static string? Display(string name) => TextSafety.Escape(DnsName.Normalize(name ?? "."));

        private static string TypeName(int type) =>
            Enum.IsDefined(typeof(DnsRecordType), type) ? ((DnsRecordType)type).ToString() : "TYPE" + type.ToString(CultureInfo.InvariantCulture);
    }
}
