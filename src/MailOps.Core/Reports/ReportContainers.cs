using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Xml;
using MimeKit;

namespace MailOps.Reports
{
    /// <summary>Limits that keep a hostile file from exhausting memory, disk or time.</summary>
    public sealed class ReportImportOptions
    {
        /// <summary>The most bytes decompressed from one file (all gzip/zip members together). Default 1 GiB.</summary>
        public long MaxDecompressedBytes { get; set; } = 1L << 30;

        /// <summary>The most members one zip archive may have. Default 1000.</summary>
        public int MaxArchiveEntries { get; set; } = 1000;

        /// <summary>How deep containers may nest (mbox → message → zip → gzip ...). Default 5. Deeper nesting ends the
        /// whole file with one error.</summary>
        public int MaxNestingDepth { get; set; } = 5;

        /// <summary>The most zip members read from one file, all archives and nesting levels together. Default 10,000;
        /// beyond it the whole file ends with one error (nested zip bombs).</summary>
        public int MaxTotalEntries { get; set; } = 10_000;

        /// <summary>The most problems reported for one file; the rest are counted and reported as one. Default 100.</summary>
        public int MaxProblemsPerFile { get; set; } = 100;

        /// <summary>How many bytes of a nested archive or message (one that cannot be read in place) are held in memory;
        /// beyond it the copy goes to a temporary file that is deleted when closed. Default 4 MiB.</summary>
        public int MaxInMemoryCopyBytes { get; set; } = 4 << 20;
    }

    /// <summary>Why a file (or one member of it) could not be imported.</summary>
    public enum ReportProblemKind
    {
        /// <summary>The file has no content.</summary>
        Empty,
        /// <summary>The content is not a report of the kind asked for (not XML/gzip/zip/e-mail, or the wrong root element).</summary>
        NotAReport,
        /// <summary>The XML or JSON is not well-formed, or a value is not what the schema allows.</summary>
        Malformed,
        /// <summary>The XML has a DTD (DOCTYPE): refused, so no entity is expanded and nothing is fetched.</summary>
        DtdProhibited,
        /// <summary>Decompressing would exceed the size limit (a zip or gzip bomb, or a report larger than allowed).</summary>
        TooLarge,
        /// <summary>A zip archive has more members than allowed.</summary>
        TooManyEntries,
        /// <summary>The compressed data ends early.</summary>
        Truncated,
        /// <summary>The gzip or zip container is corrupt.</summary>
        CorruptArchive,
        /// <summary>The file could not be read (permissions, I/O error).</summary>
        Unreadable,
        /// <summary>An e-mail message carries no report.</summary>
        NoReportInMessage,
        /// <summary>A FIFO, socket, device or other non-regular file: refused without being opened.</summary>
        NotRegularFile,
        /// <summary>An e-mail message that carries another kind of report (a DMARC failure report met by the aggregate
        /// importer, an aggregate report met by the failure importer): skipped, not an error, as mailboxes mix them.</summary>
        OtherReportKind,
    }

    /// <summary>One file (or member of a file) that could not be imported. The import goes on with the next.</summary>
    public sealed class ReportImportProblem
    {
        internal ReportImportProblem(string sourceFile, string? entry, ReportProblemKind kind, string message, Exception? exception, long rowsBefore)
        {
            SourceFile = sourceFile;
            SourceEntry = entry;
            Kind = kind;
            Message = message;
            Exception = exception;
            RowsBefore = rowsBefore;
        }

        public string SourceFile { get; }

        /// <summary>The member inside the file (zip member, message number, attachment), or null for the file itself.</summary>
        public string? SourceEntry { get; }

        public ReportProblemKind Kind { get; }

        public string Message { get; }

        /// <summary>What failed; null for the note that more problems were left unreported.</summary>
        public Exception? Exception { get; }

        /// <summary>Rows already emitted from this member before the problem was met.</summary>
        public long RowsBefore { get; }

        public override string ToString() => Message;
    }

    /// <summary>The kinds of report MailOps reads, for a problem that met one kind where another was asked for
    /// (<see cref="ReportFormatException.LooksLike"/>): the cmdlet layer names the importer that reads it.</summary>
    public enum ReportType
    {
        /// <summary>A DMARC aggregate report (RFC 7489 XML).</summary>
        DmarcAggregate,
        /// <summary>An SMTP TLS report (RFC 8460 JSON).</summary>
        TlsRpt,
        /// <summary>A DMARC failure report (RFC 5965 ARF).</summary>
        DmarcFailure,
    }

    /// <summary>Raised by the readers for a report that cannot be read; turned into a <see cref="ReportImportProblem"/>.</summary>
    public sealed class ReportFormatException : Exception
    {
        public ReportFormatException(ReportProblemKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

        public ReportProblemKind Kind { get; }

        /// <summary>The other kind of report the content looks like, when that is why it was not read; else null.</summary>
        public ReportType? LooksLike { get; internal set; }

        /// <summary>The problem ends the whole file, not only the member where it was met (a nesting or total-entries
        /// limit): one error for the file instead of one per member.</summary>
        internal bool EndsFile { get; set; }
    }

    internal enum PayloadKind { Empty, Xml, Json, Gzip, Zip, Mbox, Mime, Unknown, Zlib }

    /// <summary>
    /// Opens report files by content, not by name: XML, JSON, gzip, zip, an RFC 5322 message (.eml) or an mbox, nested
    /// as they come (an mbox of messages with zipped XML attachments). Everything is read as a stream; decompressed
    /// bytes and zip members are bounded; every problem becomes a <see cref="ReportImportProblem"/> for that file or member
    /// and the reading goes on with the next member.
    /// </summary>
    internal sealed class ReportContainerReader
    {
        private readonly string _file;
        private readonly PayloadKind _wanted;
        private readonly Func<Stream, string?, IEnumerable<object>> _parse;
        private readonly ReportImportOptions _options;
        private readonly CancellationToken _ct;
        private readonly string _what;
        private long _decompressed;
        private long _entries;

        public ReportContainerReader(string file, PayloadKind wanted, string what, Func<Stream, string?, IEnumerable<object>> parse,
            ReportImportOptions? options, CancellationToken ct)
        {
            _file = file;
            _wanted = wanted;
            _what = what;
            _parse = parse;
            _options = options ?? new ReportImportOptions();
            _ct = ct;
        }

        /// <summary>Reads a stream already open (an IMAP message's bytes) instead of a file: the same sniffing, limits, rows and
        /// problems; <paramref name="source"/> stands for the file name in rows and problems. The reader disposes the stream.</summary>
        public ReportContainerReader(Stream stream, string source, PayloadKind wanted, string what, Func<Stream, string?, IEnumerable<object>> parse,
            ReportImportOptions? options, CancellationToken ct) : this(source, wanted, what, parse, options, ct)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            _noun = "message";
        }

        private Stream? _stream;
        private readonly string _noun = "file";

        /// <summary>"file", or "message" for a stream read from a mailbox.</summary>
        private string Noun => _noun;

        /// <summary>Rows of the wanted kind and <see cref="ReportImportProblem"/>s, in file order.</summary>
        public IEnumerable<object> Read()
        {
            long problems = 0, hidden = 0;
            ReportImportProblem? last = null;
            foreach (var item in Guard(() => ReadFile(), null))
            {
                // A message of the other report kind is not a problem of the file: never hidden by the cap.
                if (item is ReportImportProblem p && p.Kind != ReportProblemKind.OtherReportKind)
                {
                    last = p;
                    if (++problems > _options.MaxProblemsPerFile) { hidden++; continue; }
                }
                yield return item;
            }
            if (hidden > 0 && last != null) // last is set whenever a problem was hidden
                yield return new ReportImportProblem(_file, null, last.Kind,
                    $"The {_what} {Noun} '{_file}' had {hidden:N0} more problem(s) of the same kind and others ({problems:N0} in all); only the first {_options.MaxProblemsPerFile} were reported.",
                    null, 0);
        }

        private IEnumerable<object> ReadFile()
        {
            // Regular files only: a FIFO or device is refused before it is opened.
            var stream = _stream ?? InputFile.OpenRead(_file, long.MaxValue, _what + " file");
            _stream = null;
            try
            {
                foreach (var item in Expand(stream, null, 0)) yield return item;
            }
            finally { stream.Dispose(); }
        }

        /// <summary>Runs an enumeration, turning a failure into one problem for <paramref name="entry"/> (the rest of the
        /// enumeration is skipped; the caller goes on with its next member).</summary>
        internal IEnumerable<object> Guard(Func<IEnumerable<object>> inner, string? entry)
        {
            IEnumerator<object>? e = null;
            ReportImportProblem? problem = null;
            long rows = 0;
            try { e = inner().GetEnumerator(); }
            catch (Exception ex) when (!(ex is OperationCanceledException) && !EndsFile(ex, entry)) { problem = ToProblem(ex, entry, 0); }
            if (problem != null || e == null) { if (problem != null) yield return problem; yield break; } // e is null only when problem is set
            using (e)
            {
                while (true)
                {
                    object? current = null;
                    try
                    {
                        _ct.ThrowIfCancellationRequested();
                        if (!e.MoveNext()) break;
                        current = e.Current;
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException) && !EndsFile(ex, entry)) { problem = ToProblem(ex, entry, rows); }
                    if (problem != null) { yield return problem; yield break; }
                    if (!(current is ReportImportProblem)) rows++;
                    yield return current!; // set: MoveNext returned true (a failure, the only other way here, ended the loop above)
                }
            }
        }

        /// <summary>A file-ending problem passes through the members' guards to the file's own.</summary>
        private static bool EndsFile(Exception ex, string? entry) => entry != null && ex is ReportFormatException rf && rf.EndsFile;

        private ReportImportProblem ToProblem(Exception ex, string? entry, long rows)
        {
            ReportProblemKind kind;
            string why;
            switch (ex)
            {
                case ReportFormatException rf: kind = rf.Kind; why = rf.Message; break;
                case XmlException xe when xe.Message.IndexOf("DTD", StringComparison.OrdinalIgnoreCase) >= 0:
                    kind = ReportProblemKind.DtdProhibited;
                    why = "has a DTD (<!DOCTYPE>); DMARC reports never need one, so it is refused: no entity is expanded and nothing is fetched";
                    break;
                case XmlException xe: kind = ReportProblemKind.Malformed; why = $"is not well-formed XML: {xe.Message}"; break;
                case EndOfStreamException _: kind = ReportProblemKind.Truncated; why = "ends early: the compressed data is truncated"; break;
                case InvalidDataException ide:
                    kind = ide.Message.IndexOf("end", StringComparison.OrdinalIgnoreCase) >= 0 || ide.Message.IndexOf("truncat", StringComparison.OrdinalIgnoreCase) >= 0
                        ? ReportProblemKind.Truncated : ReportProblemKind.CorruptArchive;
                    why = kind == ReportProblemKind.Truncated ? $"ends early: the compressed data is truncated ({ide.Message})" : $"is a corrupt archive: {ide.Message}";
                    break;
                case InputFileException ife: kind = ife.Problem == InputFileProblem.NotRegular ? ReportProblemKind.NotRegularFile : ReportProblemKind.Unreadable; why = ife.Message.Replace($"The {_what} file '{_file}' ", "").TrimEnd('.'); break;
                case UnauthorizedAccessException _: kind = ReportProblemKind.Unreadable; why = $"cannot be read: {ex.Message}"; break;
                case FileNotFoundException _: kind = ReportProblemKind.Unreadable; why = $"cannot be read: {ex.Message}"; break;
                case IOException _: kind = ReportProblemKind.Unreadable; why = $"cannot be read: {ex.Message}"; break;
                case FormatException _: kind = ReportProblemKind.Malformed; why = $"is malformed: {ex.Message}"; break;
                default: kind = ReportProblemKind.Malformed; why = $"could not be parsed ({ex.GetType().Name}): {ex.Message}"; break;
            }
            var where = entry == null ? $"'{_file}'" : $"'{_file}' ({entry})";
            var after = rows > 0 ? $" after {rows} row(s)" : "";
            return new ReportImportProblem(_file, entry, kind, $"The {_what} {Noun} {where} {why}{after}.", ex, rows);
        }

        private IEnumerable<object> Expand(Stream raw, string? entry, int depth)
        {
            CheckDepth(depth, entry);
            var stream = new PeekStream(raw);
            var kind = Sniff(stream.Peek(512));
            switch (kind)
            {
                case PayloadKind.Empty:
                    throw new ReportFormatException(ReportProblemKind.Empty, "is empty (no content)");
                case PayloadKind.Xml:
                case PayloadKind.Json:
                    if (kind != _wanted)
                        throw new ReportFormatException(ReportProblemKind.NotAReport, kind == PayloadKind.Json
                            ? $"holds JSON, not a {_what} (an SMTP TLS report?)"
                            : $"holds XML, not {(_what.StartsWith("SMTP", StringComparison.Ordinal) ? "an" : "a")} {_what} (a DMARC aggregate report?)")
                        { LooksLike = kind == PayloadKind.Json ? ReportType.TlsRpt : ReportType.DmarcAggregate };
                    // Every read the parser makes checks Ctrl+C, so a reader busy skipping a huge document still stops at once.
                    return _parse(new CancellableStream(stream, _ct), entry);
                case PayloadKind.Gzip:
                    return Gzip(stream, entry, depth);
                case PayloadKind.Zip:
                    return Zip(stream, entry, depth);
                case PayloadKind.Zlib:
                    return Zlib(stream, entry, depth);
                case PayloadKind.Mbox:
                    return InPlace(stream, entry, s => Mbox(s, entry, depth));
                case PayloadKind.Mime:
                    return InPlace(stream, entry, s => Message(MimeMessage.Load(MimeOptions(), s, true, _ct), entry, depth));
                default:
                    throw new ReportFormatException(ReportProblemKind.NotAReport,
                        $"is not a {_what}: its content is neither XML, JSON, gzip, zlib, zip nor an e-mail message");
            }
        }

        private IEnumerable<object> Gzip(Stream stream, string? entry, int depth)
        {
            // The trailer check (CRC-32 and length of the member, RFC 1952 §2.3.1) tells a cut file from a whole one, at any
            // depth, and lets a file of several gzip members through (GzipIntegrity, shared with the mail-log reader).
            var integrity = new GzipIntegrity();
            // leaveOpen: the tap (and the stream under it, which its owner closes) is never disposed here.
            var gz = new GZipStream(integrity.Compressed(stream), CompressionMode.Decompress, leaveOpen: true);
            var bounded = new BoundedStream(integrity.Uncompressed(gz), this, entry);
            // Checked the moment the decompressed data ends, before the parser sees the end: a cut file is Truncated, not
            // a malformed document.
            bounded.AtEnd = () =>
            {
                try
                {
                    integrity.Verify(entry ?? _file);
                }
                catch (InvalidDataException)
                {
                    throw new ReportFormatException(ReportProblemKind.Truncated,
                        $"ends early: the gzip data stops after {bounded.Count:N0} decompressed bytes but its trailer is missing or wrong (a truncated download or attachment?)");
                }
            };
            try
            {
                foreach (var item in Expand(bounded, entry, depth + 1)) yield return item;
                // The report may end before the gzip data does; read on so that a corrupt or truncated tail is noticed.
                var buffer = new byte[81920];
                while (bounded.Read(buffer, 0, buffer.Length) > 0) { }
            }
            finally { gz.Dispose(); }
        }


        /// <summary>A raw zlib stream (RFC 1950), as some reporters send: decompressed within the same budget as gzip, and
        /// its Adler-32 trailer checked the moment the data ends, so a cut stream is Truncated, not a malformed document.</summary>
        private IEnumerable<object> Zlib(Stream stream, string? entry, int depth)
        {
            var integrity = new ZlibIntegrity();
            var inflated = integrity.Open(stream);
            var bounded = new BoundedStream(inflated, this, entry);
            bounded.AtEnd = () =>
            {
                try
                {
                    integrity.Verify();
                }
                catch (InvalidDataException ex)
                {
                    throw new ReportFormatException(ReportProblemKind.Truncated,
                        $"ends early: the zlib data stops after {bounded.Count:N0} decompressed bytes but its Adler-32 trailer is missing or wrong (a truncated download or attachment?): {ex.Message}");
                }
            };
            try
            {
                foreach (var item in Expand(bounded, entry, depth + 1)) yield return item;
                var buffer = new byte[81920];
                while (bounded.Read(buffer, 0, buffer.Length) > 0) { }
            }
            finally { inflated.Dispose(); }
        }

        private IEnumerable<object> Zip(Stream stream, string? entry, int depth)
        {
            // The central directory is at the end: a zip is read in place when it is the file itself, else from a
            // bounded copy (memory up to MaxInMemoryCopyBytes, then a temporary file deleted on close).
            var seekable = Seekable(stream, entry, out var owned);
            ZipArchive? archive = null;
            try
            {
                archive = new ZipArchive(seekable, ZipArchiveMode.Read, leaveOpen: true);
                // Member names are only labels: nothing is ever written under them ('../../x' is as harmless as 'x').
                var entries = archive.Entries.Where(e => !e.FullName.EndsWith("/", StringComparison.Ordinal)).ToList();
                if (entries.Count > _options.MaxArchiveEntries)
                    throw new ReportFormatException(ReportProblemKind.TooManyEntries,
                        $"is a zip archive with {entries.Count} members; the limit is {_options.MaxArchiveEntries} (a zip bomb?)");
                if (entries.Count == 0) throw new ReportFormatException(ReportProblemKind.NotAReport, "is a zip archive with no members");
                _entries += entries.Count;
                if (_entries > _options.MaxTotalEntries)
                    throw new ReportFormatException(ReportProblemKind.TooManyEntries,
                        $"holds more than {_options.MaxTotalEntries:N0} zip members across its nested archives ({_entries:N0} counted when reading stopped; a nested zip bomb?)")
                    { EndsFile = true };
                foreach (var e in entries)
                {
                    var label = (entry == null ? "" : entry + " / ") + Label(e.FullName);
                    var member = e;
                    foreach (var item in Guard(() => ZipMember(member, label, depth), label)) yield return item;
                }
            }
            finally
            {
                archive?.Dispose();
                if (owned) seekable.Dispose();
            }
        }

        /// <summary>A member name as a label: control characters (a hostile name could write to the terminal) shown as '?', at most 200 characters.</summary>
        private static string Label(string name)
        {
            var chars = name.Select(c => char.IsControl(c) ? '?' : c).ToArray();
            var s = new string(chars);
            return s.Length > 200 ? s.Substring(0, 200) + "…" : s;
        }

        private void CheckDepth(int depth, string? entry)
        {
            if (depth > _options.MaxNestingDepth)
                throw new ReportFormatException(ReportProblemKind.TooLarge,
                    $"nests containers (archives, messages, attachments) more than {_options.MaxNestingDepth} levels deep{(entry == null ? "" : $" (at {entry})")}; reading stopped")
                { EndsFile = true };
        }

        private ParserOptions MimeOptions()
        {
            var o = new ParserOptions();
            // MimeKit stops treating deeper multiparts as containers past this depth; our own nesting limit is lower.
            o.MaxMimeDepth = Math.Max(8, _options.MaxNestingDepth * 4);
            return o;
        }

        /// <summary>
        /// A seekable view of <paramref name="stream"/> from its start: the file itself when the stream is the file (read
        /// in place), else a copy bounded by the decompression limit, held in memory up to MaxInMemoryCopyBytes and
        /// spilled to a temporary file (deleted on close) beyond. <paramref name="owned"/>: the caller disposes it.
        /// </summary>
        private Stream Seekable(Stream stream, string? entry, out bool owned)
        {
            if (stream is PeekStream p && p.Inner is FileStream && p.Inner.CanSeek && p.Inner.Position == p.Buffered)
            {
                p.Inner.Position = 0;
                owned = false;
                return p.Inner;
            }
            owned = true;
            var bounded = new BoundedStream(stream, this, entry);
            var buffer = new byte[81920];
            Stream copy = new MemoryStream();
            int n;
            try
            {
                while ((n = bounded.Read(buffer, 0, buffer.Length)) > 0)
                {
                    _ct.ThrowIfCancellationRequested();
                    if (copy is MemoryStream ms && ms.Length + n > _options.MaxInMemoryCopyBytes)
                    {
                        var file = new FileStream(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mailops-" + Guid.NewGuid().ToString("N") + ".tmp"),
                            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
                        ms.Position = 0;
                        ms.CopyTo(file);
                        ms.Dispose();
                        copy = file;
                    }
                    copy.Write(buffer, 0, n);
                }
                copy.Position = 0;
                return copy;
            }
            catch
            {
                copy.Dispose();
                throw;
            }
        }

        /// <summary>Runs <paramref name="read"/> over a seekable copy of a message or mbox so MimeKit parses it
        /// "persistently": part contents stay where they are (the file, or the spilled copy) and are decoded as streams,
        /// never loaded whole.</summary>
        private IEnumerable<object> InPlace(PeekStream stream, string? entry, Func<Stream, IEnumerable<object>> read)
        {
            var seekable = Seekable(stream, entry, out var owned);
            try
            {
                foreach (var item in read(seekable)) yield return item;
            }
            finally
            {
                if (owned) seekable.Dispose();
            }
        }

        private IEnumerable<object> ZipMember(ZipArchiveEntry e, string label, int depth)
        {
            if (e.Length > _options.MaxDecompressedBytes - _decompressed)
                throw new ReportFormatException(ReportProblemKind.TooLarge,
                    $"declares {e.Length:N0} bytes uncompressed, over the limit of {_options.MaxDecompressedBytes:N0} bytes (a zip bomb?)");
            var s = e.Open();
            try
            {
                foreach (var item in Expand(new BoundedStream(s, this, label), label, depth + 1)) yield return item;
            }
            finally { s.Dispose(); }
        }

        private IEnumerable<object> Mbox(Stream stream, string? entry, int depth)
        {
            var parser = new MimeParser(MimeOptions(), stream, MimeFormat.Mbox, persistent: true);
            int n = 0;
            while (!parser.IsEndOfStream)
            {
                _ct.ThrowIfCancellationRequested();
                MimeMessage message;
                try { message = parser.ParseMessage(_ct); }
                catch (FormatException) when (n > 0) { yield break; } // trailing garbage after the last message
                n++;
                var label = (entry == null ? "" : entry + " / ") + $"message {n}" + Describe(message);
                var m = message;
                foreach (var item in Guard(() => Message(m, label, depth + 1), label)) yield return item;
            }
            if (n == 0) throw new ReportFormatException(ReportProblemKind.NotAReport, "is an mbox with no messages");
        }

        private static string Describe(MimeMessage m) => Strings.IsNullOrEmpty(m.Subject) ? "" : $" '{Label(m.Subject.Length > 80 ? m.Subject.Substring(0, 80) + "…" : m.Subject)}'";

        /// <summary>When set, each e-mail message (a file, or a member of an mbox or archive) is handed whole to this
        /// reader instead of being searched for report attachments (the bounce reader needs the whole message).</summary>
        internal Func<MimeMessage, string?, IEnumerable<object>>? MessageReader { get; set; }

        private IEnumerable<object> Message(MimeMessage message, string? entry, int depth)
        {
            CheckDepth(depth, entry);
            if (MessageReader != null)
            {
                foreach (var item in MessageReader(message, entry)) yield return item;
                yield break;
            }
            // An ARF message (RFC 5965) is a failure (forensic) report, whatever it carries: its third part is the failed
            // message, never a report. Mailboxes mix both kinds, so it is skipped with a note, not an error.
            if (DmarcFailureReportReader.IsFeedbackReport(message))
                throw new ReportFormatException(ReportProblemKind.OtherReportKind,
                    $"is a feedback report{Describe(message)} (ARF, message/feedback-report: a DMARC failure report); it holds no {_what}")
                    { LooksLike = ReportType.DmarcFailure };
            int found = 0;
            foreach (var part in message.BodyParts)
            {
                _ct.ThrowIfCancellationRequested();
                if (part is MessagePart mp && mp.Message != null)
                {
                    var inner = mp.Message;
                    var label = (entry == null ? "" : entry + " / ") + "attached message" + Describe(inner);
                    found++;
                    foreach (var item in Guard(() => Message(inner, label, depth + 1), label)) yield return item;
                    continue;
                }
                if (!(part is MimePart mime) || mime.Content == null) continue;
                var type = mime.ContentType.MimeType.ToLowerInvariant();
                if (!mime.IsAttachment && !type.StartsWith("application/", StringComparison.Ordinal) && type != "text/xml" && type != "text/json") continue;
                var decoded = new PeekStream(mime.Content.Open());
                var kind = Sniff(decoded.Peek(512));
                if (kind != _wanted && kind != PayloadKind.Gzip && kind != PayloadKind.Zip && kind != PayloadKind.Zlib) { decoded.Dispose(); continue; }
                found++;
                var name = mime.FileName ?? mime.ContentType.MimeType;
                var partLabel = (entry == null ? "" : entry + " / ") + "attachment " + name;
                var s = decoded;
                try
                {
                    foreach (var item in Guard(() => Expand(s, partLabel, depth + 1), partLabel)) yield return item;
                }
                finally { s.Dispose(); }
            }
            if (found == 0)
                throw new ReportFormatException(ReportProblemKind.NoReportInMessage,
                    $"is an e-mail message{Describe(message)} with no {_what} attachment");
        }

        internal static PayloadKind Sniff(ArraySegment<byte> head)
        {
            var b = head.Array;
            int i = head.Offset, end = head.Offset + head.Count;
            if (head.Count == 0) return PayloadKind.Empty;
            if (head.Count >= 2 && b[i] == 0x1f && b[i + 1] == 0x8b) return PayloadKind.Gzip;
            // zlib as reporters write it: 78 01, 78 5E, 78 9C or 78 DA (other window sizes could be text: "H", "X", "h").
            if (head.Count >= 2 && b[i] == 0x78 && ZlibIntegrity.IsZlibHeader(b[i], b[i + 1])) return PayloadKind.Zlib;
            if (head.Count >= 4 && b[i] == 0x50 && b[i + 1] == 0x4b && (b[i + 2] == 3 || b[i + 2] == 5) && (b[i + 3] == 4 || b[i + 3] == 6)) return PayloadKind.Zip;
            if (head.Count >= 2 && ((b[i] == 0xff && b[i + 1] == 0xfe) || (b[i] == 0xfe && b[i + 1] == 0xff))) return PayloadKind.Xml; // UTF-16 BOM
            if (head.Count >= 3 && b[i] == 0xef && b[i + 1] == 0xbb && b[i + 2] == 0xbf) i += 3;
            var text = Encoding.ASCII.GetString(b, i, end - i);
            if (text.StartsWith("From ", StringComparison.Ordinal)) return PayloadKind.Mbox;
            var trimmed = text.TrimStart(' ', '\t', '\r', '\n');
            if (trimmed.Length == 0) return PayloadKind.Empty;
            if (trimmed[0] == '<') return PayloadKind.Xml;
            if (trimmed[0] == '{') return PayloadKind.Json;
            if (System.Text.RegularExpressions.Regex.IsMatch(text, @"^[A-Za-z0-9-]+:")) return PayloadKind.Mime; // a header field
            return PayloadKind.Unknown;
        }

        /// <summary>Counts decompressed bytes against the per-file budget.</summary>
        private sealed class BoundedStream : ReadOnlyStream
        {
            private readonly Stream _inner;
            private readonly ReportContainerReader _owner;
            private readonly string? _entry;

            public BoundedStream(Stream inner, ReportContainerReader owner, string? entry)
            {
                _inner = inner;
                _owner = owner;
                _entry = entry;
            }

            private long _count;

            /// <summary>Decompressed bytes read so far.</summary>
            public long Count => _count;

            /// <summary>Run once when the data ends (a read returns 0): the gzip trailer check.</summary>
            public Action? AtEnd { get; set; }

            public override int Read(byte[] buffer, int offset, int count)
            {
                _owner._ct.ThrowIfCancellationRequested();
                var n = _inner.Read(buffer, offset, count);
                _count += n;
                if (n == 0 && count > 0 && AtEnd != null)
                {
                    var atEnd = AtEnd;
                    AtEnd = null;
                    atEnd();
                }
                _owner._decompressed += n;
                if (_owner._decompressed > _owner._options.MaxDecompressedBytes)
                    throw new ReportFormatException(ReportProblemKind.TooLarge,
                        $"decompresses to more than {_owner._options.MaxDecompressedBytes:N0} bytes, the limit (a zip or gzip bomb?)");
                return n;
            }
        }
    }

    /// <summary>A read-only stream that throws <see cref="OperationCanceledException"/> on the next read once Ctrl+C is pressed.</summary>
    internal sealed class CancellableStream : ReadOnlyStream
    {
        private readonly Stream _inner;
        private readonly CancellationToken _ct;

        public CancellableStream(Stream inner, CancellationToken ct)
        {
            _inner = inner;
            _ct = ct;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            _ct.ThrowIfCancellationRequested();
            return _inner.Read(buffer, offset, count);
        }
    }

    /// <summary>A read-only stream whose first bytes can be looked at before it is handed on.</summary>
    internal sealed class PeekStream : ReadOnlyStream
    {
        private byte[] _buffer = new byte[0];
        private int _pos;

        public PeekStream(Stream inner) => Inner = inner;

        public Stream Inner { get; }

        /// <summary>How many bytes were read from <see cref="Inner"/> into the peek buffer.</summary>
        public int Buffered => _buffer.Length;

        public ArraySegment<byte> Peek(int count)
        {
            if (_buffer.Length < count && _pos == 0)
            {
                var more = new byte[count];
                Array.Copy(_buffer, more, _buffer.Length);
                int have = _buffer.Length, n;
                while (have < count && (n = Inner.Read(more, have, count - have)) > 0) have += n;
                Array.Resize(ref more, have);
                _buffer = more;
            }
            return new ArraySegment<byte>(_buffer, _pos, _buffer.Length - _pos);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos < _buffer.Length)
            {
                var n = Math.Min(count, _buffer.Length - _pos);
                Array.Copy(_buffer, _pos, buffer, offset, n);
                _pos += n;
                return n;
            }
            return Inner.Read(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
