using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace MailOps.Bounces
{
    /// <summary>What is known of one failed (or delayed) delivery: the SMTP reply and its context.</summary>
    public sealed class DeliveryFailureInput
    {
        /// <summary>The SMTP reply code (RFC 5321), e.g. 550; 0 when unknown.</summary>
        public int ReplyCode { get; set; }

        /// <summary>The enhanced status code (RFC 3463), e.g. "5.7.1"; null when unknown.</summary>
        public string? Status { get; set; }

        /// <summary>The reply or diagnostic text.</summary>
        public string? Text { get; set; }

        /// <summary>The remote MTA's host name (or the relay named in a log line), when known.</summary>
        public string? RemoteHost { get; set; }

        /// <summary>The recipient address, for recognising the provider by domain.</summary>
        public string? Recipient { get; set; }

        /// <summary>The DSN Action (failed, delayed, delivered ...), when known.</summary>
        public string? Action { get; set; }

        /// <summary>The SMTP command the reply answered (MAIL, RCPT, DATA, CONNECT), when known; else read from the text.</summary>
        public string? Stage { get; set; }

        /// <summary>The diagnostic type of a DSN's Diagnostic-Code field (RFC 3464 §2.3.6: "smtp", "x-unix", ...), when known.</summary>
        public string? DiagnosticType { get; set; }

        /// <summary>True when <see cref="Text"/> is only the report's general notice: the report says nothing about this
        /// recipient in particular (Postfix "Delivery report unavailable"). Rules on "diagnostic" then do not apply.</summary>
        public bool TextIsNotice { get; set; }
    }

    /// <summary>The classifier's verdict on one delivery failure.</summary>
    public sealed class DeliveryClassification
    {
        internal DeliveryClassification(string reason, bool hard, bool deliverability, string? status, bool statusInferred, string? provider,
            string? providerSupportUrl, string? blocklist, string? blocklistUrl, string? remedy, string? remedyCommand, string? rule)
        {
            Reason = reason;
            HardBounce = hard;
            Deliverability = deliverability;
            Status = status;
            StatusInferred = statusInferred;
            Provider = provider;
            ProviderSupportUrl = providerSupportUrl;
            Blocklist = blocklist;
            BlocklistUrl = blocklistUrl;
            Remedy = remedy;
            RemedyCommand = remedyCommand;
            Rule = rule;
        }

        /// <summary>The reason, from the taxonomy in bounce-reasons.tsv (blocked, userunknown, ...).</summary>
        public string Reason { get; }

        /// <summary>True when the address itself is bad: stop sending to it.</summary>
        public bool HardBounce { get; }

        /// <summary>True for reasons about the sender's reputation or authentication (blocked, authfailure, ...).</summary>
        public bool Deliverability { get; }

        /// <summary>The enhanced status: as given, or (<see cref="StatusInferred"/>) the reason's internal 5.0.9xx code.</summary>
        public string? Status { get; }

        /// <summary>True when the input carried no enhanced status and <see cref="Status"/> was derived from the reason.</summary>
        public bool StatusInferred { get; }

        public string? Provider { get; }

        public string? ProviderSupportUrl { get; }

        /// <summary>The blocklist the reply text names, if any.</summary>
        public string? Blocklist { get; }

        public string? BlocklistUrl { get; }

        /// <summary>What to do, naming the MailOps check that proves or fixes it, and the provider's or list's page.</summary>
        public string? Remedy { get; }

        /// <summary>The MailOps cmdlet that proves or fixes the reason, or null.</summary>
        public string? RemedyCommand { get; }

        /// <summary>The rule that decided (its "on" and source), for explaining the verdict.</summary>
        public string? Rule { get; }

        public override string ToString() => $"{Reason} ({Status})";
    }

    /// <summary>One reason of the taxonomy, as read from bounce-reasons.tsv.</summary>
    public sealed class DeliveryFailureReason
    {
        internal DeliveryFailureReason(string name, string hard, bool deliverability, string? pseudoStatus, string? command, string remedy, string source)
        {
            Name = name;
            HardRule = hard;
            Deliverability = deliverability;
            PseudoStatus = pseudoStatus;
            RemedyCommand = command;
            Remedy = remedy;
            Source = source;
        }

        public string Name { get; }

        internal string HardRule { get; }

        /// <summary>True when the reason always means a bad address (or, for "5", only when permanent).</summary>
        public bool Hard => HardRule != "0";

        public bool Deliverability { get; }

        public string? PseudoStatus { get; }

        public string? RemedyCommand { get; }

        public string Remedy { get; }

        public string Source { get; }

        public override string ToString() => Name;
    }

    /// <summary>
    /// The one classifier of delivery failures, shared by Import-MailBounce, Get-MailDeliveryLog and the statistics.
    /// Everything it knows is data, embedded from Bounces/*.tsv: the rules (reason, what is matched, pattern, source;
    /// first match wins), the reasons with their remedies, the providers and the blocklists.
    /// </summary>
    public static class DeliveryFailureClassifier
    {
        private sealed class Rule
        {
            public required string Reason, On;
            public string? Source;
            public required Regex Pattern;
            public int Line;
            /// <summary>Extra conditions (the optional "when" column): what is matched ("!" first: must not match), and an anchored pattern.</summary>
            public required List<KeyValuePair<string, Regex>> When;
        }

        private static readonly HashSet<string> WhenKeys = new HashSet<string>(StringComparer.Ordinal) { "status", "code", "action", "stage", "domain" };

        private static List<KeyValuePair<string, Regex>> ParseWhen(string? when, int line)
        {
            var list = new List<KeyValuePair<string, Regex>>();
            if (Strings.IsNullOrWhiteSpace(when)) return list;
            foreach (var cond in when.Split(';'))
            {
                var eq = cond.IndexOf('=');
                var key = eq > 0 ? cond.Substring(0, eq).Trim() : null;
                bool negate = key != null && key.StartsWith("!", StringComparison.Ordinal);
                if (negate) key = key?.Substring(1);
                if (key == null || !WhenKeys.Contains(key))
                    throw new InvalidOperationException($"bounce-rules.tsv line {line}: the condition '{cond}' is not key=pattern with key one of {string.Join(", ", WhenKeys)}.");
                list.Add(new KeyValuePair<string, Regex>((negate ? "!" : "") + key, new Regex("^(?:" + cond.Substring(eq + 1).Trim() + ")$",
                    RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled)));
            }
            return list;
        }

        private sealed class Named
        {
            public required string Name;
            public string? On, Url;
            public required Regex Pattern;
        }

        private static readonly Lazy<List<Rule>> Rules = new Lazy<List<Rule>>(() =>
            ReadTsv("bounce-rules.tsv").Select(r => new Rule
            {
                Reason = r.Fields[0],
                On = r.Fields[1],
                Pattern = new Regex(r.Fields[1].EndsWith("text", StringComparison.Ordinal) || r.Fields[1] == "diagnostic" ? r.Fields[2] : "^(?:" + r.Fields[2] + ")$",
                    RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled),
                Source = r.Fields.Length > 3 ? r.Fields[3] : null,
                Line = r.Line,
                When = ParseWhen(r.Fields.Length > 4 ? r.Fields[4] : null, r.Line),
            }).ToList());

        private static readonly Lazy<Dictionary<string, DeliveryFailureReason>> ReasonTable = new Lazy<Dictionary<string, DeliveryFailureReason>>(() =>
            ReadTsv("bounce-reasons.tsv").ToDictionary(r => r.Fields[0],
                r => new DeliveryFailureReason(r.Fields[0], r.Fields[1], r.Fields[2] == "1", Empty(r.Fields[3]), Empty(r.Fields[4]), r.Fields[5], r.Fields[6]),
                StringComparer.OrdinalIgnoreCase));

        private static readonly Lazy<List<Named>> Providers = new Lazy<List<Named>>(() =>
            ReadTsv("bounce-providers.tsv").Select(r => new Named
            {
                Name = r.Fields[0],
                On = r.Fields[1],
                Pattern = new Regex(r.Fields[2], RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled),
                Url = Empty(r.Fields[3]),
            }).ToList());

        private static readonly Lazy<List<Named>> Blocklists = new Lazy<List<Named>>(() =>
            ReadTsv("bounce-blocklists.tsv").Select(r => new Named
            {
                Name = r.Fields[0],
                Pattern = new Regex(r.Fields[1], RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled),
                Url = Empty(r.Fields[2]),
            }).ToList());

        /// <summary>The taxonomy, in the order of bounce-reasons.tsv.</summary>
        public static IReadOnlyList<DeliveryFailureReason> Reasons => ReasonTable.Value.Values.ToList();

        /// <summary>The reason called <paramref name="name"/>, or null.</summary>
        public static DeliveryFailureReason? GetReason(string? name) =>
            name != null && ReasonTable.Value.TryGetValue(name, out var r) ? r : null;

        private static string? Empty(string? s) => Strings.IsNullOrWhiteSpace(s) ? null : s.Trim();

        private static readonly Regex Spaces = new Regex(@"\s+", RegexOptions.Compiled);

        /// <summary>Classifies one failure: reason, hard bounce, provider, blocklist, remedy.</summary>
        public static DeliveryClassification Classify(DeliveryFailureInput input)
        {
            if (input == null) throw new ArgumentNullException(nameof(input));
            var text = Spaces.Replace(input.Text ?? "", " ").Trim();
            var status = NormaliseStatus(input.Status);
            var code = input.ReplyCode > 0 ? input.ReplyCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

            var stage = input.Stage ?? StageOf(text);
            var domain = input.Recipient != null && input.Recipient.LastIndexOf('@') >= 0 ? input.Recipient.Substring(input.Recipient.LastIndexOf('@') + 1).TrimEnd('>') : null;
            bool final = input.Action == null || input.Action.StartsWith("fail", StringComparison.OrdinalIgnoreCase) || input.Action.StartsWith("expired", StringComparison.OrdinalIgnoreCase);
            string? reason = null, rule = null;
            foreach (var r in Rules.Value)
            {
                string? subject;
                switch (r.On)
                {
                    case "text": subject = text; break;
                    case "status": subject = status; break;
                    case "code": subject = code; break;
                    case "action": subject = input.Action; break;
                    case "stage": subject = stage; break;
                    case "domain": subject = domain; break;
                    case "diagtype": subject = input.DiagnosticType?.Trim(); break;
                    case "failed-status": subject = final ? status : null; break;
                    case "failed-text": subject = final ? text : null; break;
                    case "diagnostic": subject = final && !input.TextIsNotice ? text : null; break;
                    default: continue;
                }
                if (Strings.IsNullOrEmpty(subject)) continue;
                if (!r.Pattern.IsMatch(subject)) continue;
                if (!WhenHolds(r, status, code, input.Action, stage, domain)) continue;
                reason = r.Reason;
                rule = $"bounce-rules.tsv line {r.Line} ({r.On}{(r.When.Count > 0 ? ", when " + string.Join("; ", r.When.Select(w => w.Key)) : "")}): {r.Source}";
                break;
            }
            reason = reason ?? "undefined";
            var info = GetReason(reason) ?? GetReason("undefined") ?? throw new InvalidOperationException("bounce-reasons.tsv has no 'undefined' reason.");

            bool temporary = (status != null && status.StartsWith("4", StringComparison.Ordinal))
                || (input.ReplyCode >= 400 && input.ReplyCode < 500)
                || string.Equals(input.Action, "delayed", StringComparison.OrdinalIgnoreCase);
            bool inferred = false;
            if (status == null && info.PseudoStatus != null)
            {
                status = temporary ? "4" + info.PseudoStatus.Substring(1) : info.PseudoStatus;
                inferred = true;
            }
            bool hard = info.HardRule == "1" || (info.HardRule == "5" && !temporary);

            var provider = FindProvider(input.RemoteHost, input.Recipient, text);
            Named? list = null;
            if (info.Deliverability || reason == "blocked")
                list = Blocklists.Value.FirstOrDefault(b => b.Pattern.IsMatch(text));

            var remedy = new StringBuilder(info.Remedy);
            if (list != null) remedy.Append($" Blocklist named: {list.Name} ({list.Url}).");
            if (provider?.Url != null && info.Deliverability) remedy.Append($" {provider.Name} sender support: {provider.Url}.");
            return new DeliveryClassification(info.Name, hard, info.Deliverability, status, inferred, provider?.Name, provider?.Url,
                list?.Name, list?.Url, remedy.ToString(), info.RemedyCommand, rule);
        }

        private static bool WhenHolds(Rule r, string? status, string code, string? action, string? stage, string? domain)
        {
            foreach (var w in r.When)
            {
                bool negate = w.Key[0] == '!';
                var key = negate ? w.Key.Substring(1) : w.Key;
                var subject = key == "status" ? status : key == "code" ? code : key == "action" ? action : key == "stage" ? stage : domain;
                bool matches = !Strings.IsNullOrEmpty(subject) && w.Value.IsMatch(subject);
                if (matches == negate) return false;
            }
            return true;
        }

        /// <summary>Every provider name the classifier recognises (bounce-providers.tsv), in file order.</summary>
        public static IReadOnlyList<string> ProviderNames => Providers.Value.Select(p => p.Name).Distinct(StringComparer.Ordinal).ToList();

        /// <summary>The provider recognised from a remote host name, a recipient address or a reply text; null when none.</summary>
        public static string? RecogniseProvider(string? remoteHost, string? recipient, string? text) => FindProvider(remoteHost, recipient, text)?.Name;

        private static Named? FindProvider(string? host, string? recipient, string? text)
        {
            host = host?.Trim().TrimEnd('.').Trim('[', ']');
            string? domain = null;
            if (!Strings.IsNullOrEmpty(recipient))
            {
                var at = recipient.LastIndexOf('@');
                if (at >= 0) domain = recipient.Substring(at + 1).Trim().TrimEnd('>', '.');
            }
            foreach (var on in new[] { "host", "text", "domain" })
                foreach (var p in Providers.Value)
                {
                    if (p.On != on) continue;
                    var subject = on == "host" ? host : on == "domain" ? domain : text;
                    if (!Strings.IsNullOrEmpty(subject) && p.Pattern.IsMatch(subject)) return p;
                }
            return null;
        }

        private static readonly Regex StageRx = new Regex(@"(?:in reply to|after|did not like our|while (?:sending|talking)[^:]{0,40}?>>>|>>>(?=\s*(?:MAIL FROM|RCPT TO|DATA)\b.{0,200}?<<<\s*[45]\d\d))\s*(?:the\s+)?(?:final\s+|end of\s+)?(MAIL FROM|RCPT TO|DATA|end of data|EHLO|HELO)\b",
            RegexOptions.IgnoreCase | RegexOptions.Compiled);

        /// <summary>HELO (for EHLO or HELO), MAIL, RCPT or DATA when the text says which command the reply answered (also a Sendmail
        /// transcript's "&gt;&gt;&gt; RCPT To:&lt;...&gt; &lt;&lt;&lt; 550 ...": the command sent, then the refusal).</summary>
        internal static string? StageOf(string? text)
        {
            var m = StageRx.Match(text ?? "");
            if (!m.Success) return null;
            var v = m.Groups[1].Value.ToUpperInvariant();
            return v.StartsWith("MAIL", StringComparison.Ordinal) ? "MAIL" : v.StartsWith("RCPT", StringComparison.Ordinal) ? "RCPT"
                : v == "EHLO" || v == "HELO" ? "HELO" : "DATA";
        }

        private static readonly Regex StatusShape = new Regex(@"^[245]\.\d{1,3}\.\d{1,3}$", RegexOptions.Compiled);

        internal static string? NormaliseStatus(string? status)
        {
            if (Strings.IsNullOrWhiteSpace(status)) return null;
            status = status.Trim();
            return StatusShape.IsMatch(status) ? status : null;
        }

        private sealed class TsvRow
        {
            public required string[] Fields;
            public int Line;
        }

        /// <summary>Reads an embedded data file: '#' comments, a header line, then tab-separated rows.</summary>
        private static IEnumerable<TsvRow> ReadTsv(string name)
        {
            var rows = new List<TsvRow>();
            using (var stream = typeof(DeliveryFailureClassifier).Assembly.GetManifestResourceStream("MailOps.Bounces." + name))
            {
                if (stream == null) throw new InvalidOperationException($"The embedded data file {name} is missing.");
                using (var reader = new StreamReader(stream, Encoding.UTF8))
                {
                    string line;
                    int n = 0;
                    bool header = true;
                    while ((line = reader.ReadLine()) != null)
                    {
                        n++;
                        if (line.Length == 0 || line[0] == '#') continue;
                        if (header) { header = false; continue; }
                        rows.Add(new TsvRow { Fields = line.Split('\t'), Line = n });
                    }
                }
            }
            return rows;
        }
    }
}
