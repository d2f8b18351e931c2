using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace MailOps.Reports
{
    /// <summary>One failure-details entry of an SMTP TLS report policy (RFC 8460 §4.3).</summary>
    public sealed class TlsRptFailureDetail
    {
        internal TlsRptFailureDetail() { }

        /// <summary>result-type, e.g. certificate-expired, starttls-not-supported, validation-failure.</summary>
        public string? ResultType { get; internal set; }
        public string? SendingMtaIP { get; internal set; }
        public string? ReceivingMxHostname { get; internal set; }
        public string? ReceivingMxHelo { get; internal set; }
        public string? ReceivingIP { get; internal set; }
        public long FailedSessionCount { get; internal set; }
        public string? AdditionalInformation { get; internal set; }
        public string? FailureReasonCode { get; internal set; }

        public override string ToString()
        {
            var where = string.Join(" ", new[] { ReceivingMxHostname, ReceivingIP }.Where(s => !Strings.IsNullOrEmpty(s)));
            return $"{ResultType} x{FailedSessionCount}" + (where.Length > 0 ? $" ({where})" : "") + (FailureReasonCode != null ? $" [{FailureReasonCode}]" : "");
        }
    }

    /// <summary>One policy of an SMTP TLS report (RFC 8460): who reported, for what policy, how many sessions succeeded and failed.</summary>
    public sealed class TlsRptPolicyRow : IMailboxSourced
    {
        internal TlsRptPolicyRow() { }

        /// <summary>The IMAP UID of the message the row was read from (-ImapServer); null for files.</summary>
        public uint? ImapUid { get; private set; }

        /// <summary>The Message-ID of that message (without angle brackets); null for files.</summary>
        public string? MessageId { get; private set; }

        /// <summary>The Date header of that message; null for files.</summary>
        public DateTimeOffset? MessageDate { get; private set; }

        void IMailboxSourced.SetMailboxSource(uint uid, string? messageId, DateTimeOffset? date)
        {
            ImapUid = uid;
            MessageId = messageId;
            MessageDate = date;
        }

        public string SourceFile { get; internal set; } = "";
        public string? SourceEntry { get; internal set; }
        public string? OrganizationName { get; internal set; }
        public string? ContactInfo { get; internal set; }
        public string? ReportId { get; internal set; }
        /// <summary>date-range/start-datetime (UTC).</summary>
        public DateTime? BeginDate { get; internal set; }
        /// <summary>date-range/end-datetime (UTC).</summary>
        public DateTime? EndDate { get; internal set; }
        /// <summary>sts, tlsa or no-policy-found.</summary>
        public string? PolicyType { get; internal set; }
        public string? PolicyDomain { get; internal set; }
        public ResultList<string> PolicyStrings { get; internal set; } = ResultList<string>.Empty;
        /// <summary>mx-host (the MX host patterns of the policy).</summary>
        public ResultList<string> MxHost { get; internal set; } = ResultList<string>.Empty;
        public long SuccessfulSessionCount { get; internal set; }
        public long FailedSessionCount { get; internal set; }
        public ResultList<TlsRptFailureDetail> FailureDetails { get; internal set; } = ResultList<TlsRptFailureDetail>.Empty;

        /// <summary>Which report (one parse of one report document) the row belongs to: rows of one report share it.</summary>
        internal long ReportSerial { get; set; }

        public override string ToString() => $"{OrganizationName} {PolicyType} {PolicyDomain}: {SuccessfulSessionCount} ok, {FailedSessionCount} failed";
    }

    /// <summary>Reads RFC 8460 SMTP TLS reports: .json, .json.gz, and e-mail messages carrying application/tlsrpt+json or
    /// application/tlsrpt+gzip parts (as .eml or in an mbox).</summary>
    public static class TlsRptReportReader
    {
        /// <summary>Rows (<see cref="TlsRptPolicyRow"/>) and problems (<see cref="ReportImportProblem"/>), in file order.</summary>
        public static IEnumerable<object> ReadFile(string path, ReportImportOptions? options = null, CancellationToken cancellationToken = default)
        {
            var full = Path.GetFullPath(path);
            var opts = options ?? new ReportImportOptions();
            return new ReportContainerReader(full, PayloadKind.Json, "SMTP TLS report", (s, entry) => Parse(s, full, entry, opts, cancellationToken), opts, cancellationToken).Read();
        }

        /// <summary>The same for one message's bytes (read from a mailbox); <paramref name="source"/> names it in rows and problems.</summary>
        public static IEnumerable<object> ReadStream(Stream stream, string source, ReportImportOptions? options = null, CancellationToken cancellationToken = default)
        {
            var opts = options ?? new ReportImportOptions();
            return new ReportContainerReader(stream, source, PayloadKind.Json, "SMTP TLS report", (s, entry) => Parse(s, source, entry, opts, cancellationToken), opts, cancellationToken).Read();
        }

        /// <summary>The largest SMTP TLS report read (after decompression), 16 MiB: real reports are a few KB to a few
        /// hundred KB. Larger JSON is refused as TooLarge before it is parsed further.</summary>
        public const long MaxJsonBytes = 16L << 20;

        /// <summary>The most JSON values (objects, arrays, strings, numbers...) in one report: 250,000 (a report with 25,000 failure-details fits).</summary>
        public const long MaxJsonValues = 250_000;

        /// <summary>The longest JSON string in a report: 1 Mi characters.</summary>
        public const int MaxJsonStringChars = 1 << 20;

        internal static IEnumerable<object> Parse(Stream stream, string file, string? entry, ReportImportOptions options, CancellationToken ct = default)
        {
            var limit = Math.Min(options.MaxDecompressedBytes, MaxJsonBytes);
            object? parsed;
            var capped = new JsonByteCap(stream, limit, ct);
            using (var reader = new StreamReader(capped, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: 16384, leaveOpen: true))
            {
                try
                {
                    parsed = MiniJson.Parse(reader, new JsonLimits { MaxValues = MaxJsonValues, MaxStringChars = MaxJsonStringChars });
                }
                catch (JsonLimitException ex)
                {
                    throw new ReportFormatException(ReportProblemKind.TooLarge, $"is too large for an SMTP TLS report: {ex.Message}", ex);
                }
                catch (DecoderFallbackException ex)
                {
                    throw new ReportFormatException(ReportProblemKind.Malformed, "is not valid UTF-8 JSON (RFC 8259 requires UTF-8)", ex);
                }
            }
            if (!(parsed is Dictionary<string, object> report))
                throw new ReportFormatException(ReportProblemKind.NotAReport, "is JSON but not an object, so not an SMTP TLS report");
            if (!report.ContainsKey("policies") || !report.ContainsKey("organization-name"))
                throw new ReportFormatException(ReportProblemKind.NotAReport, "is JSON but not an SMTP TLS report (no organization-name or policies)");
            var range = report.TryGetValue("date-range", out var r) ? r as Dictionary<string, object> : null;
            if (!(report["policies"] is List<object> policies))
                throw new ReportFormatException(ReportProblemKind.Malformed, "has a 'policies' member that is not an array");
            var rows = new List<object>();
            var serial = ReportSerials.Next();
            foreach (var item in policies)
            {
                if (!(item is Dictionary<string, object> pol)) throw new ReportFormatException(ReportProblemKind.Malformed, "has a policy that is not an object");
                var policy = Obj(pol, "policy");
                var summary = Obj(pol, "summary");
                var details = pol.TryGetValue("failure-details", out var fd) && fd is List<object> fl ? fl : new List<object>();
                rows.Add(new TlsRptPolicyRow
                {
                    ReportSerial = serial,
                    SourceFile = file,
                    SourceEntry = entry,
                    OrganizationName = Str(report, "organization-name"),
                    ContactInfo = Str(report, "contact-info"),
                    ReportId = Str(report, "report-id"),
                    BeginDate = Date(Str(range, "start-datetime"), "start-datetime"),
                    EndDate = Date(Str(range, "end-datetime"), "end-datetime"),
                    PolicyType = Str(policy, "policy-type"),
                    PolicyDomain = Str(policy, "policy-domain"),
                    PolicyStrings = new ResultList<string>(Strings(policy, "policy-string")),
                    MxHost = new ResultList<string>(Strings(policy, "mx-host").Concat(Strings(policy, "mx-host-pattern"))),
                    SuccessfulSessionCount = Num(summary, "total-successful-session-count"),
                    FailedSessionCount = Num(summary, "total-failure-session-count"),
                    FailureDetails = new ResultList<TlsRptFailureDetail>(details.OfType<Dictionary<string, object>>().Select(d => new TlsRptFailureDetail
                    {
                        ResultType = Str(d, "result-type"),
                        SendingMtaIP = Str(d, "sending-mta-ip"),
                        ReceivingMxHostname = Str(d, "receiving-mx-hostname"),
                        ReceivingMxHelo = Str(d, "receiving-mx-helo"),
                        ReceivingIP = Str(d, "receiving-ip"),
                        FailedSessionCount = Num(d, "failed-session-count"),
                        AdditionalInformation = Str(d, "additional-information"),
                        FailureReasonCode = Str(d, "failure-reason-code"),
                    })),
                });
            }
            if (rows.Count == 0) throw new ReportFormatException(ReportProblemKind.Malformed, "has no policies");
            return rows;
        }

        private static Dictionary<string, object>? Obj(Dictionary<string, object>? d, string key) =>
            d != null && d.TryGetValue(key, out var v) ? v as Dictionary<string, object> : null;

        private static string? Str(Dictionary<string, object>? d, string key)
        {
            if (d == null || !d.TryGetValue(key, out var v) || v == null) return null;
            return v is string s ? s : Convert.ToString(v, CultureInfo.InvariantCulture);
        }

        private static IEnumerable<string> Strings(Dictionary<string, object>? d, string key)
        {
            if (d == null || !d.TryGetValue(key, out var v) || v == null) return Enumerable.Empty<string>();
            if (v is List<object> l) return l.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture));
            return new[] { Convert.ToString(v, CultureInfo.InvariantCulture) };
        }

        /// <summary>2^53: the largest count a JSON number carries exactly in every parser.</summary>
        private const double MaxExactCount = 9007199254740992d;

        /// <summary>A session count (RFC 8460 §4.3: a non-negative integer): anything else makes the report malformed.</summary>
        private static long Num(Dictionary<string, object>? d, string key)
        {
            if (d == null || !d.TryGetValue(key, out var v) || v == null) return 0;
            switch (v)
            {
                case long l when l >= 0: return l;
                case double x when !double.IsNaN(x) && !double.IsInfinity(x) && x >= 0 && x <= MaxExactCount && Math.Floor(x) == x: return (long)x;
                case string s when long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p): return p;
                case long _:
                case double _:
                    throw new ReportFormatException(ReportProblemKind.Malformed,
                        $"has a {key} of {Convert.ToString(v, CultureInfo.InvariantCulture)}, which is not a count (a whole number from 0 to 2^53)");
                default: throw new ReportFormatException(ReportProblemKind.Malformed, $"has a {key} that is not a number");
            }
        }

        /// <summary>Counts the bytes read and refuses the document past the JSON size limit; checks Ctrl+C as it reads.</summary>
        private sealed class JsonByteCap : ReadOnlyStream
        {
            private readonly Stream _inner;
            private readonly long _max;
            private readonly CancellationToken _ct;
            private long _read;

            public JsonByteCap(Stream inner, long max, CancellationToken ct)
            {
                _inner = inner;
                _max = max;
                _ct = ct;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                _ct.ThrowIfCancellationRequested();
                var n = _inner.Read(buffer, offset, count);
                _read += n;
                if (_read > _max)
                    throw new ReportFormatException(ReportProblemKind.TooLarge,
                        $"is larger than {_max:N0} bytes, the limit for an SMTP TLS report (real reports are a few KB)");
                return n;
            }
        }

        private static DateTime? Date(string? s, string what)
        {
            if (s == null) return null;
            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)) return d.UtcDateTime;
            throw new ReportFormatException(ReportProblemKind.Malformed, $"has a date-range {what} '{s}' that is not an RFC 3339 date");
        }
    }
}
