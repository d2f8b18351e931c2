using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using MailOps.Dns;

namespace MailOps.MtaSts
{
    /// <summary>The parsed fields of an MTA-STS policy file (RFC 8461 §3.2), and what was wrong with it.</summary>
    internal sealed class ParsedPolicy
    {
        public string? Version { get; set; }
        public string? Mode { get; set; }
        public long? MaxAge { get; set; }
        public List<string> Mx { get; } = new List<string>();
        public List<Finding> Findings { get; } = new List<Finding>();

        /// <summary>True when the policy is usable by a sender: version, a known mode, a valid max_age and, unless
        /// the mode is none, at least one valid mx pattern.</summary>
        public bool IsUsable { get; set; }
    }

    /// <summary>RFC 8461 parsing and matching rules: the _mta-sts TXT record (§3.1), the policy file (§3.2) and MX
    /// host patterns (§4.1).</summary>
    public static class MtaStsRules
    {
        /// <summary>The longest max_age RFC 8461 §3.2 allows: 31557600 seconds (one year).</summary>
        public const long MaxMaxAge = 31557600;

        /// <summary>The policy body size limit senders apply (RFC 8461 §3.3 suggests 64 KiB).</summary>
        public const int DefaultMaxPolicyBytes = 64 * 1024;

        private static readonly Regex IdPattern = new Regex("^[A-Za-z0-9]{1,32}$", RegexOptions.CultureInvariant);
        private static readonly Regex ExtNamePattern = new Regex("^[A-Za-z0-9_.-]{1,32}$", RegexOptions.CultureInvariant);
        private static readonly Regex LabelPattern = new Regex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant);

        /// <summary>True when <paramref name="id"/> is a valid policy id: 1 to 32 letters and digits.</summary>
        public static bool IsValidId(string id) => id != null && IdPattern.IsMatch(id);

        /// <summary>Null when <paramref name="pattern"/> is a valid mx pattern (a host name, or "*." and a host name);
        /// otherwise what is wrong with it.</summary>
        public static string? ValidateMxPattern(string pattern)
        {
            if (Strings.IsNullOrWhiteSpace(pattern)) return "the pattern is empty";
            var p = pattern.Trim();
            if (p.EndsWith(".", StringComparison.Ordinal)) p = p.Substring(0, p.Length - 1);
            if (p.StartsWith("*.", StringComparison.Ordinal)) p = p.Substring(2);
            if (p.Contains("*")) return "a wildcard may only be the whole leftmost label ('*.example.com')";
            var labels = p.Split('.');
            if (labels.Length < 2) return "it is not a fully qualified host name";
            foreach (var l in labels)
                if (!LabelPattern.IsMatch(l)) return $"'{l}' is not a valid host name label";
            return null;
        }

        /// <summary>
        /// RFC 8461 §4.1: an exact pattern matches the same name (case-insensitive); a wildcard pattern "*.example.com"
        /// matches a name with exactly one more label on the left ("mail.example.com"), never "example.com" itself and
        /// never two labels deep ("a.b.example.com").
        /// </summary>
        public static bool MxMatches(string pattern, string host)
        {
            if (Strings.IsNullOrEmpty(pattern) || Strings.IsNullOrEmpty(host)) return false;
            var p = DnsName.Normalize(pattern.Trim());
            var h = DnsName.Normalize(host.Trim());
            if (p.StartsWith("*.", StringComparison.Ordinal))
            {
                var parent = p.Substring(2);
                var dot = h.IndexOf('.');
                if (dot <= 0) return false;
                return string.Equals(h.Substring(dot + 1), parent, StringComparison.OrdinalIgnoreCase);
            }
            return string.Equals(p, h, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>Parses one "v=STSv1; id=...;" record. Returns the id (or null) and adds findings for its problems.</summary>
        internal static string? ParseStsRecord(string text, string owner, List<Finding> findings)
        {
            var fields = text.Split(';').Select(f => f.Trim(' ', '\t')).ToList();
            if (fields.Count > 0 && fields[fields.Count - 1].Length == 0) fields.RemoveAt(fields.Count - 1);
            if (fields.Count == 0 || fields[0] != "v=STSv1")
            {
                findings.Add(new Finding("MtaStsRecordSyntax", FindingSeverity.Fail,
                    $"The record at {owner} does not start with the field 'v=STSv1;' (RFC 8461 §3.1): \"{text}\". Senders ignore it.",
                    $"Publish exactly: {owner}. IN TXT \"v=STSv1; id=<policy id>;\"", owner));
                return null;
            }
            string? id = null;
            foreach (var f in fields.Skip(1))
            {
                var eq = f.IndexOf('=');
                if (eq <= 0)
                {
                    findings.Add(new Finding("MtaStsRecordSyntax", FindingSeverity.Fail,
                        $"The field '{f}' in the record at {owner} is not name=value (RFC 8461 §3.1); senders treat the whole record as invalid.",
                        "Separate fields with ';' and write each as name=value, e.g. \"v=STSv1; id=20261123000000;\".", owner));
                    continue;
                }
                var name = f.Substring(0, eq);
                var value = f.Substring(eq + 1);
                if (name == "id")
                {
                    if (id != null)
                    {
                        findings.Add(new Finding("MtaStsRecordDuplicateId", FindingSeverity.Warning,
                            $"The record at {owner} has more than one id field; senders may use either.",
                            "Keep one id field.", owner));
                        continue;
                    }
                    id = value;
                    if (!IsValidId(value))
                        findings.Add(new Finding("MtaStsRecordInvalidId", FindingSeverity.Fail,
                            $"The policy id '{value}' in the record at {owner} is not 1-32 letters and digits (RFC 8461 §3.1); senders treat the record as invalid.",
                            "Use a timestamp such as id=20261123093000 and change it every time the policy changes.", owner));
                }
                else if (!ExtNamePattern.IsMatch(name))
                {
                    findings.Add(new Finding("MtaStsRecordSyntax", FindingSeverity.Fail,
                        $"The field name '{name}' in the record at {owner} is not valid (RFC 8461 §3.1).",
                        "Remove the field; only v and id are defined.", owner));
                }
            }
            if (id == null)
                findings.Add(new Finding("MtaStsRecordMissingId", FindingSeverity.Fail,
                    $"The record at {owner} has no id field (RFC 8461 §3.1 requires one); senders treat the record as invalid.",
                    $"Publish {owner}. IN TXT \"v=STSv1; id=<timestamp>;\" and change the id whenever the policy changes.", owner));
            return id;
        }

        /// <summary>Parses a policy body (RFC 8461 §3.2): LF or CRLF separated "key: value" lines.</summary>
        internal static ParsedPolicy ParsePolicy(string body, string? url)
        {
            var p = new ParsedPolicy();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var lines = body.Replace("\r\n", "\n").Split('\n');
            var lineNo = 0;
            var mxValid = 0;
            var lineErrors = false;
            foreach (var raw in lines)
            {
                lineNo++;
                var line = raw.TrimEnd('\r', ' ', '\t');
                if (line.Trim().Length == 0) continue;
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    lineErrors = true;
                    p.Findings.Add(new Finding("PolicySyntax", FindingSeverity.Fail,
                        $"Line {lineNo} of the policy is not 'key: value': \"{Shorten(line)}\". Senders reject a policy they cannot parse.",
                        "Write one field per line as 'key: value' (version, mode, mx, max_age).", url));
                    continue;
                }
                var key = line.Substring(0, colon).Trim(' ', '\t');
                var value = line.Substring(colon + 1).Trim(' ', '\t');
                if (key == "mx")
                {
                    var problem = ValidateMxPattern(value);
                    if (problem != null)
                        p.Findings.Add(new Finding("PolicyMxInvalid", FindingSeverity.Fail,
                            $"The mx pattern '{value}' on line {lineNo} is not valid: {problem} (RFC 8461 §3.2).",
                            "Write each MX host name in full ('mx: mail.example.com') or with one leading wildcard label ('mx: *.example.com').", value));
                    else mxValid++;
                    p.Mx.Add(DnsName.Normalize(value));
                    continue;
                }
                if (key != "version" && key != "mode" && key != "max_age")
                {
                    var known = new[] { "version", "mode", "max_age", "mx" }.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                    if (known != null)
                        p.Findings.Add(new Finding("PolicyFieldNameCase", FindingSeverity.Fail,
                            $"The field '{key}' on line {lineNo} is written with the wrong case; field names are case-sensitive (RFC 8461 §3.2), so senders ignore it as an unknown field.",
                            $"Write it as '{known}:'.", key));
                    continue; // unknown fields are ignored (RFC 8461 §3.2)
                }
                if (!seen.Add(key))
                {
                    p.Findings.Add(new Finding("PolicyDuplicateField", FindingSeverity.Warning,
                        $"The field '{key}' appears more than once (again on line {lineNo}); this check uses the first, but senders may differ.",
                        $"Keep one '{key}:' line.", key));
                    continue;
                }
                switch (key)
                {
                    case "version": p.Version = value; break;
                    case "mode": p.Mode = value; break;
                    case "max_age":
                        if (value.Length >= 1 && value.Length <= 10 && value.All(c => c >= '0' && c <= '9'))
                            p.MaxAge = long.Parse(value, CultureInfo.InvariantCulture);
                        else
                            p.Findings.Add(new Finding("PolicyMaxAgeInvalid", FindingSeverity.Fail,
                                $"max_age '{value}' is not a number of seconds (1 to 10 digits, RFC 8461 §3.2).",
                                "Write max_age as whole seconds, e.g. 'max_age: 604800' for one week.", "max_age"));
                        break;
                }
            }

            if (p.Version == null)
                p.Findings.Add(new Finding("PolicyVersionMissing", FindingSeverity.Fail,
                    "The policy has no 'version' field; RFC 8461 §3.2 requires 'version: STSv1'.", "Add the line 'version: STSv1' at the top of the policy.", "version"));
            else if (p.Version != "STSv1")
                p.Findings.Add(new Finding("PolicyVersionInvalid", FindingSeverity.Fail,
                    $"The policy version is '{p.Version}'; the only version is 'STSv1' (case-sensitive), so senders reject this policy.", "Write 'version: STSv1'.", "version"));

            var modeOk = p.Mode == "enforce" || p.Mode == "testing" || p.Mode == "none";
            if (p.Mode == null)
                p.Findings.Add(new Finding("PolicyModeMissing", FindingSeverity.Fail,
                    "The policy has no 'mode' field (RFC 8461 §3.2).", "Add 'mode: testing' while you watch TLS-RPT reports, then 'mode: enforce'.", "mode"));
            else if (!modeOk)
                p.Findings.Add(new Finding("PolicyModeInvalid", FindingSeverity.Fail,
                    $"The policy mode '{p.Mode}' is not one of enforce, testing, none (lower case, RFC 8461 §3.2); senders reject the policy.",
                    "Write 'mode: enforce', 'mode: testing' or 'mode: none'.", "mode"));

            var maxAgeOk = false;
            if (p.MaxAge == null)
            {
                if (!p.Findings.Any(f => f.Code == "PolicyMaxAgeInvalid"))
                    p.Findings.Add(new Finding("PolicyMaxAgeMissing", FindingSeverity.Fail,
                        "The policy has no 'max_age' field (RFC 8461 §3.2 requires it).", "Add 'max_age: 604800' (one week) or longer once the policy is stable.", "max_age"));
            }
            else if (p.MaxAge > MaxMaxAge)
                p.Findings.Add(new Finding("PolicyMaxAgeTooLong", FindingSeverity.Fail,
                    $"max_age is {p.MaxAge} seconds; RFC 8461 §3.2 allows at most {MaxMaxAge} (one year), and senders such as chasquid reject longer ones.",
                    $"Set max_age to {MaxMaxAge} or less (31536000 is 365 days).", "max_age"));
            else
            {
                maxAgeOk = true;
                if (p.MaxAge < 86400 && p.Mode != "none")
                    p.Findings.Add(new Finding("PolicyMaxAgeShort", FindingSeverity.Warning,
                        $"max_age is {p.MaxAge} seconds (under a day): senders forget the policy quickly, so an attacker who blocks the policy fetch can strip TLS. RFC 8461 §3.2 recommends weeks or more.",
                        "Once the policy works, raise max_age to 604800 (a week) or more; 1209600 to 31557600 is common.", "max_age"));
            }

            if (p.Mode != "none" && p.Mx.Count == 0)
                p.Findings.Add(new Finding("PolicyNoMx", FindingSeverity.Fail,
                    "The policy lists no 'mx' pattern; in enforce or testing mode no MX host can match, so enforcing senders cannot deliver.",
                    "Add one 'mx:' line per MX host (or a '*.' wildcard covering them).", "mx"));

            if (p.Mode == "testing")
                p.Findings.Add(new Finding("PolicyModeTesting", FindingSeverity.Info,
                    "The policy is in testing mode: senders report failures (TLS-RPT) but still deliver over unvalidated or plain connections.",
                    "When TLS-RPT reports show no failures, switch to 'mode: enforce' and change the id in the TXT record.", "mode"));
            else if (p.Mode == "none")
                p.Findings.Add(new Finding("PolicyModeNone", FindingSeverity.Warning,
                    "The policy mode is none: MTA-STS is switched off for this domain (the way to withdraw a policy, RFC 8461 §8.3).",
                    "If this is not a withdrawal, publish 'mode: testing' or 'mode: enforce' and change the id in the TXT record.", "mode"));

            p.IsUsable = p.Version == "STSv1" && modeOk && maxAgeOk && !lineErrors && (p.Mode == "none" || mxValid > 0);
            return p;
        }

        private static string Shorten(string s) => s.Length <= 60 ? s : s.Substring(0, 57) + "...";
    }
}
