using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using MimeKit;
using MimeKit.Utils;

namespace MailOps.Reports
{
    /// <summary>
    /// Reads DMARC failure reports: ARF messages (RFC 5965) with an auth-failure feedback report (RFC 6591; the DMARC
    /// fields of RFC 7489 §7.3 and RFC 9991, which updates RFC 6591 and keeps its format), from .eml files, mboxes and
    /// archives of them, through the report container reader (bounded memory, one problem per bad file or member, the
    /// batch goes on). One <see cref="DmarcFailureReport"/> per report message.
    /// </summary>
    public static class DmarcFailureReportReader
    {
        /// <summary>The most characters of the message/feedback-report part read: 64 KiB (real ones are under 4 KB; a
        /// DKIM-Canonicalized-Body field can be large). Fields past the limit are not read.</summary>
        public const int MaxFeedbackFieldChars = 64 * 1024;

        /// <summary>The most characters of the failed message's header block kept in <see cref="DmarcFailureReport.OriginalHeaders"/>: 64 KiB.</summary>
        public const int MaxOriginalHeaderChars = 64 * 1024;

        /// <summary>Reports (<see cref="DmarcFailureReport"/>) and problems (<see cref="ReportImportProblem"/>), in file order.</summary>
        public static IEnumerable<object> ReadFile(string path, ReportImportOptions? options = null, CancellationToken cancellationToken = default)
        {
            var full = Path.GetFullPath(path);
            var reader = new ReportContainerReader(full, PayloadKind.Mime, "DMARC failure report", (s, e) => throw new ReportFormatException(
                ReportProblemKind.NotAReport, "is not an e-mail message"), options, cancellationToken);
            reader.MessageReader = (m, entry) => ReadMessage(m, full, entry);
            return reader.Read();
        }

        /// <summary>The same from a stream that is one message (or an mbox, archive...) as a file would hold it: an IMAP
        /// message (Import-DmarcFailureReport -ImapServer). <paramref name="source"/> names it in rows and problems.</summary>
        public static IEnumerable<object> ReadStream(Stream stream, string source, ReportImportOptions? options = null, CancellationToken cancellationToken = default)
        {
            var reader = new ReportContainerReader(stream, source, PayloadKind.Mime, "DMARC failure report", (s, e) => throw new ReportFormatException(
                ReportProblemKind.NotAReport, "is not an e-mail message"), options, cancellationToken);
            reader.MessageReader = (m, entry) => ReadMessage(m, source, entry);
            return reader.Read();
        }

        /// <summary>The failure report of one message already loaded.</summary>
        internal static IEnumerable<object> ReadMessage(MimeMessage message, string file, string? entry)
        {
            var report = Parse(message, file, entry, forwarded: false);
            if (report != null) return new object[] { report };
            // A report forwarded as an attachment (message/rfc822 holding the ARF message).
            foreach (var part in message.BodyParts.OfType<MessagePart>())
            {
                if (part.Message == null || !part.ContentType.IsMimeType("message", "rfc822")) continue;
                var inner = Parse(part.Message, file, entry, forwarded: true);
                if (inner != null) return new object[] { inner };
            }
            if (message.BodyParts.OfType<MimePart>().Any(LooksLikeAggregate))
                throw new ReportFormatException(ReportProblemKind.OtherReportKind,
                    $"is an e-mail message{Describe(message)} with a compressed or XML attachment but no failure report (a DMARC aggregate report?)")
                    { LooksLike = ReportType.DmarcAggregate };
            throw new ReportFormatException(ReportProblemKind.NoReportInMessage,
                $"is an e-mail message{Describe(message)} with no failure report (no message/feedback-report part)");
        }

        private static bool LooksLikeAggregate(MimePart p)
        {
            var t = p.ContentType.MimeType.ToLowerInvariant();
            return t == "application/zip" || t == "application/gzip" || t == "application/x-gzip" || t == "application/x-zip-compressed"
                || t == "text/xml" || t == "application/xml" || t.StartsWith("application/tlsrpt", StringComparison.Ordinal);
        }

        internal static string Describe(MimeMessage m) => Strings.IsNullOrEmpty(m.Subject) ? ""
            : $" '{TextSafety.Escape(m.Subject.Length > 80 ? m.Subject.Substring(0, 80) + "…" : m.Subject)}'";

        /// <summary>True when the message is an ARF report (has a message/feedback-report part at its top level).</summary>
        internal static bool IsFeedbackReport(MimeMessage m) =>
            m.BodyParts.Any(p => p.ContentType.IsMimeType("message", "feedback-report"));

        private static DmarcFailureReport? Parse(MimeMessage m, string file, string? entry, bool forwarded)
        {
            MimePart? feedback = null;
            MessagePart? original = null;
            foreach (var part in m.BodyParts)
            {
                if (feedback == null && part is MimePart mp && part.ContentType.IsMimeType("message", "feedback-report")) feedback = mp;
                else if (original == null && part is MessagePart msg && msg != null
                    && (part.ContentType.IsMimeType("message", "rfc822") || part.ContentType.IsMimeType("text", "rfc822-headers")
                        || part.ContentType.IsMimeType("message", "global") || part.ContentType.IsMimeType("message", "global-headers")))
                    original = msg;
            }
            if (feedback == null) return null;
            var fields = ReadFields(feedback);
            string? One(string name)
            {
                // As parsedmarc: a field given more than once counts with its last value.
                string? v = null;
                foreach (var f in fields) if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)) v = f.Value;
                return Strings.IsNullOrEmpty(v) ? null : v;
            }
            ResultList<string> All(string name)
            {
                var list = fields.Where(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase) && f.Value.Length > 0).Select(f => f.Value).ToList();
                return list.Count == 0 ? ResultList<string>.Empty : new ResultList<string>(list);
            }
            var type = One("Feedback-Type");
            if (type == null)
                throw new ReportFormatException(ReportProblemKind.Malformed,
                    $"is a feedback report{Describe(m)} whose message/feedback-report part has no Feedback-Type field (RFC 5965 §3.1)");
            var r = new DmarcFailureReport
            {
                SourceFile = file,
                SourceEntry = forwarded ? (entry == null ? "" : entry + " / ") + "attached message" + Describe(m) : entry,
                FeedbackType = type.ToLowerInvariant(),
                UserAgent = One("User-Agent"),
                Version = One("Version"),
                AuthFailure = One("Auth-Failure")?.ToLowerInvariant(),
                DeliveryResult = One("Delivery-Result")?.ToLowerInvariant(),
                ReportedDomain = All("Reported-Domain"),
                SourceIP = One("Source-IP"),
                OriginalMailFrom = One("Original-Mail-From"),
                OriginalRcptTo = All("Original-Rcpt-To"),
                OriginalEnvelopeId = One("Original-Envelope-Id"),
                ReportingMta = One("Reporting-MTA"),
                AuthenticationResults = All("Authentication-Results"),
                DkimDomain = One("DKIM-Domain"),
                DkimIdentity = One("DKIM-Identity"),
                DkimSelector = One("DKIM-Selector"),
                SpfDns = All("SPF-DNS"),
                ReportedUri = All("Reported-URI"),
                ReporterAddress = m.From.Mailboxes.FirstOrDefault()?.Address,
            };
            var alignment = One("Identity-Alignment");
            if (alignment != null)
            {
                var mechanisms = alignment.Split(',').Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0 && s != "none").ToList();
                if (mechanisms.Count > 0) r.IdentityAlignment = new ResultList<string>(mechanisms);
            }
            var incidents = One("Incidents");
            if (incidents != null && long.TryParse(incidents, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) r.Incidents = n;
            if (m.Headers.Contains(HeaderId.Date) && DateUtils.TryParse(m.Headers[HeaderId.Date], out var reportDate)) r.ReportDate = reportDate.UtcDateTime;
            var arrival = One("Arrival-Date");
            r.ArrivalDateText = arrival ?? m.Headers[HeaderId.Date]?.Trim(); // the indexer gives null when there is no such field
            if (arrival != null && DateUtils.TryParse(arrival, out var arrived)) r.ArrivalDate = arrived.UtcDateTime;
            else r.ArrivalDate = r.ReportDate;
            if (original != null) ReadOriginal(r, original);
            if (r.ReportedDomain.Count == 0 && r.HeaderFrom != null)
            {
                // As parsedmarc: without Reported-Domain, the failed message's From domain is the one reported.
                var at = r.HeaderFrom.LastIndexOf('@');
                if (at >= 0 && at < r.HeaderFrom.Length - 1) r.ReportedDomain = new ResultList<string>(new[] { r.HeaderFrom.Substring(at + 1).ToLowerInvariant() });
            }
            return r;
        }

        /// <summary>The feedback fields ("Name: value" lines, folded lines joined), from the first <see cref="MaxFeedbackFieldChars"/>
        /// characters of the part; the part's content is decoded as a stream and never read whole.</summary>
        private static List<KeyValuePair<string, string>> ReadFields(MimePart part)
        {
            var fields = new List<KeyValuePair<string, string>>();
            if (part.Content == null) return fields;
            string text;
            using (var s = part.Content.Open())
            using (var reader = new StreamReader(s, new UTF8Encoding(false, false), false, 4096))
            {
                var buffer = new char[MaxFeedbackFieldChars];
                int have = 0, got;
                while (have < buffer.Length && (got = reader.Read(buffer, have, buffer.Length - have)) > 0) have += got;
                text = new string(buffer, 0, have);
                // A field cut by the limit is dropped: only whole lines count.
                if (have == buffer.Length && reader.Peek() >= 0)
                {
                    var lastBreak = text.LastIndexOf('\n');
                    text = lastBreak >= 0 ? text.Substring(0, lastBreak) : "";
                }
            }
            string? name = null;
            var value = new StringBuilder();
            void Flush()
            {
                if (name != null) fields.Add(new KeyValuePair<string, string>(name, value.ToString().Trim()));
                name = null;
                value.Clear();
            }
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (line.Length == 0) { Flush(); continue; }
                if ((line[0] == ' ' || line[0] == '\t') && name != null)
                {
                    value.Append(' ').Append(line.Trim());
                    continue;
                }
                Flush();
                var colon = line.IndexOf(':');
                if (colon <= 0) continue;
                var n = line.Substring(0, colon).Trim();
                if (n.Length == 0 || n.Any(c => c <= ' ' || c > '~')) continue;
                name = n;
                value.Append(line.Substring(colon + 1));
            }
            Flush();
            return fields;
        }

        private static void ReadOriginal(DmarcFailureReport r, MessagePart part)
        {
            var original = part.Message;
            var headersOnly = part.ContentType.IsMimeType("text", "rfc822-headers") || part.ContentType.IsMimeType("message", "global-headers");
            if (original == null)
            {
                r.SampleHeadersOnly = headersOnly;
                return;
            }
            r.Subject = original.Subject;
            r.HeaderFrom = original.From.Mailboxes.FirstOrDefault()?.Address;
            r.HeaderTo = original.Headers[HeaderId.To]?.Trim();
            r.MessageId = original.Headers[HeaderId.MessageId]?.Trim();
            r.SampleHeadersOnly = headersOnly || !HasBody(original);
            var sb = new StringBuilder();
            foreach (var h in original.Headers)
            {
                var line = h.Field + ":" + Encoding.UTF8.GetString(h.RawValue);
                if (sb.Length + line.Length > MaxOriginalHeaderChars)
                {
                    sb.Append(line, 0, MaxOriginalHeaderChars - sb.Length);
                    r.OriginalHeadersTruncated = true;
                    break;
                }
                sb.Append(line);
            }
            r.OriginalHeaders = sb.ToString().Replace("\r\n", "\n");
        }

        /// <summary>Whether a copy of the failed message has a body (parsedmarc's sample_headers_only is its negation).</summary>
        private static bool HasBody(MimeMessage m)
        {
            var body = m.Body;
            if (body == null) return false;
            if (body is Multipart) return true;
            if (body is MimePart p)
            {
                // No content (or content without a stream): no body.
                var s = p.Content?.Stream;
                if (s == null) return false;
                if (s.CanSeek)
                {
                    if (s.Length == 0) return false;
                    // A headers-only copy parses as a message whose body is the blank line, if anything.
                    if (s.Length <= 2)
                    {
                        var pos = s.Position;
                        s.Position = 0;
                        var b = new byte[2];
                        var n = s.Read(b, 0, 2);
                        s.Position = pos;
                        return b.Take(n).Any(x => x != '\r' && x != '\n');
                    }
                }
                return true;
            }
            return true;
        }
    }
}
