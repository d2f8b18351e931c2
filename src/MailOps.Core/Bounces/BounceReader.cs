using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using MailOps.Reports;
using MimeKit;

namespace MailOps.Bounces
{
    /// <summary>
    /// Reads non-delivery reports: RFC 3464 multipart/report DSNs and the common non-standard forms (Exim, qmail,
    /// Gmail, Yahoo, Exchange, ... text reports) from .eml files, mbox files and, through the cmdlet, Maildir folders.
    /// One <see cref="BounceRecord"/> per failed recipient, classified by <see cref="DeliveryFailureClassifier"/>.
    /// Auto-replies (RFC 3834) and ARF feedback reports (RFC 5965) are recognised and reported as such.
    /// Files are opened by content through the report container reader (bounded memory, one problem per bad file or
    /// member, the batch goes on).
    /// </summary>
    public static class BounceReader
    {
        /// <summary>Bounce records and <see cref="ReportImportProblem"/>s of one file, in file order.</summary>
        public static IEnumerable<object> ReadFile(string file, ReportImportOptions? options, CancellationToken ct)
        {
            var reader = new ReportContainerReader(file, PayloadKind.Mime, "bounce message", (s, e) => throw new ReportFormatException(
                ReportProblemKind.NotAReport, "is not an e-mail message"), options, ct);
            reader.MessageReader = (m, entry) => ReadMessage(m, file, entry);
            return reader.Read();
        }

        /// <summary>The same for one message's bytes (read from a mailbox); <paramref name="source"/> names it in records and problems.</summary>
        public static IEnumerable<object> ReadStream(Stream stream, string source, ReportImportOptions? options, CancellationToken ct)
        {
            var reader = new ReportContainerReader(stream, source, PayloadKind.Mime, "bounce message", (s, e) => throw new ReportFormatException(
                ReportProblemKind.NotAReport, "is not an e-mail message"), options, ct);
            reader.MessageReader = (m, entry) => ReadMessage(m, source, entry);
            return reader.Read();
        }

        /// <summary>Parses one message already loaded.</summary>
        public static IEnumerable<BounceRecord> ReadMessage(MimeMessage message, string path, string? entry = null)
        {
            var records = Parse(message, path, entry).ToList();
            if (records.Count == 0)
                throw new ReportFormatException(ReportProblemKind.NoReportInMessage,
                    $"is an e-mail message{Describe(message)} that is neither a non-delivery report, an auto-reply nor a feedback report");
            return records;
        }

        private static string Describe(MimeMessage m) => Strings.IsNullOrEmpty(m.Subject) ? "" : $" '{(m.Subject.Length > 80 ? m.Subject.Substring(0, 80) + "…" : m.Subject)}'";

        // ---- patterns -------------------------------------------------------------------------------------------------

        private const string AddrCore = @"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}";
        private static readonly Regex Address = new Regex(AddrCore, RegexOptions.Compiled);
        private static readonly Regex StatusRx = new Regex(@"(?<![\w.])([245]\.[0-7]\.\d{1,3})(?![\d.])", RegexOptions.Compiled);
        private static readonly Regex StatusAfterCodeRx = new Regex(@"(?<![\w.\-#:=/])[245][0-5]\d[ \-]'?([245]\.[0-7]\.\d{1,3})(?![\d.])", RegexOptions.Compiled);
        private static readonly Regex CodeRx = new Regex(@"(?<![\d.\-#:=/])([245][0-5]\d)(?=[ \-]|$)(?![\d.])", RegexOptions.Compiled | RegexOptions.Multiline);
        private static readonly Regex HostRx = new Regex(@"\bhost\s+([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})\.?|\b([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})\.?\s*\[(?:\d{1,3}\.){3}\d{1,3}\]|Remote-MTA:\s*(?:dns;\s*)?([A-Za-z0-9][A-Za-z0-9.-]*)",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        /// <summary>Lines where the copy of the original message (or its headers) starts.</summary>
        private static readonly Regex Boundary = new Regex(
            @"^\s*(?:[-=_*]{2,}.*(?:original|copy|returned|headers? |below|follows|undelivered|message (?:header|text))|(?:[-=_*]{2,}\s*)?(?:Original message|Original mail (?:as )?follows|Message headers follow|Below this line is a copy|The original message|This is a copy of the|Headers of the original|Your message reads|Unsent message below|Returned mail follows|The text you sent follows|------ This is a copy)|Content-Type: (?:message/rfc822|text/rfc822-headers))",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        private static readonly Regex HeaderStart = new Regex(@"^(?:Return-Path|Received|DKIM-Signature|X-Received|Message-I[dD]):\s", RegexOptions.Compiled | RegexOptions.IgnoreCase);

        private static readonly Regex AutoSubject = new Regex(@"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|auto:|out of (?:the )?office|abwesenheit|vacation|away from|réponse automatique|absence|自動応答|不在)",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        private static readonly Regex DaemonFrom = new Regex(@"mailer-daemon|postmaster|mail delivery|mail administrator|^(?:root|daemon|nobody)@|bounce|notification|mail-?daemon|deliverystatus",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        private static readonly Regex BounceSubject = new Regex(@"undeliver|delivery|failure|failed|returned mail|could not be delivered|not delivered|bounce|nicht zustellbar|non remis|error",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        private static readonly Regex DelayWords = new Regex(@"\b(?:delayed|not yet been delivered|will (?:continue|keep) (?:trying|to try|retrying)|still trying|temporarily deferred|is being retried|warning: message)\b",
            RegexOptions.Compiled | RegexOptions.IgnoreCase);

        // ---- parsing --------------------------------------------------------------------------------------------------

        private sealed class Original
        {
            public string? MessageId, From, Subject, To;
        }

        private sealed class Rcpt
        {
            public string? Recipient, Status, Diagnostic, RemoteMta, Action, DiagnosticType;
            public bool DiagnosticIsNotice; // the notice's whole text, for want of anything about this recipient
        }

        private static IEnumerable<BounceRecord> Parse(MimeMessage message, string path, string? entry)
        {
            var contentType = message.Body?.ContentType;
            var reportType = contentType?.Parameters["report-type"];
            var human = HumanText(message);
            var original = FindOriginal(message, human);
            var reportingMta = (string?)null;
            var bounceTo = message.To.Mailboxes.FirstOrDefault()?.Address;
            var sender = original.From ?? bounceTo;
            var subject = original.Subject ?? message.Subject;
            DateTimeOffset? date = message.Headers.Contains(HeaderId.Date) ? message.Date : (DateTimeOffset?)null;

            // ARF feedback report (RFC 5965).
            if (string.Equals(reportType, "feedback-report", StringComparison.OrdinalIgnoreCase)
                || message.BodyParts.Any(p => p.ContentType.IsMimeType("message", "feedback-report")))
            {
                var fields = message.BodyParts.Where(p => p.ContentType.IsMimeType("message", "feedback-report")).Select(PartText).FirstOrDefault() ?? "";
                var f = Fields(fields).FirstOrDefault() ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                var rcpt = Get(f, "Original-Rcpt-To") ?? original.To;
                var type = Get(f, "Feedback-Type") ?? "abuse";
                var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Text = "feedback " + type, Recipient = rcpt });
                c = Override(c, "feedback");
                yield return new BounceRecord("FeedbackReport", StripAngle(rcpt), c, null, $"Feedback-Type: {type}", null, Get(f, "Reporting-MTA"),
                    "feedback", original.MessageId, Get(f, "Original-Mail-From") ?? sender, subject, date, path, entry);
                yield break;
            }

            // DSN fields: from message/delivery-status parts, or inline in the text.
            var dsnTexts = message.BodyParts.Where(p => p is MessageDeliveryStatus
                    || p.ContentType.IsMimeType("message", "delivery-status") || p.ContentType.IsMimeType("message", "global-delivery-status"))
                .Select(PartText).ToList();
            // A wrapper (a gateway's notice, a forward) with no delivery-status part of its own around a whole DSN: the attached
            // report is the one that says who failed and why (RFC 3464 §2: the message/delivery-status part carries the fields).
            if (dsnTexts.Count == 0 && !FinalRecipientLine.IsMatch(human))
            {
                var inner = message.BodyParts.OfType<MessagePart>().Select(p => p.Message).FirstOrDefault(m => m != null && m.BodyParts.Any(p =>
                    p is MessageDeliveryStatus || p.ContentType.IsMimeType("message", "delivery-status") || p.ContentType.IsMimeType("message", "global-delivery-status")));
                if (inner != null)
                {
                    foreach (var rec in Parse(inner, path, entry)) yield return rec;
                    yield break;
                }
            }
            var rcpts = new List<Rcpt>();
            foreach (var t in dsnTexts.Concat(dsnTexts.Count == 0 && FinalRecipientLine.IsMatch(human) ? new[] { human } : new string[0]))
            {
                var blocks = Fields(t).ToList();
                foreach (var b in blocks)
                {
                    if (Get(b, "Reporting-MTA") != null) reportingMta = StripType(Get(b, "Reporting-MTA"));
                    var final = Get(b, "Final-Recipient") ?? Get(b, "Original-Recipient");
                    if (final == null) continue;
                    var status = Get(b, "Status");
                    rcpts.Add(new Rcpt
                    {
                        Recipient = StripAngle(StripType(final)),
                        Status = status == null ? null : StatusRx.Match(status).Success ? StatusRx.Match(status).Groups[1].Value : null,
                        Diagnostic = StripType(Get(b, "Diagnostic-Code")),
                        DiagnosticType = TypeOf(Get(b, "Diagnostic-Code")),
                        RemoteMta = StripType(Get(b, "Remote-MTA")),
                        Action = Get(b, "Action")?.Trim().ToLowerInvariant(),
                    });
                }
            }

            if (rcpts.Count == 0) rcpts = FromSesNotification(human);

            bool isAutoReply = rcpts.Count == 0 && IsAutoReply(message);
            if (isAutoReply)
            {
                var who = message.From.Mailboxes.FirstOrDefault()?.Address;
                var c = Override(DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Text = "", Recipient = who }), "vacation");
                yield return new BounceRecord("AutoReply", who, c, null, Truncate(human.Trim(), 300), null, null, "auto-replied",
                    original.MessageId ?? message.InReplyTo, bounceTo, message.Subject, date, path, entry);
                yield break;
            }

            var preText = BeforeOriginal(human);
            var exclude = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var a in new[] { bounceTo, original.From }.Concat(message.From.Mailboxes.Select(m => m.Address)))
                if (!Strings.IsNullOrEmpty(a)) exclude.Add(a);

            if (rcpts.Count == 0)
            {
                rcpts = FromText(preText, exclude, original);
                // Exim and Gmail name the failed recipients in a header (X-Failed-Recipients); it is authoritative.
                var failedHeader = message.Headers["X-Failed-Recipients"];
                if (failedHeader != null)
                {
                    var named = Address.Matches(failedHeader).Cast<Match>().Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                    if (named.Count > 0)
                        rcpts = named.Select(a => rcpts.FirstOrDefault(r => string.Equals(r.Recipient, a, StringComparison.OrdinalIgnoreCase))
                            ?? new Rcpt { Recipient = a, Diagnostic = TextAbout(preText, a) }).ToList();
                }
            }
            if (rcpts.Count == 0) yield break;

            var failed = rcpts.Where(r => r.Action == null || !(r.Action.StartsWith("deliver") || r.Action.StartsWith("relay") || r.Action.StartsWith("expand"))).ToList();
            var emit = failed.Count > 0 ? failed : rcpts; // a success-only DSN is reported as delivered
            foreach (var r in emit)
            {
                // Prefer the human text about this recipient when the DSN has no diagnostic.
                var diag = r.Diagnostic;
                if (Strings.IsNullOrWhiteSpace(diag) || !ThreeLetters.IsMatch(diag))
                {
                    var near = TextAbout(preText, r.Recipient);
                    diag = Strings.IsNullOrWhiteSpace(diag) ? near : diag + " " + near;
                }
                diag = Clean(diag);
                var status = r.Status;
                // The remote server's own status (after its reply code) wins over a relay's summary before it
                // (Amazon SES "5.1.0 - Unknown address error 550-'5.7.1 ... Access denied'").
                var diagStatus = StatusAfterCodeRx.Match(diag ?? "");
                if (!diagStatus.Success) diagStatus = StatusRx.Match(diag ?? "");
                if (diagStatus.Success)
                    status = diagStatus.Groups[1].Value;
                // The reply code comes from the diagnostic text (a DSN has no field of its own for it).
                int? code = null;
                var m = CodeRx.Match(diag ?? "");
                if (m.Success) code = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                var remote = r.RemoteMta;
                if (Strings.IsNullOrEmpty(remote))
                {
                    var hm = HostRx.Match(diag ?? "");
                    if (hm.Success) remote = new[] { hm.Groups[1].Value, hm.Groups[2].Value, hm.Groups[3].Value }.First(v => v.Length > 0).TrimEnd('.');
                }
                var action = r.Action;
                if (action == null) action = DelayWords.IsMatch(preText) && !PermanentWords.IsMatch(preText) ? "delayed" : "failed";
                var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput
                {
                    ReplyCode = code ?? 0,
                    Status = status,
                    Text = diag,
                    RemoteHost = remote,
                    Recipient = r.Recipient,
                    Action = action,
                    DiagnosticType = r.DiagnosticType,
                    TextIsNotice = r.DiagnosticIsNotice,
                    // The stage: from the diagnostic, a session transcript, or (one recipient) Exim's "after EHLO" in the text.
                    Stage = DeliveryFailureClassifier.StageOf(diag) ?? TranscriptStage(human, r.Recipient, emit.Count == 1)
                        ?? (emit.Count == 1 ? DeliveryFailureClassifier.StageOf(TextAbout(preText, r.Recipient)) : null),
                });
                var kind = action.StartsWith("deliver") || action.StartsWith("relay") || action.StartsWith("expand") ? "Delivered" : action == "delayed" ? "Delay" : "Bounce";
                if (kind == "Delivered") c = Override(c, "delivered", keepStatus: true);
                yield return new BounceRecord(kind, r.Recipient, c, code, diag, remote, reportingMta, action, original.MessageId, sender, subject, date, path, entry);
            }
        }

        private static readonly Regex SesJsonLine = new Regex(@"^\s*\{\s*""notificationType""\s*:", RegexOptions.Multiline | RegexOptions.Compiled);

        /// <summary>
        /// An Amazon SES event notification delivered by e-mail through SNS: one JSON object (notificationType Bounce or
        /// Delivery) with the recipients, their status, diagnostic and action
        /// (https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html). Empty when the text holds none.
        /// </summary>
        private static List<Rcpt> FromSesNotification(string? human)
        {
            var list = new List<Rcpt>();
            if (human == null) return list;
            var m = SesJsonLine.Match(human);
            if (!m.Success) return list;
            var end = human.IndexOf('\n', m.Index);
            var json = end < 0 ? human.Substring(m.Index) : human.Substring(m.Index, end - m.Index);
            Dictionary<string, object?>? root;
            try { root = MiniJson.Parse(json) as Dictionary<string, object?>; }
            catch (FormatException) { return list; }
            if (root == null) return list;
            var type = root.TryGetValue("notificationType", out var t) ? t as string : null;
            if (string.Equals(type, "Bounce", StringComparison.OrdinalIgnoreCase)
                && root.TryGetValue("bounce", out var b) && b is Dictionary<string, object> bounce
                && bounce.TryGetValue("bouncedRecipients", out var br) && br is List<object> bounced)
            {
                var mta = bounce.TryGetValue("reportingMTA", out var rm) ? StripType(rm as string) : null;
                foreach (var o in bounced.OfType<Dictionary<string, object>>())
                {
                    var addr = o.TryGetValue("emailAddress", out var a) ? a as string : null;
                    if (Strings.IsNullOrEmpty(addr)) continue;
                    var status = o.TryGetValue("status", out var st) ? st as string : null;
                    list.Add(new Rcpt
                    {
                        Recipient = StripAngle(addr),
                        Status = status != null && StatusRx.IsMatch(status) ? StatusRx.Match(status).Groups[1].Value : null,
                        Diagnostic = StripType(o.TryGetValue("diagnosticCode", out var d) ? d as string : null),
                        DiagnosticType = TypeOf(o.TryGetValue("diagnosticCode", out var d2) ? d2 as string : null),
                        Action = (o.TryGetValue("action", out var ac) ? ac as string : null)?.Trim().ToLowerInvariant() ?? "failed",
                        RemoteMta = mta,
                    });
                }
            }
            else if (string.Equals(type, "Delivery", StringComparison.OrdinalIgnoreCase)
                && root.TryGetValue("delivery", out var dv) && dv is Dictionary<string, object> delivery
                && delivery.TryGetValue("recipients", out var rs) && rs is List<object> recipients)
            {
                var response = delivery.TryGetValue("smtpResponse", out var sr) ? sr as string : null;
                var mta = delivery.TryGetValue("reportingMTA", out var rm) ? rm as string : null;
                foreach (var addr in recipients.OfType<string>())
                    list.Add(new Rcpt { Recipient = StripAngle(addr), Diagnostic = response, Action = "delivered", RemoteMta = mta });
            }
            return list;
        }

        // A Sendmail-style session transcript: the command sent (">>> DATA") and the error reply to it ("<<< 550 ...").
        private static readonly Regex TranscriptRx = new Regex(@"^>>> ?(MAIL FROM|RCPT TO|DATA)\b[^\n]*\n<<< ?[45]\d\d\b([^\n]*)",
            RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.Compiled);

        /// <summary>The SMTP command (MAIL, RCPT, DATA) whose error reply the transcript shows for this recipient (or for
        /// the only recipient), or null.</summary>
        internal static string? TranscriptStage(string text, string? recipient, bool only)
        {
            if (Strings.IsNullOrEmpty(text) || text.IndexOf(">>>", StringComparison.Ordinal) < 0) return null;
            Match? first = null;
            foreach (Match m in TranscriptRx.Matches(text))
            {
                if (first == null) first = m;
                if (recipient != null && m.Groups[2].Value.IndexOf(recipient, StringComparison.OrdinalIgnoreCase) >= 0) return StageName(m.Groups[1].Value);
            }
            return only && first != null ? StageName(first.Groups[1].Value) : null;
        }

        private static string StageName(string command) =>
            command.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase) ? "MAIL" : command.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase) ? "RCPT" : "DATA";

        private static DeliveryClassification Override(DeliveryClassification c, string reason, bool keepStatus = false)
        {
            var info = DeliveryFailureClassifier.GetReason(reason);
            return new DeliveryClassification(reason, false, false, keepStatus ? c.Status : null, false, c.Provider, c.ProviderSupportUrl, null, null,
                info?.Remedy, info?.RemedyCommand, "bounce-reasons.tsv: " + info?.Source);
        }

        private static bool IsAutoReply(MimeMessage m)
        {
            var auto = m.Headers["Auto-Submitted"];
            var from = m.From.Mailboxes.FirstOrDefault()?.Address ?? "";
            // MTAs mark their bounces auto-replied too (Exim): a report from a mailer daemon or about a failure is no auto-reply.
            if (DaemonFrom.IsMatch(from) || BounceSubject.IsMatch(m.Subject ?? "")) return false;
            if (auto != null && auto.Trim().StartsWith("auto-replied", StringComparison.OrdinalIgnoreCase)) return true;
            if (m.Headers.Contains("X-Autoreply") || m.Headers.Contains("X-Autorespond") || m.Headers.Contains("X-Auto-Response-Suppress") && AutoSubject.IsMatch(m.Subject ?? "")) return true;
            var precedence = m.Headers["Precedence"];
            if (precedence != null && precedence.IndexOf("auto_reply", StringComparison.OrdinalIgnoreCase) >= 0) return true;
            return AutoSubject.IsMatch(m.Subject ?? "");
        }

        private static readonly Regex LeadingRx = new Regex(@"^\s*(?:(?:RCPT TO|To|Recipient(?: address)?|Original-Recipient|Final-Recipient|Failed recipient|Address)\s*:?\s*)?(?:rfc822;\s*)?[""']?<?(" + AddrCore + @")>?[""']?\s*(?::|\.\.\.|\(|$|\s)", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex InlineRx = new Regex(@"(?:\b(?:to|for|recipient|address(?:es)?|addressee|delivering your (?:mail|message) to|mailbox|user)\b[:\s]+|following (?:address(?:es)?|recipients?)[^:]*:\s*|\bfailed[^:@\n]{0,30}:\s*)[""'(]?<?(" + AddrCore + @")>?", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex SendmailStyleRx = new Regex(@"<(" + AddrCore + @")>\.\.\.\s", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        // Sendmail's "<addr>... reason" (the form its transcripts and many gateways use for a refused recipient): SendmailStyleRx.
        private static readonly Regex AngleAddress = new Regex(@"<(" + AddrCore + @")>", RegexOptions.Compiled);
        private static readonly Regex[] RecipientForms = { LeadingRx, InlineRx, SendmailStyleRx };
        private static readonly Regex FinalRecipientLine = new Regex(@"^\s*Final-Recipient:", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex ThreeLetters = new Regex("[A-Za-z]{3}", RegexOptions.Compiled);
        private static readonly Regex PermanentWords = new Regex(@"permanent|gave up|given up|giving up|could not be delivered", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex FailureWords = new Regex(@"unknown|not exist|full|quota|refused|reject|denied|blocked|expired|timed? ?out|error|fail", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex LeadingAddress = new Regex(@"^\s*<?" + AddrCore, RegexOptions.Compiled);
        private static readonly Regex WhiteSpace = new Regex(@"\s+", RegexOptions.Compiled);
        private static readonly Regex HtmlBreak = new Regex(@"<(br|p|div|tr|li)[^>]*>", RegexOptions.IgnoreCase | RegexOptions.Compiled);
        private static readonly Regex HtmlTag = new Regex("<[^>]+>", RegexOptions.Compiled);
        private static readonly Dictionary<string, Regex> HeaderLine = new[] { "Message-I[dD]", "From", "Subject", "To" }
            .ToDictionary(n => n, n => new Regex(@"^[ \t]*" + n + @":[ \t]*(.+)$", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.Compiled), StringComparer.Ordinal);

        /// <summary>Recipients of a report without DSN fields: addresses that stand at the start of a line or follow
        /// "to"/"address"/"recipient", other than the sender's; each with the text that follows it.</summary>
        private static List<Rcpt> FromText(string text, HashSet<string> exclude, Original original)
        {
            var lines = text.Split('\n');
            var found = new List<(string addr, int line, bool oneLine)>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var leading = LeadingRx;
            var sendmailStyle = SendmailStyleRx;
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (var rx in RecipientForms)
                {
                    foreach (Match m in rx.Matches(lines[i]))
                    {
                        var a = m.Groups[1].Value.TrimEnd('.');
                        if (exclude.Contains(a) || !seen.Add(a)) continue;
                        if (DaemonFrom.IsMatch(a.Split('@')[0])) { seen.Remove(a); continue; }
                        found.Add((a, i, rx == sendmailStyle && HasReply(lines[i])));
                    }
                    if (rx == leading && found.Count > 0 && found[found.Count - 1].line == i) break;
                }
            }
            // A bounce sent back to the very address that failed (the sender wrote to itself): the address at the start of a
            // line (qmail's "<addr>:", Postfix's "<addr>: host ... said") is the recipient even though it is the bounce's To.
            if (found.Count == 0)
                for (int i = 0; i < lines.Length && found.Count == 0; i++)
                {
                    var m = leading.Match(lines[i]);
                    if (m.Success && !DaemonFrom.IsMatch(m.Groups[1].Value.Split('@')[0]) && HasReply(string.Join("\n", lines.Skip(i).Take(4))))
                        found.Add((m.Groups[1].Value.TrimEnd('.'), i, false));
                }
            // A notice in no known form that names one address in angle brackets (fml's "Duplicated Message-ID in <list@...>"):
            // the address it is about.
            if (found.Count == 0)
                for (int i = 0; i < lines.Length && found.Count == 0; i++)
                    foreach (Match m in AngleAddress.Matches(lines[i]))
                    {
                        var a = m.Groups[1].Value;
                        if (exclude.Contains(a) || DaemonFrom.IsMatch(a.Split('@')[0])) continue;
                        found.Add((a, i, false));
                        break;
                    }
            if (found.Count == 0 && !Strings.IsNullOrEmpty(original.To))
            {
                var a = Address.Match(original.To);
                if (a.Success && !exclude.Contains(a.Value)) return new List<Rcpt> { new Rcpt { Recipient = a.Value, Diagnostic = text, DiagnosticIsNotice = true } };
            }
            var result = new List<Rcpt>();
            for (int k = 0; k < found.Count; k++)
            {
                int start = found[k].line, end = k + 1 < found.Count ? found[k + 1].line : lines.Length;
                if (end <= start) end = start + 1;
                if (found[k].oneLine) end = start + 1; // Sendmail's "<addr>... reason" says it all on its line
                var block = string.Join("\n", lines.Skip(start).Take(end - start));
                // ... in the sending MTA's words; the remote server's own reply, when the transcript quotes it just above
                // ("<<< 550 Insecure Mail Relay" before "554 <addr>... Remote protocol error"), says why.
                if (found[k].oneLine && ReplyAbove(lines, start, found) is string reply) block = reply + "\n" + block;
                if (!HasReply(block)) block = text; // the reason is given once for all (or before the list)
                result.Add(new Rcpt { Recipient = found[k].addr, Diagnostic = block });
            }
            return result;
        }

        /// <summary>The transcript's "&lt;&lt;&lt; reply" line above a Sendmail summary line, when no other recipient's line
        /// (nor the start of the transcript) comes between them; null when there is none.</summary>
        private static string? ReplyAbove(string[] lines, int line, List<(string addr, int line, bool oneLine)> found)
        {
            for (int i = line - 1; i >= 0 && i >= line - 6; i--)
            {
                if (found.Any(f => f.line == i)) return null;
                var t = lines[i].TrimStart();
                if (t.StartsWith("<<<", StringComparison.Ordinal)) return FailureCodeRx.IsMatch(t) ? t.Substring(3).Trim() : null;
                if (t.Length == 0 || t.StartsWith("-----", StringComparison.Ordinal)) return null;
            }
            return null;
        }

        // A failure reply code (4xx/5xx); CodeRx also takes 2xx, which here would read "Size (in bytes): 222" as a reply.
        private static readonly Regex FailureCodeRx = new Regex(@"(?<![\d.\-#:=/])[45][0-5]\d(?=[ \-]|$)(?![\d.])", RegexOptions.Compiled | RegexOptions.Multiline);

        private static bool HasReply(string s) => StatusRx.IsMatch(s) || FailureCodeRx.IsMatch(s) || FailureWords.IsMatch(s);

        /// <summary>The lines of the human-readable text that talk about <paramref name="recipient"/>, and the reply text after it.</summary>
        private static string TextAbout(string text, string? recipient)
        {
            if (Strings.IsNullOrEmpty(text)) return "";
            var lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (recipient == null || lines[i].IndexOf(recipient, StringComparison.OrdinalIgnoreCase) < 0) continue;
                var sb = new StringBuilder(lines[i]);
                for (int j = i + 1; j < lines.Length && j < i + 8; j++)
                {
                    if (Address.IsMatch(lines[j]) && LeadingAddress.IsMatch(lines[j])) break;
                    if (lines[j].Trim().Length == 0 && sb.Length > 0 && HasReply(sb.ToString())) break;
                    sb.Append(' ').Append(lines[j]);
                }
                if (HasReply(sb.ToString())) return sb.ToString();
            }
            return HasReply(text) ? Truncate(text, 2000) : "";
        }

        private static string BeforeOriginal(string human)
        {
            var lines = human.Split('\n');
            var sb = new StringBuilder();
            int body = 0;
            foreach (var raw in lines)
            {
                var line = raw.TrimEnd('\r');
                if (Boundary.IsMatch(line) && body > 0) break;
                if (HeaderStart.IsMatch(line) && body > 2) break;
                if (line.Trim().Length > 0) body++;
                sb.Append(line).Append('\n');
            }
            return sb.ToString();
        }

        /// <summary>The human-readable text parts of the report (not of an attached original), HTML reduced to text.</summary>
        private static string HumanText(MimeMessage message)
        {
            var sb = new StringBuilder();
            foreach (var part in message.BodyParts)
            {
                if (!(part is TextPart tp)) continue;
                if (tp.ContentType.IsMimeType("text", "rfc822-headers")) continue;
                if (tp.IsAttachment && !tp.ContentType.IsMimeType("text", "plain")) continue;
                string text;
                try { text = tp.Text ?? ""; }
                catch (Exception) { continue; }
                if (tp.IsHtml)
                {
                    if (sb.Length > 0) continue; // the plain alternative is already there
                    text = HtmlBreak.Replace(text, "\n");
                    text = System.Net.WebUtility.HtmlDecode(HtmlTag.Replace(text, ""));
                }
                sb.Append(text.Replace("\r\n", "\n")).Append('\n');
                if (sb.Length > 1 << 20) break;
            }
            // A multipart whose boundary parameter does not match the body (damaged or hand-edited reports): MimeKit finds
            // no parts and keeps the whole body as the preamble. Read that as text.
            // The same inside: a nested multipart whose "boundary=" line was not folded into its Content-Type (seen from
            // Verizon and Apache James) has no parts either, and its text sits in its preamble.
            if (sb.Length == 0 && message.Body is Multipart broken)
                AppendBroken(broken, sb, 0);
            return sb.ToString();
        }

        private static void AppendBroken(Multipart multipart, StringBuilder sb, int depth)
        {
            if (multipart.Count == 0 || depth > 8)
            {
                sb.Append((multipart.Preamble ?? "").Replace("\r\n", "\n")).Append('\n').Append((multipart.Epilogue ?? "").Replace("\r\n", "\n"));
                return;
            }
            foreach (var child in multipart)
                if (child is Multipart inner) AppendBroken(inner, sb, depth + 1);
        }

        private static Original FindOriginal(MimeMessage message, string human)
        {
            var o = new Original();
            foreach (var part in message.BodyParts)
            {
                if (part is MessagePart mp && mp.Message != null)
                {
                    var m = mp.Message;
                    o.MessageId = m.MessageId != null ? "<" + m.MessageId + ">" : null;
                    o.From = m.From.Mailboxes.FirstOrDefault()?.Address;
                    o.Subject = m.Subject;
                    o.To = m.To.Mailboxes.FirstOrDefault()?.Address;
                    return o;
                }
            }
            // The original's headers quoted in the text, after the boundary line.
            var before = BeforeOriginal(human);
            var after = human.Length > before.Length ? human.Substring(before.Length) : "";
            o.MessageId = HeaderIn(after, "Message-I[dD]");
            o.From = Address.Match(HeaderIn(after, "From") ?? "").Value is var f && f.Length > 0 ? f : null;
            o.Subject = HeaderIn(after, "Subject");
            o.To = HeaderIn(after, "To");
            return o;
        }

        private static string? HeaderIn(string text, string name)
        {
            var m = HeaderLine[name].Match(text);
            return m.Success ? m.Groups[1].Value.Trim() : null;
        }

        private static readonly Lazy<Encoding?> Iso2022Jp = new Lazy<Encoding?>(() =>
        {
            try
            {
                Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
                return Encoding.GetEncoding("iso-2022-jp");
            }
            // No such encoding here, or the code-pages assembly cannot load: the text stays as it came (escape codes and all).
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is IOException || e is TypeLoadException) { return null; }
        });

        /// <summary>
        /// Japanese MTAs (Lotus Domino, Notes) write DSN fields in ISO-2022-JP (RFC 1468): 7-bit text in which ESC $ B starts
        /// JIS X 0208 and ESC ( B returns to ASCII. A delivery-status part declares no charset, so its text arrives with the
        /// escape sequences in it; the sequences name the charset themselves, so such text is decoded as ISO-2022-JP.
        /// </summary>
        internal static string DecodeIso2022Jp(string text)
        {
            if (text.IndexOf("\u001b$B", StringComparison.Ordinal) < 0 && text.IndexOf("\u001b$@", StringComparison.Ordinal) < 0) return text;
            var enc = Iso2022Jp.Value;
            if (enc == null) return text;
            var bytes = new byte[text.Length];
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] > 0x7f) return text; // not 7-bit: not ISO-2022-JP as sent
                bytes[i] = (byte)text[i];
            }
            return enc.GetString(bytes);
        }

        private static string PartText(MimeEntity part)
        {
            if (part is MimePart mp && mp.Content != null)
            {
                using (var s = mp.Content.Open())
                using (var r = new StreamReader(s, Encoding.UTF8))
                {
                    // At most 1 Mi characters, read in small blocks: a fixed 1 Mi-character buffer per part cost 2 MiB of
                    // garbage for every DSN part of a few hundred bytes.
                    var sb = new StringBuilder();
                    var buf = new char[8192];
                    int n;
                    while (sb.Length < (1 << 20) && (n = r.Read(buf, 0, Math.Min(buf.Length, (1 << 20) - sb.Length))) > 0)
                        sb.Append(buf, 0, n);
                    return DecodeIso2022Jp(sb.ToString());
                }
            }
            if (part is MessageDeliveryStatus mds)
            {
                var sb = new StringBuilder();
                foreach (var g in mds.StatusGroups)
                {
                    foreach (var h in g) sb.Append(h.Field).Append(": ").Append(h.Value.Trim()).Append('\n');
                    sb.Append('\n');
                }
                return DecodeIso2022Jp(sb.ToString());
            }
            using (var ms = new MemoryStream())
            {
                part.WriteTo(ms);
                return Encoding.UTF8.GetString(ms.ToArray());
            }
        }

        /// <summary>Field blocks (RFC 3464 §2.1: groups separated by blank lines), with folded lines unfolded.</summary>
        private static IEnumerable<Dictionary<string, string>> Fields(string text)
        {
            var block = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? last = null;
            foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
            {
                if (raw.Trim().Length == 0)
                {
                    if (block.Count > 0) yield return block;
                    block = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    last = null;
                    continue;
                }
                if ((raw[0] == ' ' || raw[0] == '\t') && last != null)
                {
                    block[last] += " " + raw.Trim();
                    continue;
                }
                var colon = raw.IndexOf(':');
                if (colon <= 0) { last = null; continue; }
                var name = raw.Substring(0, colon).Trim();
                if (name.IndexOf(' ') >= 0) { last = null; continue; }
                last = name;
                if (!block.ContainsKey(name)) block[name] = raw.Substring(colon + 1).Trim();
            }
            if (block.Count > 0) yield return block;
        }

        private static string? Get(Dictionary<string, string> d, string key) => d.TryGetValue(key, out var v) && !Strings.IsNullOrWhiteSpace(v) ? v : null;

        private static string? StripType(string? v)
        {
            if (v == null) return null;
            var semi = v.IndexOf(';');
            return (semi >= 0 && semi < 12 ? v.Substring(semi + 1) : v).Trim();
        }

        /// <summary>The type before the ';' of a typed DSN field (RFC 3464 §2.3.6 "diagnostic-type; text"), lower case; or null.</summary>
        private static string? TypeOf(string? v)
        {
            if (v == null) return null;
            var semi = v.IndexOf(';');
            return semi > 0 && semi < 12 ? v.Substring(0, semi).Trim().ToLowerInvariant() : null;
        }

        private static string? StripAngle(string? v)
        {
            if (v == null) return null;
            var m = Address.Match(v);
            return m.Success ? m.Value : v.Trim().Trim('<', '>');
        }

        private static string? Clean(string? s)
        {
            if (s == null) return null;
            s = WhiteSpace.Replace(s, " ").Trim();
            return Truncate(s, 2000);
        }

        private static string Truncate(string s, int max) => s.Length > max ? s.Substring(0, max) + "…" : s;
    }
}
