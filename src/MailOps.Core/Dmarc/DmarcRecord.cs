using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace MailOps.Dmarc
{
    /// <summary>One reporting URI of a DMARC record (rua or ruf), as published and as understood.</summary>
    internal sealed class DmarcReportUri
    {
        public required string Tag;  // "rua" or "ruf"
        public required string Text; // as published
        public string? Scheme;       // "mailto", "https", ... (lower case)
        public string? Address;      // mailbox for mailto
        public string? Host;         // the destination domain (mailto domain or https host)
        public string? SizeLimit;    // RFC 7489 "!10m" suffix, when present
        public string? Problem;      // why it is invalid, or null
    }

    /// <summary>
    /// A parsed DMARC policy record: RFC 9989 tags (v, p, sp, np, adkim, aspf, psd, t, rua, ruf, fo) and the RFC 7489
    /// ones RFC 9989 removed (pct, rf, ri). Problems found while parsing are kept as findings.
    /// </summary>
    internal sealed class DmarcRecord
    {
        private static readonly string[] Policies = { "none", "quarantine", "reject" };
        private static readonly HashSet<string> KnownTags = new HashSet<string>(StringComparer.Ordinal)
            { "v", "p", "sp", "np", "adkim", "aspf", "psd", "t", "rua", "ruf", "fo", "pct", "rf", "ri" };

        public string? Text { get; private set; }
        public string? Domain { get; private set; }
        public Dictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
        public string? P { get; private set; }
        public bool PValid { get; private set; }
        public string? Sp { get; private set; }
        public string? Np { get; private set; }
        public string Adkim { get; private set; } = "r";
        public string Aspf { get; private set; } = "r";
        public string Psd { get; private set; } = "u";
        public bool Testing { get; private set; }
        public int? Pct { get; private set; }
        public List<DmarcReportUri> Rua { get; } = new List<DmarcReportUri>();
        public List<DmarcReportUri> Ruf { get; } = new List<DmarcReportUri>();
        public List<Finding> Findings { get; } = new List<Finding>();

        /// <summary>True when the text starts with a v tag (any value): the publisher meant a DMARC record.</summary>
        public static bool LooksLikeDmarc(string text) =>
            Regex.IsMatch(text ?? "", @"^\s*v\s*=", RegexOptions.IgnoreCase);

        /// <summary>True when the record starts with exactly "v=DMARC1" (RFC 9989 §4.7: case-sensitive, first tag).</summary>
        public static bool IsDmarc1(string text) =>
            Regex.IsMatch(text ?? "", @"^\s*v\s*=\s*DMARC1\s*(;|$)");

        public static DmarcRecord Parse(string domain, string text)
        {
            var r = new DmarcRecord { Text = text, Domain = domain };
            var parts = text.Split(';');
            for (int i = 0; i < parts.Length; i++)
            {
                var part = parts[i].Trim();
                if (part.Length == 0) continue;
                var eq = part.IndexOf('=');
                if (eq <= 0)
                {
                    r.Syntax(part, $"'{part}' is not a tag=value pair; receivers ignore it.", "Write every tag as name=value, separated by semicolons.");
                    continue;
                }
                var name = part.Substring(0, eq).Trim();
                var value = part.Substring(eq + 1).Trim();
                var lname = name.ToLowerInvariant();
                if (i == 0) continue; // v=DMARC1, checked by the caller
                if (lname == "v")
                {
                    r.Syntax(name, "The v tag appears again after the start of the record.", "Keep one v=DMARC1, as the first tag.");
                    continue;
                }
                if (!KnownTags.Contains(lname))
                {
                    r.Findings.Add(new Finding("UnknownTag", FindingSeverity.Info,
                        $"The tag '{name}' is not a DMARC tag; receivers ignore it.", $"Remove '{part}' or check its spelling.", name));
                    continue;
                }
                if (name != lname)
                    r.Findings.Add(new Finding("SyntaxError", FindingSeverity.Info,
                        $"The tag '{name}' is written in upper case; the grammar allows it, but some receivers only match lower-case tag names.",
                        $"Write it as '{lname}'.", name));
                if (r.Tags.ContainsKey(lname))
                {
                    r.Syntax(name, $"The tag '{lname}' appears more than once; receivers may use either value.", $"Keep one '{lname}' tag.");
                    continue;
                }
                r.Tags[lname] = value;
                // ABNF literals are case-insensitive (RFC 5234 §2.3): p=Reject is p=reject. URIs keep their case.
                r.ReadTag(lname, lname == "rua" || lname == "ruf" ? value : value.ToLowerInvariant());
            }

            if (!r.Tags.ContainsKey("p"))
            {
                r.P = "none";
                r.Findings.Add(new Finding("PolicyMissing", FindingSeverity.Warning,
                    "The record has no p tag; receivers treat it as p=none (RFC 9989 §4.7), so it protects nothing.",
                    "Add p=none while you read the reports, then p=quarantine and p=reject.", "p"));
            }
            return r;
        }

        private void Syntax(string subject, string message, string remedy, FindingSeverity severity = FindingSeverity.Warning) =>
            Findings.Add(new Finding("SyntaxError", severity, message, remedy, subject));

        private void ReadTag(string name, string value)
        {
            switch (name)
            {
                case "p":
                    if (Policies.Contains(value)) { P = value; PValid = true; }
                    else
                    {
                        P = "none";
                        Syntax("p", $"p={value} is not a policy (none, quarantine or reject). Receivers treat the record as p=none if it has a valid rua, else ignore DMARC for the domain (RFC 9989 §4.7).",
                            "Write p=none, p=quarantine or p=reject.", FindingSeverity.Fail);
                    }
                    break;
                case "sp":
                case "np":
                    if (Policies.Contains(value)) { if (name == "sp") Sp = value; else Np = value; }
                    else Syntax(name, $"{name}={value} is not a policy (none, quarantine or reject); receivers treat the record as invalid for subdomains.",
                        $"Write {name}=none, {name}=quarantine or {name}=reject.", FindingSeverity.Fail);
                    break;
                case "adkim":
                case "aspf":
                    if (value == "r" || value == "s") { if (name == "adkim") Adkim = value; else Aspf = value; }
                    else Syntax(name, $"{name}={value} is not an alignment mode; receivers use the default r (relaxed).", $"Write {name}=r or {name}=s.");
                    break;
                case "psd":
                    if (value == "y" || value == "n" || value == "u") Psd = value;
                    else Syntax(name, $"psd={value} is not valid (y, n or u); receivers use the default u.", "Write psd=y only at a public suffix operator's domain, psd=n at an organizational domain, or leave it out.");
                    break;
                case "t":
                    if (value == "y") Testing = true;
                    else if (value != "n") Syntax(name, $"t={value} is not valid (y or n); receivers use the default n.", "Write t=y while testing the policy, or leave the tag out.");
                    break;
                case "fo":
                    if (!value.Split(':').All(v => v.Trim() == "0" || v.Trim() == "1" || v.Trim() == "d" || v.Trim() == "s"))
                        Syntax(name, $"fo={value} is not valid (0, 1, d, s, separated by colons).", "Write e.g. fo=1 or fo=d:s.");
                    break;
                case "pct":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pct) && pct >= 0 && pct <= 100) Pct = pct;
                    else Syntax(name, $"pct={value} is not a percentage from 0 to 100.", "Remove pct (RFC 9989 dropped it) and use t=y for a test phase.");
                    break;
                case "rua":
                case "ruf":
                    foreach (var u in value.Split(','))
                    {
                        var uri = ParseUri(name, u.Trim());
                        (name == "rua" ? Rua : Ruf).Add(uri);
                    }
                    break;
            }
        }

        internal static DmarcReportUri ParseUri(string tag, string text)
        {
            var u = new DmarcReportUri { Tag = tag, Text = text };
            var body = text;
            var bang = body.LastIndexOf('!');
            if (bang > 0 && Regex.IsMatch(body.Substring(bang + 1), @"^\d+[kmgt]?$", RegexOptions.IgnoreCase))
            {
                u.SizeLimit = body.Substring(bang + 1);
                body = body.Substring(0, bang);
            }
            if (body.Length == 0) { u.Problem = "the URI is empty"; return u; }
            var colon = body.IndexOf(':');
            if (colon <= 0 || !Regex.IsMatch(body.Substring(0, colon), "^[A-Za-z][A-Za-z0-9+.-]*$"))
            {
                u.Problem = body.Contains("@")
                    ? "it has no scheme; a mailbox must be written as mailto:" + body
                    : "it is not a URI (no scheme such as mailto:)";
                return u;
            }
            u.Scheme = body.Substring(0, colon).ToLowerInvariant();
            var rest = body.Substring(colon + 1);
            if (u.Scheme == "mailto")
            {
                var q = rest.IndexOf('?');
                if (q >= 0) rest = rest.Substring(0, q);
                rest = Uri.UnescapeDataString(rest);
                var at = rest.LastIndexOf('@');
                if (at <= 0 || at == rest.Length - 1)
                {
                    u.Problem = $"'{rest}' is not a mailbox (local@domain)";
                    return u;
                }
                u.Address = rest;
                u.Host = Dns.DnsName.Normalize(rest.Substring(at + 1)).ToLowerInvariant();
                var bad = Dns.DnsName.ValidateDomainName(u.Host);
                if (bad != null || !u.Host.Contains(".")) u.Problem = $"the mailbox domain '{u.Host}' is not a domain name";
            }
            else if (u.Scheme == "https" || u.Scheme == "http")
            {
                if (!Uri.TryCreate(body, UriKind.Absolute, out var parsed) || Strings.IsNullOrEmpty(parsed.Host))
                    u.Problem = "it is not a valid web address";
                else u.Host = parsed.Host.ToLowerInvariant();
            }
            else
            {
                u.Problem = $"the scheme '{u.Scheme}:' is not one receivers send reports to; use mailto:";
            }
            return u;
        }

        internal static int Strength(string? policy) => policy == "reject" ? 2 : policy == "quarantine" ? 1 : 0;
    }
}
