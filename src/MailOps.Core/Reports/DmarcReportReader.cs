using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Xml;

namespace MailOps.Reports
{
    /// <summary>
    /// Reads DMARC aggregate reports (RFC 7489 appendix C, RFC 9990) from any file MailOps recognises, streaming: each
    /// &lt;record&gt; becomes a <see cref="DmarcReportRow"/> as soon as it has been read, so memory stays flat however big
    /// the report. XML with a DTD is refused.
    /// </summary>
    public static class DmarcReportReader
    {
        /// <summary>The RFC 9990 namespace.</summary>
        public const string Rfc9990Namespace = "urn:ietf:params:xml:ns:dmarc-2.0";

        /// <summary>Rows (<see cref="DmarcReportRow"/>) and problems (<see cref="ReportImportProblem"/>), in file order.</summary>
        public static IEnumerable<object> ReadFile(string path, ReportImportOptions? options = null, CancellationToken cancellationToken = default)
        {
            var full = Path.GetFullPath(path);
            return new ReportContainerReader(full, PayloadKind.Xml, "DMARC aggregate report",
                (s, entry) => Parse(s, full, entry, cancellationToken), options, cancellationToken).Read();
        }

        /// <summary>The same for one message's bytes (read from a mailbox); <paramref name="source"/> names it in rows and problems.</summary>
        public static IEnumerable<object> ReadStream(Stream stream, string source, ReportImportOptions? options = null, CancellationToken cancellationToken = default) =>
            new ReportContainerReader(stream, source, PayloadKind.Xml, "DMARC aggregate report",
                (s, entry) => Parse(s, source, entry, cancellationToken), options, cancellationToken).Read();

        internal static XmlReaderSettings SafeSettings() => new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CloseInput = false,
            MaxCharactersFromEntities = 1024,
        };

        private sealed class Head
        {
            public string? Namespace, Version, OrgName, Email, Extra, ReportId, Generator;
            public DateTime? Begin, End;
            public List<string> Errors = new List<string>();
            public string? Domain, Adkim, Aspf, P, Sp, Np, Pct, Fo, Testing, Discovery;
            public bool Rfc9990Elements;
            public ResultList<string>? ErrorList;
            public readonly long Serial = ReportSerials.Next();

            /// <summary>The values the rows read so far share; dropped when the report says more about itself (a
            /// version, metadata or policy after a record), so rows already read keep what they had.</summary>
            public DmarcReportRow.ReportValues? Values;
        }

        /// <summary>The most characters one field (the text of one element) may have: 64 KiB. A longer value makes the
        /// file (or member) a <see cref="ReportProblemKind.TooLarge"/> problem; the value is never read whole.</summary>
        public const int MaxFieldLength = 64 * 1024;

        /// <summary>Parses one aggregate report from a stream, yielding a row per &lt;record&gt;.</summary>
        internal static IEnumerable<object> Parse(Stream stream, string file, string? entry, CancellationToken ct)
        {
            var reader = XmlReader.Create(stream, SafeSettings());
            try
            {
                reader.MoveToContent();
                if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "feedback")
                    throw new ReportFormatException(ReportProblemKind.NotAReport,
                        $"is XML but not a DMARC aggregate report (its root element is <{reader.Name}>, not <feedback>)");
                var head = new Head { Namespace = Strings.IsNullOrEmpty(reader.NamespaceURI) ? null : reader.NamespaceURI };
                if (reader.IsEmptyElement) throw new ReportFormatException(ReportProblemKind.Malformed, "has an empty <feedback> element (no records)");
                var x = new FieldReader(reader);
                reader.Read();
                long rows = 0;
                while (!reader.EOF)
                {
                    if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1)
                    {
                        switch (reader.LocalName)
                        {
                            case "version": head.Version = x.Text(); head.Values = null; continue;
                            case "report_metadata": ReadMetadata(head, x); head.Values = null; continue;
                            case "policy_published": ReadPolicy(head, x); head.Values = null; continue;
                            case "record":
                                ct.ThrowIfCancellationRequested();
                                var row = ReadRecord(head, x, file, entry);
                                rows++;
                                yield return row;
                                continue;
                            default: reader.Skip(); continue;
                        }
                    }
                    reader.Read();
                }
                if (rows == 0) throw new ReportFormatException(ReportProblemKind.Malformed, "has no <record> element (no rows to import)");
            }
            finally { reader.Dispose(); }
        }

        /// <summary>
        /// One forward pass over an element's children, as the XElement reader read them: a field is the first child
        /// element of that name (later ones are skipped), its value all the text inside it, trimmed, null when empty.
        /// Text is read in chunks and refused past <see cref="MaxFieldLength"/>, so a huge text node is never held whole.
        /// </summary>
        private sealed class FieldReader
        {
            private readonly XmlReader _r;
            private char[] _buf = new char[4096];
            private int _len;
            private readonly bool _chunked;

            /// <summary>The last value read per <see cref="Slot"/>: a record repeating the previous record's value (the
            /// same header_from, selector, envelope domains...) gets the same string instead of a new copy.</summary>
            private readonly string[] _last = new string[(int)Slot.Count * Recent];

            /// <summary>How many recent values are remembered per slot (a report's few selectors, dispositions...).</summary>
            private const int Recent = 4;

            public FieldReader(XmlReader reader)
            {
                _r = reader;
                _chunked = reader.CanReadValueChunk;
            }

            public XmlReader R => _r;

            /// <summary>The record being read (one per report, cleared for each).</summary>
            public readonly Record Record = new Record();

            /// <summary>On a start element: steps inside. False (and past it) when it is empty.</summary>
            public bool Enter()
            {
                if (_r.IsEmptyElement) { _r.Read(); return false; }
                _r.Read();
                return true;
            }

            /// <summary>Inside an element: moves to its next child element (true) or past its end tag (false).</summary>
            public bool NextChild()
            {
                while (true)
                {
                    switch (_r.NodeType)
                    {
                        case XmlNodeType.Element: return true;
                        case XmlNodeType.EndElement: _r.Read(); return false;
                        case XmlNodeType.None: return false; // end of input: the reader reports the error
                        default: _r.Read(); break;
                    }
                }
            }

            public void Skip() => _r.Skip();

            /// <summary>On a start element: its text (all text inside it), trimmed, or null; moves past it.</summary>
            public string? Text(Slot slot = Slot.None) => Read(slot, false);

            /// <summary>Like <see cref="Text"/>, lower-cased (result words).</summary>
            public string? Word(Slot slot = Slot.None) => Read(slot, true);

            /// <summary>On a start element: collects all text inside it into the buffer and moves past it, and gives the
            /// span of that text, trimmed (length 0 when there is none).</summary>
            private void Collect(out int start, out int length)
            {
                start = length = 0;
                var name = _r.LocalName;
                if (_r.IsEmptyElement) { _r.Read(); return; }
                var depth = _r.Depth;
                _len = 0;
                _r.Read();
                while (!(_r.NodeType == XmlNodeType.EndElement && _r.Depth == depth) && !_r.EOF)
                {
                    switch (_r.NodeType)
                    {
                        case XmlNodeType.Text:
                        case XmlNodeType.CDATA:
                        case XmlNodeType.Whitespace:
                        case XmlNodeType.SignificantWhitespace:
                            Append(name);
                            break;
                    }
                    _r.Read();
                }
                _r.Read();
                int from = 0, end = _len;
                while (from < end && char.IsWhiteSpace(_buf[from])) from++;
                while (end > from && char.IsWhiteSpace(_buf[end - 1])) end--;
                start = from;
                length = end - from;
            }

            private string? Read(Slot slot, bool lower)
            {
                Collect(out var start, out var length);
                if (length == 0) return null;
                var end = start + length;
                if (lower)
                {
                    // ASCII is lower-cased in place (what ToLowerInvariant does to it); anything else as before.
                    for (var i = start; i < end; i++)
                    {
                        var c = _buf[i];
                        if (c >= 0x80) return new string(_buf, start, end - start).ToLowerInvariant();
                        if (c >= 'A' && c <= 'Z') _buf[i] = (char)(c + 32);
                    }
                    var word = KnownWord(_buf, start, end - start);
                    if (word != null) return word;
                }
                if (slot == Slot.None) return new string(_buf, start, end - start);
                var at = (int)slot * Recent;
                for (var i = at; i < at + Recent; i++)
                {
                    var seen = _last[i];
                    if (seen == null) break;
                    if (Same(seen, _buf, start, end - start)) return seen;
                }
                // Not among the slot's recent values: it becomes the newest, the oldest goes.
                Array.Copy(_last, at, _last, at + 1, Recent - 1);
                return _last[at] = new string(_buf, start, end - start);
            }

            /// <summary>On the start element of a row count: its value (digits only, as long.TryParse with
            /// NumberStyles.None reads them), without making a string of it; null with <paramref name="text"/> set when
            /// the element is empty (text null) or holds anything else (the text, for the caller to judge).</summary>
            public long? Number(out string? text)
            {
                text = null;
                Collect(out var start, out var length);
                if (length == 0) return null;
                if (length <= 18)
                {
                    long n = 0;
                    var digits = true;
                    for (var i = start; i < start + length && digits; i++)
                    {
                        var c = _buf[i];
                        if (c < '0' || c > '9') digits = false;
                        else n = n * 10 + (c - '0');
                    }
                    if (digits) return n;
                }
                text = new string(_buf, start, length);
                return null;
            }

            private void Append(string name)
            {
                if (!_chunked)
                {
                    var v = _r.Value;
                    if (_len + v.Length > MaxFieldLength) throw TooLong(name);
                    if (_len + v.Length > _buf.Length) Array.Resize(ref _buf, Math.Max(_len + v.Length, _buf.Length * 2));
                    v.CopyTo(0, _buf, _len, v.Length);
                    _len += v.Length;
                    return;
                }
                while (true)
                {
                    // The buffer grows to one character past the limit at most: a longer value is refused before it is read whole.
                    if (_len == _buf.Length) Array.Resize(ref _buf, Math.Min(_buf.Length * 2, MaxFieldLength + 1));
                    var n = _r.ReadValueChunk(_buf, _len, _buf.Length - _len);
                    if (n == 0) return;
                    _len += n;
                    if (_len > MaxFieldLength) throw TooLong(name);
                }
            }

            private static bool Same(string s, char[] buf, int start, int length)
            {
                if (s.Length != length) return false;
                for (var i = 0; i < length; i++)
                    if (s[i] != buf[start + i]) return false;
                return true;
            }

            /// <summary>The result words of a report, one string each for every row that says them.</summary>
            private static readonly string[] Words =
            {
                "pass", "fail", "none", "reject", "quarantine", "softfail", "neutral", "temperror", "permerror", "policy",
                "mfrom", "helo", "r", "s", "y", "n", "treewalk", "psl", "forwarded", "sampled_out", "trusted_forwarder",
                "mailing_list", "local_policy", "other",
            };

            private static string? KnownWord(char[] buf, int start, int length)
            {
                foreach (var w in Words)
                    if (w.Length == length && w[0] == buf[start] && Same(w, buf, start, length)) return w;
                return null;
            }

            private static ReportFormatException TooLong(string name) => new ReportFormatException(ReportProblemKind.TooLarge,
                $"has a <{name}> value longer than {MaxFieldLength:N0} characters (the limit for one field in a DMARC aggregate report)");
        }

        /// <summary>Record fields whose value is often the previous record's (see FieldReader).</summary>
        private enum Slot
        {
            None = -1,
            HeaderFrom, EnvelopeFrom, EnvelopeTo, DkimDomain, DkimSelector, SpfDomain, Comment,
            Count,
        }

        private static void ReadMetadata(Head h, FieldReader x)
        {
            string? org = null, email = null, extra = null, id = null, generator = null, begin = null, end = null;
            bool seenOrg = false, seenEmail = false, seenExtra = false, seenId = false, seenGenerator = false, seenRange = false;
            var errors = new List<string>();
            if (x.Enter())
            {
                while (x.NextChild())
                {
                    switch (x.R.LocalName)
                    {
                        case "org_name" when !seenOrg: seenOrg = true; org = x.Text(); break;
                        case "email" when !seenEmail: seenEmail = true; email = x.Text(); break;
                        case "extra_contact_info" when !seenExtra: seenExtra = true; extra = x.Text(); break;
                        case "report_id" when !seenId: seenId = true; id = x.Text(); break;
                        case "generator" when !seenGenerator: seenGenerator = true; generator = x.Text(); break;
                        case "error":
                            var e = x.Text();
                            if (e != null) errors.Add(e);
                            break;
                        case "date_range" when !seenRange:
                            seenRange = true;
                            bool seenBegin = false, seenEnd = false;
                            if (x.Enter())
                            {
                                while (x.NextChild())
                                {
                                    switch (x.R.LocalName)
                                    {
                                        case "begin" when !seenBegin: seenBegin = true; begin = x.Text(); break;
                                        case "end" when !seenEnd: seenEnd = true; end = x.Text(); break;
                                        default: x.Skip(); break;
                                    }
                                }
                            }
                            break;
                        default: x.Skip(); break;
                    }
                }
            }
            h.OrgName = org;
            h.Email = email;
            h.Extra = extra;
            h.ReportId = id;
            h.Generator = generator;
            if (h.Generator != null) h.Rfc9990Elements = true;
            h.Begin = Epoch(begin, "begin");
            h.End = Epoch(end, "end");
            h.Errors = errors;
            h.ErrorList = null;
        }

        private static DateTime? Epoch(string? text, string what)
        {
            if (text == null) return null;
            var whole = text.Split('.')[0];
            if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var secs) || secs < -62135596800L || secs > 253402300799L)
                throw new ReportFormatException(ReportProblemKind.Malformed, $"has a date_range/{what} '{text}' that is not seconds since 1970");
            return DateTimeOffset.FromUnixTimeSeconds(secs).UtcDateTime;
        }

        private static void ReadPolicy(Head h, FieldReader x)
        {
            string? domain = null, adkim = null, aspf = null, p = null, sp = null, np = null, pct = null, fo = null, testing = null, discovery = null;
            int seen = 0; // one bit per field: the first element of a name counts
            bool Once(int bit) { if ((seen & bit) != 0) return false; seen |= bit; return true; }
            if (x.Enter())
            {
                while (x.NextChild())
                {
                    switch (x.R.LocalName)
                    {
                        case "domain" when Once(1): domain = x.Text(); break;
                        case "adkim" when Once(2): adkim = x.Word(); break;
                        case "aspf" when Once(4): aspf = x.Word(); break;
                        case "p" when Once(8): p = x.Word(); break;
                        case "sp" when Once(16): sp = x.Word(); break;
                        case "np" when Once(32): np = x.Word(); break;
                        case "pct" when Once(64): pct = x.Text(); break;
                        case "fo" when Once(128): fo = x.Text(); break;
                        case "testing" when Once(256): testing = x.Word(); break;
                        case "discovery_method" when Once(512): discovery = x.Word(); break;
                        default: x.Skip(); break;
                    }
                }
            }
            h.Domain = domain;
            h.Adkim = adkim;
            h.Aspf = aspf;
            h.P = p;
            h.Sp = sp;
            h.Np = np;
            h.Pct = pct;
            h.Fo = fo;
            h.Testing = testing;
            h.Discovery = discovery;
            if ((seen & (32 | 256 | 512)) != 0) h.Rfc9990Elements = true;
        }

        private static readonly ResultList<string> NoStrings = ResultList<string>.Empty;

        private static ResultList<string> List(List<string> items) => items == null || items.Count == 0 ? NoStrings : new ResultList<string>(items);

        /// <summary>What a &lt;record&gt; says, read in one pass. Only the first row, policy_evaluated, identifiers (or,
        /// without them, identities) and auth_results count, as before. One per report, cleared for each record.</summary>
        private sealed class Record
        {
            public string? SourceIP, Count, Disposition, PolicyDkim, PolicySpf; // Count: the text of a count that is not plain digits
            public long? CountValue;
            public bool SeenRow, SeenEvaluated, SeenAuth, SeenIdentifiers, SeenIdentities;
            public readonly List<string> ReasonTypes = new List<string>(), ReasonComments = new List<string>(),
                DkimDomains = new List<string>(), DkimSelectors = new List<string>(), DkimResults = new List<string>(),
                SpfDomains = new List<string>(), SpfScopes = new List<string>(), SpfResults = new List<string>();
            public readonly string?[] Identifiers = new string?[3], Identities = new string?[3]; // header_from, envelope_from, envelope_to

            /// <summary>The last four one-item lists made per column: a row with the same single value (the same string:
            /// see FieldReader's slots) shares one (a <see cref="ResultList{T}"/> is immutable).</summary>
            private readonly ResultList<string>[] _single = new ResultList<string>[8 * 4];

            public void Clear()
            {
                SourceIP = Count = Disposition = PolicyDkim = PolicySpf = null;
                CountValue = null;
                SeenRow = SeenEvaluated = SeenAuth = SeenIdentifiers = SeenIdentities = false;
                ReasonTypes.Clear(); ReasonComments.Clear();
                DkimDomains.Clear(); DkimSelectors.Clear(); DkimResults.Clear();
                SpfDomains.Clear(); SpfScopes.Clear(); SpfResults.Clear();
                Array.Clear(Identifiers, 0, 3);
                Array.Clear(Identities, 0, 3);
            }

            public ResultList<string> List(List<string> items, int column)
            {
                if (items.Count == 0) return NoStrings;
                if (items.Count > 1) return ResultList<string>.Wrap(items.ToArray());
                var at = column * 4;
                for (var i = at; i < at + 4; i++)
                {
                    var seen = _single[i];
                    if (seen == null) break;
                    if (ReferenceEquals(seen[0], items[0])) return seen;
                }
                Array.Copy(_single, at, _single, at + 1, 3);
                return _single[at] = ResultList<string>.Wrap(new[] { items[0] });
            }
        }

        private static DmarcReportRow ReadRecord(Head h, FieldReader x, string file, string? entry)
        {
            var rec = x.Record;
            rec.Clear();
            if (x.Enter())
            {
                while (x.NextChild())
                {
                    switch (x.R.LocalName)
                    {
                        case "row" when !rec.SeenRow: rec.SeenRow = true; ReadRow(rec, x); break;
                        case "identifiers" when !rec.SeenIdentifiers: rec.SeenIdentifiers = true; ReadIdentifiers(x, rec.Identifiers); break;
                        case "identities" when !rec.SeenIdentities: rec.SeenIdentities = true; ReadIdentifiers(x, rec.Identities); break;
                        case "auth_results" when !rec.SeenAuth: rec.SeenAuth = true; ReadAuth(rec, x); break;
                        default: x.Skip(); break;
                    }
                }
            }
            var count = rec.CountValue ?? 0;
            if (rec.Count != null && !long.TryParse(rec.Count, NumberStyles.None, CultureInfo.InvariantCulture, out count))
                throw new ReportFormatException(ReportProblemKind.Malformed, $"has a row count '{rec.Count}' that is not a whole number");
            var ids = rec.SeenIdentifiers ? rec.Identifiers : rec.Identities;
            var values = h.Values ??= new DmarcReportRow.ReportValues
            {
                ReportSerial = h.Serial,
                SourceFile = file,
                SourceEntry = entry,
                XmlSchema = h.Version ?? "draft",
                XmlNamespace = h.Namespace,
                IsRfc9990 = h.Namespace == Rfc9990Namespace || h.Rfc9990Elements,
                OrgName = h.OrgName,
                OrgEmail = h.Email,
                OrgExtraContactInfo = h.Extra,
                ReportId = h.ReportId,
                BeginDate = h.Begin,
                EndDate = h.End,
                ReportErrors = h.ErrorList ?? (h.ErrorList = List(h.Errors)),
                Generator = h.Generator,
                Domain = h.Domain,
                Adkim = h.Adkim,
                Aspf = h.Aspf,
                P = h.P,
                Sp = h.Sp,
                Np = h.Np,
                Pct = h.Pct,
                Fo = h.Fo,
                Testing = h.Testing,
                DiscoveryMethod = h.Discovery,
            };
            return new DmarcReportRow(values)
            {
                SourceIP = rec.SourceIP,
                Count = count,
                Disposition = rec.Disposition,
                PolicyDkim = rec.PolicyDkim,
                PolicySpf = rec.PolicySpf,
                PolicyOverrideReasons = rec.List(rec.ReasonTypes, 0),
                PolicyOverrideComments = rec.List(rec.ReasonComments, 1),
                HeaderFrom = ids[0],
                EnvelopeFrom = ids[1],
                EnvelopeTo = ids[2],
                DkimDomains = rec.List(rec.DkimDomains, 2),
                DkimSelectors = rec.List(rec.DkimSelectors, 3),
                DkimResults = rec.List(rec.DkimResults, 4),
                SpfDomains = rec.List(rec.SpfDomains, 5),
                SpfScopes = rec.List(rec.SpfScopes, 6),
                SpfResults = rec.List(rec.SpfResults, 7),
            };
        }

        private static void ReadRow(Record rec, FieldReader x)
        {
            bool seenIp = false, seenCount = false;
            if (!x.Enter()) return;
            while (x.NextChild())
            {
                switch (x.R.LocalName)
                {
                    case "source_ip" when !seenIp: seenIp = true; rec.SourceIP = x.Text(); break;
                    case "count" when !seenCount: seenCount = true; rec.CountValue = x.Number(out rec.Count); break;
                    case "policy_evaluated" when !rec.SeenEvaluated: rec.SeenEvaluated = true; ReadEvaluated(rec, x); break;
                    default: x.Skip(); break;
                }
            }
        }

        private static void ReadEvaluated(Record rec, FieldReader x)
        {
            bool seenDisposition = false, seenDkim = false, seenSpf = false;
            if (!x.Enter()) return;
            while (x.NextChild())
            {
                switch (x.R.LocalName)
                {
                    case "disposition" when !seenDisposition: seenDisposition = true; rec.Disposition = x.Word(); break;
                    case "dkim" when !seenDkim: seenDkim = true; rec.PolicyDkim = x.Word(); break;
                    case "spf" when !seenSpf: seenSpf = true; rec.PolicySpf = x.Word(); break;
                    case "reason":
                        string? type = null, comment = null;
                        bool seenType = false, seenComment = false;
                        if (x.Enter())
                        {
                            while (x.NextChild())
                            {
                                switch (x.R.LocalName)
                                {
                                    case "type" when !seenType: seenType = true; type = x.Word(); break;
                                    case "comment" when !seenComment: seenComment = true; comment = x.Text(Slot.Comment); break;
                                    default: x.Skip(); break;
                                }
                            }
                        }
                        rec.ReasonTypes.Add(type ?? "");
                        rec.ReasonComments.Add(comment ?? "");
                        break;
                    default: x.Skip(); break;
                }
            }
        }

        private static void ReadIdentifiers(FieldReader x, string?[] ids)
        {
            bool seenHeader = false, seenFrom = false, seenTo = false;
            if (!x.Enter()) return;
            while (x.NextChild())
            {
                switch (x.R.LocalName)
                {
                    case "header_from" when !seenHeader: seenHeader = true; ids[0] = x.Text(Slot.HeaderFrom); break;
                    case "envelope_from" when !seenFrom: seenFrom = true; ids[1] = x.Text(Slot.EnvelopeFrom); break;
                    case "envelope_to" when !seenTo: seenTo = true; ids[2] = x.Text(Slot.EnvelopeTo); break;
                    default: x.Skip(); break;
                }
            }
        }

        private static void ReadAuth(Record rec, FieldReader x)
        {
            if (!x.Enter()) return;
            while (x.NextChild())
            {
                var dkim = x.R.LocalName == "dkim";
                if (!dkim && x.R.LocalName != "spf") { x.Skip(); continue; }
                string? domain = null, second = null, result = null; // second: selector (dkim) or scope (spf)
                bool seenDomain = false, seenSecond = false, seenResult = false;
                var secondName = dkim ? "selector" : "scope";
                if (x.Enter())
                {
                    while (x.NextChild())
                    {
                        var n = x.R.LocalName;
                        if (n == "domain" && !seenDomain) { seenDomain = true; domain = x.Text(dkim ? Slot.DkimDomain : Slot.SpfDomain); }
                        else if (n == secondName && !seenSecond) { seenSecond = true; second = dkim ? x.Text(Slot.DkimSelector) : x.Word(); }
                        else if (n == "result" && !seenResult) { seenResult = true; result = x.Word(); }
                        else x.Skip();
                    }
                }
                if (dkim)
                {
                    rec.DkimDomains.Add(domain ?? "");
                    rec.DkimSelectors.Add(second ?? "");
                    rec.DkimResults.Add(result ?? "");
                }
                else
                {
                    rec.SpfDomains.Add(domain ?? "");
                    rec.SpfScopes.Add(second ?? "");
                    rec.SpfResults.Add(result ?? "");
                }
            }
        }
    }
}
