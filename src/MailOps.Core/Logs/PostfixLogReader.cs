using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using MailOps.Bounces;

namespace MailOps.Logs
{
    /// <summary>How log lines carry their timestamps.</summary>
    public enum MailLogFormat
    {
        /// <summary>Decided per line: JSON object, RFC 5424 / ISO 8601, or RFC 3164.</summary>
        Auto,
        /// <summary>RFC 3164 "Nov  2 10:15:02 host prog[pid]: msg" (no year: inferred).</summary>
        Syslog,
        /// <summary>RFC 5424 or rsyslog's high-precision ISO 8601 "2026-11-02T10:15:02.123+00:00 host prog[pid]: msg".</summary>
        Rfc5424,
        /// <summary>journalctl -o json: one JSON object per line (MESSAGE, SYSLOG_IDENTIFIER, __REALTIME_TIMESTAMP ...).</summary>
        JournalJson,
    }

    /// <summary>One recipient delivery attempt, joined from the smtpd/cleanup/qmgr/smtp lines of one queue id.</summary>
    public sealed class MailDeliveryRecord
    {
        internal MailDeliveryRecord(DateTimeOffset? time, string? host, string process, string queueId, string? messageId, string? from, string? to,
            string? originalTo, string? relay, string? relayHost, string? relayIp, int? relayPort, string status, string? dsn, double? delay,
            double? delayBeforeQueue, double? delayInQueue, double? delayConnect, double? delayTransmit, string? reply, DeliveryClassification? c,
            string? client, int? size, int? nrcpt)
        {
            Time = time; Host = host; Process = process; QueueId = queueId; MessageId = messageId; From = from; To = to; OriginalTo = originalTo;
            Relay = relay; RelayHost = relayHost; RelayIP = relayIp; RelayPort = relayPort; Status = status; Dsn = dsn; Delay = delay;
            DelayBeforeQueue = delayBeforeQueue; DelayInQueue = delayInQueue; DelayConnect = delayConnect; DelayTransmit = delayTransmit;
            Reply = reply; Client = client; Size = size; Recipients = nrcpt;
            // Only a final refusal proves an address bad: Postfix retries a deferral, and an expiry ends on a 4xx reply,
            // even when its wording ("Recipient address rejected: Greylisted") reads like an unknown user.
            Reason = c?.Reason; HardBounce = status == "bounced" && (c?.HardBounce ?? false); Deliverability = c?.Deliverability ?? false; Provider = c?.Provider;
            Blocklist = c?.Blocklist; Remedy = c?.Remedy; RemedyCommand = c?.RemedyCommand;
        }

        public DateTimeOffset? Time { get; }
        public string? Host { get; }
        /// <summary>The Postfix program that logged the attempt (smtp, lmtp, local, virtual, error, qmgr for expiry).</summary>
        public string Process { get; }
        public string QueueId { get; }
        public string? MessageId { get; }
        public string? From { get; }
        public string? To { get; }
        public string? OriginalTo { get; }
        /// <summary>The relay as logged: "mx.example.org[192.0.2.10]:25", "local", "none".</summary>
        public string? Relay { get; }
        public string? RelayHost { get; }
        public string? RelayIP { get; }
        public int? RelayPort { get; }
        /// <summary>sent, deferred, bounced or expired.</summary>
        public string Status { get; }
        public string? Dsn { get; }
        /// <summary>Seconds from arrival to this attempt's end (Postfix delay=).</summary>
        public double? Delay { get; }
        /// <summary>delays=a/b/c/d: before the queue manager, in the queue, connection set-up, transmission.</summary>
        public double? DelayBeforeQueue { get; }
        public double? DelayInQueue { get; }
        public double? DelayConnect { get; }
        public double? DelayTransmit { get; }
        /// <summary>The text in parentheses after status= (the remote reply or Postfix's explanation).</summary>
        public string? Reply { get; }
        /// <summary>The client that submitted the message (smtpd client=), when logged.</summary>
        public string? Client { get; }
        public int? Size { get; }
        public int? Recipients { get; }
        /// <summary>The classifier's reason for deferred/bounced/expired attempts; null for sent.</summary>
        public string? Reason { get; }
        /// <summary>The classifier's hard-bounce verdict (stop sending to the address), for bounced records only: never for
        /// a deferral or an expiry, whose last answer was temporary.</summary>
        public bool HardBounce { get; }
        public bool Deliverability { get; }
        public string? Provider { get; }
        public string? Blocklist { get; }
        public string? Remedy { get; }
        public string? RemedyCommand { get; }

        public override string ToString() => $"{QueueId} {To} {Status} {Dsn}";
    }

    /// <summary>Options of one read.</summary>
    public sealed class MailLogReadOptions
    {
        public MailLogFormat Format { get; set; } = MailLogFormat.Auto;
        public DateTimeOffset? Since { get; set; }
        public DateTimeOffset? Until { get; set; }
        /// <summary>For RFC 3164 lines (no year): the time the log was last written (file mtime, or now). A line dated
        /// after this plus a day belongs to the previous year, so a log spanning New Year reads right.</summary>
        public DateTimeOffset YearReference { get; set; } = DateTimeOffset.Now;
        /// <summary>The most queue ids kept open at once; beyond it the oldest is forgotten (bounded memory). Default 200,000.</summary>
        public int MaxOpenQueueIds { get; set; } = 200_000;
    }

    /// <summary>
    /// Reads Postfix logs as they exist: syslog files (RFC 3164 with year inference, RFC 5424 / ISO timestamps),
    /// journalctl JSON, gzip-rotated files, or lines handed in one by one. Lines are joined by queue id into one
    /// <see cref="MailDeliveryRecord"/> per recipient delivery attempt, classified by <see cref="DeliveryFailureClassifier"/>.
    /// Streaming: memory is bounded by the open queue ids, not by the log's size.
    /// </summary>
    public sealed class PostfixLogReader
    {
        private sealed class Queue
        {
            public string? From, MessageId, Client;
            public int? Size, Nrcpt;
            public Dictionary<string, MailDeliveryRecord>? Deferred;
            public LinkedListNode<string>? Node;
        }

        private readonly MailLogReadOptions _options;
        private readonly Dictionary<string, Queue> _queues = new Dictionary<string, Queue>(StringComparer.Ordinal);
        private readonly LinkedList<string> _order = new LinkedList<string>();
        private readonly Dictionary<string, DeliveryClassification> _classified = new Dictionary<string, DeliveryClassification>(StringComparer.Ordinal);
        private int _lastMonth = -1;
        private int _yearShift;

        public PostfixLogReader(MailLogReadOptions? options = null) => _options = options ?? new MailLogReadOptions();

        /// <summary>Lines read so far (for statistics and benchmarks).</summary>
        public long Lines { get; private set; }

        /// <summary>Lines that were not Postfix lines or not understood.</summary>
        public long Skipped { get; private set; }

        /// <summary>Opens a log file (gzip by its magic bytes, whatever the name) and reads it. A gzip file cut short or
        /// damaged (its trailer's CRC-32 and length do not match what it decompressed to) throws
        /// <see cref="InvalidDataException"/> after the records read up to the cut.</summary>
        public IEnumerable<MailDeliveryRecord> ReadFile(string path, CancellationToken ct = default)
        {
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan))
            {
                var head = new byte[2];
                var n = fs.Read(head, 0, 2);
                fs.Position = 0;
                var gzip = n == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GzipIntegrity() : null;
                Stream s = gzip != null ? gzip.Uncompressed(new GZipStream(gzip.Compressed(fs), CompressionMode.Decompress)) : (Stream)fs;
                using (var reader = new StreamReader(s, new UTF8Encoding(false), false, 1 << 16))
                {
                    string line;
                    while ((line = reader.ReadLine()) != null)
                    {
                        ct.ThrowIfCancellationRequested();
                        foreach (var r in ReadLine(line)) yield return r;
                    }
                    // A rotation cut short reads quietly to its cut: the gzip trailer says whether the file is whole.
                    gzip?.Verify(path);
                }
            }
        }

        // ---- line parsing ---------------------------------------------------------------------------------------------

        private static readonly Regex Rfc3164 = new Regex(@"^(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?<day>\d{1,2}) (?<time>\d\d:\d\d:\d\d) (?<host>\S+) (?<prog>[^\[: ]+)(?:\[(?<pid>\d+)\])?: (?<msg>.*)$", RegexOptions.Compiled | RegexOptions.CultureInvariant);
        private static readonly Regex Rfc5424 = new Regex(@"^(?:<\d+>1 )?(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (?<host>\S+) (?<prog>[^\[: ]+)(?:\[(?<pid>\d+)\]| (?<pid2>\d+|-) \S+ (?:-|\[.*?\]))?:? (?<msg>.*)$", RegexOptions.Compiled | RegexOptions.CultureInvariant);
        private static readonly Regex QueueLine = new Regex(@"^(?<id>[0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): (?<rest>.*)$", RegexOptions.Compiled);
        private static readonly Regex Field = new Regex(@"(?<k>[a-z_-]+)=(?:<(?<v>[^>]*)>|(?<v>[^,\s]*))", RegexOptions.Compiled);
        private static readonly string[] Months = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

        /// <summary>Reads one line; yields the delivery records it completes.</summary>
        public IEnumerable<MailDeliveryRecord> ReadLine(string line)
        {
            Lines++;
            if (Strings.IsNullOrEmpty(line)) { Skipped++; return Array.Empty<MailDeliveryRecord>(); }
            DateTimeOffset? time;
            string? host, prog, msg;
            if (!Split(line, out time, out host, out prog, out msg)) { Skipped++; return Array.Empty<MailDeliveryRecord>(); }
            if (prog.IndexOf("postfix", StringComparison.OrdinalIgnoreCase) < 0) { Skipped++; return Array.Empty<MailDeliveryRecord>(); }
            if (time.HasValue && ((_options.Since.HasValue && time < _options.Since) || (_options.Until.HasValue && time >= _options.Until)))
                return Array.Empty<MailDeliveryRecord>();
            return Handle(time, host, prog.Substring(prog.LastIndexOf('/') + 1), msg);
        }

        private bool Split(string line, out DateTimeOffset? time, out string? host, [NotNullWhen(true)] out string? prog, [NotNullWhen(true)] out string? msg)
        {
            time = null; host = prog = msg = null;
            var format = _options.Format;
            var c = line[0];
            if (format == MailLogFormat.JournalJson || (format == MailLogFormat.Auto && c == '{'))
                return Journal(line, out time, out host, out prog, out msg);
            if (format == MailLogFormat.Rfc5424 || (format == MailLogFormat.Auto && (char.IsDigit(c) || c == '<')))
            {
                var m = Rfc5424.Match(line);
                if (!m.Success) return false;
                if (DateTimeOffset.TryParse(m.Groups["ts"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var t)) time = t;
                host = m.Groups["host"].Value; prog = m.Groups["prog"].Value; msg = m.Groups["msg"].Value;
                return true;
            }
            var s = Rfc3164.Match(line);
            if (!s.Success) return false;
            var month = Array.IndexOf(Months, s.Groups["mon"].Value) + 1;
            time = InferYear(month, int.Parse(s.Groups["day"].Value, CultureInfo.InvariantCulture), TimeSpan.Parse(s.Groups["time"].Value, CultureInfo.InvariantCulture));
            host = s.Groups["host"].Value; prog = s.Groups["prog"].Value; msg = s.Groups["msg"].Value;
            return true;
        }

        /// <summary>RFC 3164 has no year. The first line takes the reference's year, or the year before when it would
        /// otherwise lie more than a day after the reference; after that, a month going backwards (Dec → Jan) starts a new year.</summary>
        private DateTimeOffset? InferYear(int month, int day, TimeSpan tod)
        {
            var reference = _options.YearReference;
            if (_lastMonth < 0)
            {
                var candidate = Make(reference.Year, month, day, tod, reference.Offset);
                _yearShift = candidate.HasValue && candidate.Value > reference.AddDays(1) ? -1 : 0;
                // A log that crosses New Year: lines before it belong to the year before the reference.
            }
            else if (month < _lastMonth && _lastMonth - month > 6) _yearShift++;
            _lastMonth = month;
            return Make(reference.Year + _yearShift, month, day, tod, reference.Offset);
        }

        private static DateTimeOffset? Make(int year, int month, int day, TimeSpan tod, TimeSpan offset)
        {
            if (day > DateTime.DaysInMonth(year, month)) return null;
            return new DateTimeOffset(year, month, day, 0, 0, 0, offset).Add(tod);
        }

        private static bool Journal(string line, out DateTimeOffset? time, out string? host, [NotNullWhen(true)] out string? prog, [NotNullWhen(true)] out string? msg)
        {
            time = null; host = prog = msg = null;
            Dictionary<string, object?>? o;
            try { o = MiniJson.Parse(line) as Dictionary<string, object?>; }
            catch (FormatException) { return false; }
            if (o == null) return false;
            msg = o.TryGetValue("MESSAGE", out var m) ? m as string : null;
            prog = o.TryGetValue("SYSLOG_IDENTIFIER", out var p) ? p as string : null;
            host = o.TryGetValue("_HOSTNAME", out var h) ? h as string : null;
            if (o.TryGetValue("__REALTIME_TIMESTAMP", out var ts) && long.TryParse(Convert.ToString(ts, CultureInfo.InvariantCulture), out var us))
                time = DateTimeOffset.FromUnixTimeMilliseconds(us / 1000);
            return msg != null && prog != null;
        }

        private IEnumerable<MailDeliveryRecord> Handle(DateTimeOffset? time, string? host, string proc, string msg)
        {
            var q = QueueLine.Match(msg);
            if (!q.Success) return Array.Empty<MailDeliveryRecord>();
            var id = q.Groups["id"].Value;
            var rest = q.Groups["rest"].Value;
            if (rest == "removed")
            {
                Forget(id);
                return Array.Empty<MailDeliveryRecord>();
            }
            // The reply text is in the last parentheses after status=; fields are before it.
            string? reply = null, fieldsPart = rest;
            var st = rest.IndexOf(" status=", StringComparison.Ordinal);
            if (st >= 0)
            {
                var paren = rest.IndexOf(" (", st, StringComparison.Ordinal);
                if (paren >= 0 && rest.EndsWith(")", StringComparison.Ordinal))
                {
                    reply = rest.Substring(paren + 2, rest.Length - paren - 3);
                    fieldsPart = rest.Substring(0, paren);
                }
            }
            var f = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match m in Field.Matches(fieldsPart))
                if (!f.ContainsKey(m.Groups["k"].Value)) f[m.Groups["k"].Value] = m.Groups["v"].Value;

            var queue = Get(id);
            if (proc == "cleanup" && f.TryGetValue("message-id", out var mid)) queue.MessageId = "<" + mid + ">"; // as in the header, like Import-MailBounce's OriginalMessageId
            if (proc == "smtpd" && f.TryGetValue("client", out var client)) queue.Client = client;
            if (proc == "pickup" && f.TryGetValue("uid", out _) && f.TryGetValue("from", out var pf)) queue.From = pf;
            if (proc == "qmgr")
            {
                if (f.TryGetValue("from", out var from)) queue.From = from;
                if (f.TryGetValue("size", out var size) && int.TryParse(size, out var sz)) queue.Size = sz;
                if (f.TryGetValue("nrcpt", out var nr) && int.TryParse(nr, out var n)) queue.Nrcpt = n;
                if (f.TryGetValue("status", out var qs) && qs == "expired")
                    return Expired(queue, id, time, host, reply);
                return Array.Empty<MailDeliveryRecord>();
            }
            if (!f.TryGetValue("to", out var to) || !f.TryGetValue("status", out var status)) return Array.Empty<MailDeliveryRecord>();
            f.TryGetValue("relay", out var relay);
            ParseRelay(relay, out var rhost, out var rip, out var rport);
            f.TryGetValue("dsn", out var dsn);
            double?[] delays = { null, null, null, null };
            if (f.TryGetValue("delays", out var ds))
            {
                var parts = ds.Split('/');
                for (int i = 0; i < parts.Length && i < 4; i++) delays[i] = Num(parts[i]);
            }
            f.TryGetValue("orig_to", out var orig);
            DeliveryClassification? c = null;
            if (status != "sent")
            {
                // Logs repeat the same replies many times: classify each (reply, status, relay, recipient domain) once.
                var at = to.LastIndexOf('@');
                var key = string.Concat(status, "\u0001", dsn, "\u0001", rhost, "\u0001", at >= 0 ? to.Substring(at) : "", "\u0001", reply);
                if (!_classified.TryGetValue(key, out c))
                {
                    c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput
                    {
                        Status = dsn,
                        ReplyCode = ReplyCode(reply),
                        Text = reply,
                        RemoteHost = rhost,
                        Recipient = to,
                        Action = status == "deferred" ? "delayed" : "failed",
                    });
                    if (_classified.Count >= 20_000) _classified.Clear();
                    _classified[key] = c;
                }
            }
            var record = new MailDeliveryRecord(time, host, proc, id, queue.MessageId, queue.From, to, orig, relay, rhost, rip, rport, status, dsn,
                f.TryGetValue("delay", out var d) ? Num(d) : null, delays[0], delays[1], delays[2], delays[3], reply, c, queue.Client, queue.Size, queue.Nrcpt);
            if (status == "deferred")
            {
                queue.Deferred = queue.Deferred ?? new Dictionary<string, MailDeliveryRecord>(StringComparer.OrdinalIgnoreCase);
                queue.Deferred[to] = record;
            }
            else queue.Deferred?.Remove(to);
            return new[] { record };
        }

        /// <summary>qmgr "status=expired, returned to sender": one expired record per recipient still deferred, with its last reply.</summary>
        private IEnumerable<MailDeliveryRecord> Expired(Queue queue, string id, DateTimeOffset? time, string? host, string? reply)
        {
            if (queue.Deferred == null || queue.Deferred.Count == 0)
                return new[] { new MailDeliveryRecord(time, host, "qmgr", id, queue.MessageId, queue.From, null, null, null, null, null, null, "expired", null, null,
                    null, null, null, null, reply, DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Text = reply, Action = "failed", Status = "4.4.7" }),
                    queue.Client, queue.Size, queue.Nrcpt) };
            var list = new List<MailDeliveryRecord>();
            foreach (var last in queue.Deferred.Values)
            {
                var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput
                {
                    Status = last.Dsn, ReplyCode = ReplyCode(last.Reply), Text = last.Reply, RemoteHost = last.RelayHost, Recipient = last.To, Action = "failed",
                });
                list.Add(new MailDeliveryRecord(time, host, "qmgr", id, queue.MessageId, queue.From, last.To, last.OriginalTo, last.Relay, last.RelayHost,
                    last.RelayIP, last.RelayPort, "expired", last.Dsn, last.Delay, last.DelayBeforeQueue, last.DelayInQueue, last.DelayConnect, last.DelayTransmit,
                    last.Reply, c, queue.Client, queue.Size, queue.Nrcpt));
            }
            queue.Deferred.Clear();
            return list;
        }

        private static readonly Regex CodeInReply = new Regex(@"said: (?<c>[245]\d\d)[ -]|^(?<c>[245]\d\d)[ -]", RegexOptions.Compiled);

        private static int ReplyCode(string? reply)
        {
            if (reply == null) return 0;
            var m = CodeInReply.Match(reply);
            return m.Success ? int.Parse(m.Groups["c"].Value, CultureInfo.InvariantCulture) : 0;
        }

        private static double? Num(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null;

        private static readonly Regex RelayRx = new Regex(@"^(?<h>[^\[]+)\[(?<ip>[^\]]*)\](?::(?<p>\d+))?$", RegexOptions.Compiled);

        private static void ParseRelay(string? relay, out string? host, out string? ip, out int? port)
        {
            host = relay; ip = null; port = null;
            if (relay == null) return;
            var m = RelayRx.Match(relay);
            if (!m.Success) return;
            host = m.Groups["h"].Value;
            ip = m.Groups["ip"].Value;
            if (m.Groups["p"].Success) port = int.Parse(m.Groups["p"].Value, CultureInfo.InvariantCulture);
        }

        private Queue Get(string id)
        {
            if (_queues.TryGetValue(id, out var q)) return q;
            q = new Queue();
            _queues[id] = q;
            q.Node = _order.AddLast(id);
            while (_queues.Count > _options.MaxOpenQueueIds && _order.First != null)
            {
                _queues.Remove(_order.First.Value);
                _order.RemoveFirst();
            }
            return q;
        }

        private void Forget(string id)
        {
            if (_queues.TryGetValue(id, out var q))
            {
                _queues.Remove(id);
                _order.Remove(q.Node);
            }
        }

        /// <summary>Queue ids currently open (messages seen but not yet removed).</summary>
        public int OpenQueueIds => _queues.Count;
    }
}
