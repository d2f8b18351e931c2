using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace MailOps.Dns
{
    /// <summary>A zone file could not be read: says which file, which line and what was wrong.</summary>
    public sealed class ZoneFileException : Exception
    {
        public ZoneFileException(string path, int line, string problem)
            : base($"{path}:{line}: {problem}")
        {
            Path = path;
            Line = line;
            Problem = problem;
        }

        public string Path { get; }
        public int Line { get; }
        public string Problem { get; }

        /// <summary>Already phrased for an included file (or a limit): passed on as it is.</summary>
        internal bool FromInclude { get; set; }
    }

    /// <summary>Bounds of loading one zone file with its $INCLUDEs. Every limit reached is a <see cref="ZoneFileException"/>.</summary>
    public sealed class ZoneFileLimits
    {
        /// <summary>The largest zone file (and each included file), in bytes. Default 32 MiB; the environment variable MAILOPS_ZONEFILE_MAX_BYTES overrides it for the cmdlets.</summary>
        public long MaxFileBytes { get; set; } = 32L << 20;

        /// <summary>All bytes read for one zone file and its includes together. Default 4 × <see cref="MaxFileBytes"/>.</summary>
        public long? MaxTotalBytes { get; set; }

        /// <summary>How many $INCLUDE directives one zone file may execute in all (fan-out, not only depth). Default 64.</summary>
        public int MaxIncludes { get; set; } = 64;

        /// <summary>How deep $INCLUDEs may nest. Default 8.</summary>
        public int MaxIncludeDepth { get; set; } = 8;

        /// <summary>The most records one zone file (with its includes) may hold. Default 200,000.</summary>
        public int MaxRecords { get; set; } = 200_000;

        /// <summary>The longest logical line (parentheses join lines), in characters. Default 64 Ki.</summary>
        public int MaxLineChars { get; set; } = 64 * 1024;
    }

    /// <summary>The records of one master file and the zone it speaks for.</summary>
    public sealed class ZoneFile
    {
        internal ZoneFile(string path, string? apex, IReadOnlyList<DnsRecord> records)
        {
            Path = path;
            Apex = apex;
            Records = records;
        }

        public string Path { get; }

        /// <summary>The zone apex: the SOA owner, else the first $ORIGIN. Null when the file has neither: it then
        /// speaks only for the exact owner names it holds.</summary>
        public string? Apex { get; }

        public IReadOnlyList<DnsRecord> Records { get; }
    }

    /// <summary>
    /// Reads RFC 1035 §5 master files: $ORIGIN, $TTL, $INCLUDE, parentheses, comments, quoted strings with
    /// \X and \DDD escapes, relative names and '@', omitted owner/TTL/class, BIND TTL units (1h30m), and
    /// RFC 3597 generic data (TYPE123 \# 2 ABCD). The lines <c>dig +noall +answer</c> prints are valid input.
    /// </summary>
    public static class MasterFileParser
    {
        private const int DefaultTtl = 3600;

        public static ZoneFile ParseFile(string path, string? origin = null) => ParseFile(path, origin, null, CancellationToken.None);

        /// <summary>Reads a zone file and its $INCLUDEs within <paramref name="limits"/>. Only regular files are opened
        /// (a FIFO or /dev/zero is refused before it is read); every failure, a limit included, is a
        /// <see cref="ZoneFileException"/>; Ctrl+C (<paramref name="ct"/>) is honoured between lines.</summary>
        public static ZoneFile ParseFile(string path, string? origin, ZoneFileLimits? limits, CancellationToken ct)
        {
            var state = NewState(origin, path, limits, ct);
            using (var reader = OpenZoneText(path, path, 0, state))
                return Finish(reader, path, state);
        }

        public static ZoneFile Parse(string? text, string path, string? origin = null) =>
            Finish(new StringReader(text), path, NewState(origin, path, null, CancellationToken.None));

        private static State NewState(string? origin, string path, ZoneFileLimits? limits, CancellationToken ct) =>
            new State { Origin = origin == null ? null : DnsName.Normalize(origin), Path = path, Limits = limits ?? new ZoneFileLimits(), Ct = ct };

        private static ZoneFile Finish(TextReader text, string path, State state)
        {
            var records = new List<DnsRecord>();
            string? firstOrigin = state.Origin;
            string? soaOwner = null;
            state.Open.Add(SafeIdentity(path));
            try
            {
                ParseInto(text, path, state, records, ref firstOrigin, ref soaOwner, depth: 0);
            }
            catch (Exception ex) when (!(ex is ZoneFileException) && !(ex is OperationCanceledException))
            {
                // Anything else (a runaway input the checks did not foresee) is still a zone-file error, never a crash.
                throw new ZoneFileException(path, 0, $"could not be read ({ex.GetType().Name})");
            }
            return new ZoneFile(path, soaOwner ?? firstOrigin, records);
        }

        private static string SafeIdentity(string path)
        {
            try { return InputFile.Identity(path); } catch (Exception) { return path; }
        }

        /// <summary>Opens one zone or included file for streaming: regular files only, within the per-file and total byte
        /// limits (checked before anything is read, and again while reading).</summary>
        private static TextReader OpenZoneText(string file, string reportPath, int reportLine, State state)
        {
            state.Ct.ThrowIfCancellationRequested();
            var limits = state.Limits;
            var total = limits.MaxTotalBytes ?? limits.MaxFileBytes * 4;
            var budget = Math.Max(0, Math.Min(limits.MaxFileBytes, total - state.BytesRead));
            var prefix = reportLine > 0 ? "$INCLUDE " + file + ": " : "";
            try
            {
                var stream = InputFile.OpenRead(file, budget, "zone file");
                state.BytesRead += stream.CanSeek ? stream.Length : 0;
                return new StreamReader(stream, new UTF8Encoding(false), true, 16384);
            }
            catch (InputFileException ex) when (ex.Problem == InputFileProblem.TooLarge)
            {
                throw new ZoneFileException(reportPath, reportLine, budget < limits.MaxFileBytes
                    ? $"{prefix}the zone file and its includes exceed {total:N0} bytes together, the limit"
                    : $"{prefix}the file is larger than {limits.MaxFileBytes:N0} bytes, the limit for a zone file (raise it with the environment variable MAILOPS_ZONEFILE_MAX_BYTES)")
                { FromInclude = true };
            }
            catch (InputFileException ex)
            {
                throw new ZoneFileException(reportPath, reportLine, prefix +
                    (ex.Problem == InputFileProblem.NotRegular ? "is not a regular file (a FIFO, device or directory); it was not read" : "does not exist"))
                { FromInclude = true };
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                throw new ZoneFileException(reportPath, reportLine, prefix + "cannot be read: " + ex.Message) { FromInclude = true };
            }
        }

        private sealed class State
        {
            public string? Origin;
            public string? LastOwner;
            public int? DefaultTtlValue;
            public int? LastTtl;
            public string? Path;
            public required ZoneFileLimits Limits;
            public CancellationToken Ct;
            public long BytesRead;
            public int Includes;
            /// <summary>Identities of the files being read (the include chain), to catch a file including itself.</summary>
            public readonly List<string> Open = new List<string>();
        }

        private struct Token
        {
            public string Text;      // unescaped for quoted strings; raw for the rest
            public byte[] Bytes;     // decoded bytes (escapes applied), for character-strings
            public bool Quoted;
        }

        private static void ParseInto(TextReader text, string path, State state, List<DnsRecord> records, ref string? firstOrigin, ref string? soaOwner, int depth)
        {
            foreach (var (lineNo, startsWithSpace, tokens) in LogicalLines(new CharSource(text), path, state.Limits.MaxLineChars))
            {
                state.Ct.ThrowIfCancellationRequested();
                if (tokens.Count == 0) continue;
                if (depth > 0)
                {
                    // An included file may be anything a zone author points at (a secret, a key): errors about it name the
                    // file and line, never its content.
                    try { ParseLine(lineNo, startsWithSpace, tokens, path, state, records, ref firstOrigin, ref soaOwner, depth); }
                    catch (ZoneFileException ex) when (!ex.FromInclude)
                    {
                        throw new ZoneFileException(path, lineNo, "is not a valid master-file line (the content of included files is not shown in errors)") { FromInclude = true };
                    }
                    continue;
                }
                ParseLine(lineNo, startsWithSpace, tokens, path, state, records, ref firstOrigin, ref soaOwner, depth);
            }
        }

        private static void ParseLine(int lineNo, bool startsWithSpace, List<Token> tokens, string path, State state, List<DnsRecord> records,
            ref string? firstOrigin, ref string? soaOwner, int depth)
        {
            {
                var first = tokens[0];
                if (!first.Quoted && !startsWithSpace && first.Text.StartsWith("$", StringComparison.Ordinal))
                {
                    var directive = first.Text.ToUpperInvariant();
                    switch (directive)
                    {
                        case "$ORIGIN":
                            if (tokens.Count < 2) throw new ZoneFileException(path, lineNo, "$ORIGIN needs a domain name");
                            state.Origin = ResolveName(tokens[1].Text, state, path, lineNo);
                            if (firstOrigin == null) firstOrigin = state.Origin;
                            break;
                        case "$TTL":
                            if (tokens.Count < 2 || !TryParseTtl(tokens[1].Text, out var t))
                                throw new ZoneFileException(path, lineNo, $"$TTL needs a time value, got '{(tokens.Count > 1 ? tokens[1].Text : "")}'");
                            state.DefaultTtlValue = t;
                            break;
                        case "$INCLUDE":
                            if (depth >= state.Limits.MaxIncludeDepth)
                                throw new ZoneFileException(path, lineNo, $"$INCLUDE nested more than {state.Limits.MaxIncludeDepth} deep") { FromInclude = true };
                            if (++state.Includes > state.Limits.MaxIncludes)
                                throw new ZoneFileException(path, lineNo, $"more than {state.Limits.MaxIncludes} $INCLUDEs in all (the zone file and its includes together)") { FromInclude = true };
                            if (tokens.Count < 2) throw new ZoneFileException(path, lineNo, "$INCLUDE needs a file name");
                            var inc = tokens[1].Text;
                            try
                            {
                                if (!System.IO.Path.IsPathRooted(inc)) inc = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".", inc);
                            }
                            catch (ArgumentException) { throw new ZoneFileException(path, lineNo, "$INCLUDE names an invalid path") { FromInclude = true }; }
                            var id = SafeIdentity(inc);
                            if (state.Open.Contains(id))
                                throw new ZoneFileException(path, lineNo, $"$INCLUDE {inc} includes a file that is already being read (an include loop)") { FromInclude = true };
                            var saved = state.Origin;
                            if (tokens.Count > 2) state.Origin = ResolveName(tokens[2].Text, state, path, lineNo);
                            state.Open.Add(id);
                            try
                            {
                                using (var incText = OpenZoneText(inc, path, lineNo, state))
                                    ParseInto(incText, inc, state, records, ref firstOrigin, ref soaOwner, depth + 1);
                            }
                            catch (ZoneFileException ex) when (!ex.FromInclude) { ex.FromInclude = true; throw; }
                            finally { state.Open.RemoveAt(state.Open.Count - 1); }
                            state.Origin = saved;
                            break;
                        default:
                            throw new ZoneFileException(path, lineNo, $"unknown directive {first.Text}");
                    }
                    return;
                }

                var record = ParseRecord(tokens, startsWithSpace, state, path, lineNo);
                if (record.Type == DnsRecordType.SOA && soaOwner == null) soaOwner = record.Name;
                if (records.Count >= state.Limits.MaxRecords)
                    throw new ZoneFileException(path, lineNo, $"more than {state.Limits.MaxRecords:N0} records (the zone file and its includes together), the limit") { FromInclude = true };
                records.Add(record);
            }
        }

        private static DnsRecord ParseRecord(List<Token> tokens, bool startsWithSpace, State state, string path, int lineNo)
        {
            int i = 0;
            string owner;
            if (startsWithSpace)
            {
                owner = state.LastOwner ?? throw new ZoneFileException(path, lineNo, "the line starts with white space but no owner name came before it");
            }
            else
            {
                owner = ResolveName(tokens[i++].Text, state, path, lineNo);
            }
            state.LastOwner = owner;

            int? ttl = null;
            string? cls = null;
            for (int k = 0; k < 2 && i < tokens.Count; k++)
            {
                var t = tokens[i].Text;
                if (ttl == null && !tokens[i].Quoted && TryParseTtl(t, out var parsed)) { ttl = parsed; i++; continue; }
                if (cls == null && IsClass(t)) { cls = t.ToUpperInvariant(); i++; continue; }
                break;
            }
            if (cls != null && cls != "IN")
                throw new ZoneFileException(path, lineNo, $"class {cls} is not supported; only IN");
            if (i >= tokens.Count) throw new ZoneFileException(path, lineNo, "the record has no type");

            var typeText = tokens[i++].Text;
            if (!TryParseType(typeText, out var typeCode))
                throw new ZoneFileException(path, lineNo, $"unknown record type '{typeText}'");

            var effectiveTtl = ttl ?? state.DefaultTtlValue ?? state.LastTtl ?? DefaultTtl;
            state.LastTtl = effectiveTtl;
            var rdata = tokens.Skip(i).ToList();
            try
            {
                return ParseRdata(owner, typeCode, effectiveTtl, rdata, state, path, lineNo);
            }
            catch (ZoneFileException) { throw; }
            catch (Exception ex) when (ex is FormatException || ex is OverflowException || ex is ArgumentException)
            {
                throw new ZoneFileException(path, lineNo, $"bad {TypeName(typeCode)} data: {ex.Message}");
            }
        }

        private static DnsRecord ParseRdata(string owner, int typeCode, int ttl, List<Token> rd, State state, string path, int lineNo)
        {
            void Need(int n, string what)
            {
                if (rd.Count < n) throw new ZoneFileException(path, lineNo, $"{TypeName(typeCode)} needs {what}");
            }

            if (rd.Count > 0 && !rd[0].Quoted && rd[0].Text == "\\#")
            {
                Need(2, "a length after \\#");
                var len = int.Parse(rd[1].Text, CultureInfo.InvariantCulture);
                var hex = string.Concat(rd.Skip(2).Select(t => t.Text));
                if (!Hex.TryDecode(hex, out var raw) || raw.Length != len)
                    throw new ZoneFileException(path, lineNo, $"generic data says {len} bytes but the hex holds {hex.Length / 2}");
                if (typeCode == (int)DnsRecordType.TXT || typeCode == (int)DnsRecordType.SPF)
                    return new TxtRecord(owner, ttl, WireDnsResolver.ReadCharacterStrings(raw), (DnsRecordType)typeCode);
                return new UnknownRecord(owner, typeCode, ttl, raw);
            }

            switch ((DnsRecordType)typeCode)
            {
                case DnsRecordType.A:
                    Need(1, "an IPv4 address");
                    if (!IPAddress.TryParse(rd[0].Text, out var v4) || v4.AddressFamily != AddressFamily.InterNetwork || rd[0].Text.Count(c => c == '.') != 3)
                        throw new ZoneFileException(path, lineNo, $"'{rd[0].Text}' is not an IPv4 address");
                    return new AddressRecord(owner, ttl, v4);
                case DnsRecordType.AAAA:
                    Need(1, "an IPv6 address");
                    if (!IPAddress.TryParse(rd[0].Text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                        throw new ZoneFileException(path, lineNo, $"'{rd[0].Text}' is not an IPv6 address");
                    return new AddressRecord(owner, ttl, v6);
                case DnsRecordType.MX:
                    Need(2, "a preference and an exchange");
                    return new MxRecord(owner, ttl, ParseUShort(rd[0].Text, "preference", path, lineNo), ResolveName(rd[1].Text, state, path, lineNo));
                case DnsRecordType.CNAME:
                case DnsRecordType.PTR:
                case DnsRecordType.NS:
                    Need(1, "a domain name");
                    return new NameRecord(owner, (DnsRecordType)typeCode, ttl, ResolveName(rd[0].Text, state, path, lineNo));
                case DnsRecordType.TXT:
                case DnsRecordType.SPF:
                    Need(1, "at least one character-string");
                    foreach (var t in rd)
                        if (t.Bytes.Length > 255)
                            throw new ZoneFileException(path, lineNo, $"a character-string is {t.Bytes.Length} bytes; DNS allows 255 per string (split it into several quoted strings)");
                    return new TxtRecord(owner, ttl, rd.Select(t => Encoding.UTF8.GetString(t.Bytes)), (DnsRecordType)typeCode);
                case DnsRecordType.SOA:
                    Need(7, "mname rname serial refresh retry expire minimum");
                    return new SoaRecord(owner, ttl, ResolveName(rd[0].Text, state, path, lineNo), ResolveName(rd[1].Text, state, path, lineNo),
                        uint.Parse(rd[2].Text, CultureInfo.InvariantCulture), Ttl(rd[3].Text, path, lineNo), Ttl(rd[4].Text, path, lineNo),
                        Ttl(rd[5].Text, path, lineNo), Ttl(rd[6].Text, path, lineNo));
                case DnsRecordType.TLSA:
                    Need(4, "usage, selector, matching type and data");
                    var data = string.Concat(rd.Skip(3).Select(t => t.Text));
                    if (!Hex.TryDecode(data, out var bytes)) throw new ZoneFileException(path, lineNo, "TLSA association data is not hex");
                    return new TlsaRecord(owner, ttl, ParseByte(rd[0].Text, path, lineNo), ParseByte(rd[1].Text, path, lineNo), ParseByte(rd[2].Text, path, lineNo), bytes);
                case DnsRecordType.SRV:
                    Need(4, "priority, weight, port and target");
                    return new SrvRecord(owner, ttl, ParseUShort(rd[0].Text, "priority", path, lineNo), ParseUShort(rd[1].Text, "weight", path, lineNo),
                        ParseUShort(rd[2].Text, "port", path, lineNo), ResolveName(rd[3].Text, state, path, lineNo));
                default:
                    throw new ZoneFileException(path, lineNo, $"{TypeName(typeCode)} data must be written in the generic form \\# <length> <hex>");
            }
        }

        private static int Ttl(string s, string path, int line) =>
            TryParseTtl(s, out var v) ? v : throw new ZoneFileException(path, line, $"'{s}' is not a time value");

        private static int ParseUShort(string s, string what, string path, int line) =>
            ushort.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ZoneFileException(path, line, $"{what} '{s}' is not a number 0-65535");

        private static int ParseByte(string s, string path, int line) =>
            byte.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ZoneFileException(path, line, $"'{s}' is not a number 0-255");

        private static string ResolveName(string text, State state, string path, int line)
        {
            if (text == "@")
                return state.Origin ?? throw new ZoneFileException(path, line, "'@' used but no $ORIGIN is set");
            if (text.EndsWith(".", StringComparison.Ordinal) && !text.EndsWith("\\.", StringComparison.Ordinal))
                return DnsName.Normalize(text);
            if (state.Origin == null)
                throw new ZoneFileException(path, line, $"the name '{text}' is relative but no $ORIGIN is set (end it with a dot, or add $ORIGIN)");
            return state.Origin == "." ? text : text + "." + state.Origin;
        }

        private static bool IsClass(string s)
        {
            var u = s.ToUpperInvariant();
            return u == "IN" || u == "CH" || u == "HS" || u == "CS";
        }

        private static string TypeName(int code) =>
            Enum.IsDefined(typeof(DnsRecordType), code) ? ((DnsRecordType)code).ToString() : "TYPE" + code.ToString(CultureInfo.InvariantCulture);

        private static bool TryParseType(string s, out int code)
        {
            code = 0;
            if (Enum.TryParse<DnsRecordType>(s, true, out var t) && !s.All(char.IsDigit)) { code = (int)t; return true; }
            if (s.StartsWith("TYPE", StringComparison.OrdinalIgnoreCase) && int.TryParse(s.Substring(4), NumberStyles.None, CultureInfo.InvariantCulture, out code) && code > 0 && code < 65536)
                return true;
            return false;
        }

        /// <summary>Parses a TTL: plain seconds, or BIND units (1w2d3h4m5s, case-insensitive).</summary>
        public static bool TryParseTtl(string s, out int seconds)
        {
            seconds = 0;
            if (Strings.IsNullOrEmpty(s) || !char.IsDigit(s[0])) return false;
            if (s.All(char.IsDigit))
                return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var plain) && plain <= int.MaxValue && (seconds = (int)plain) >= 0;
            long total = 0, current = 0;
            bool digits = false;
            foreach (var c in s.ToLowerInvariant())
            {
                if (char.IsDigit(c)) { current = current * 10 + (c - '0'); digits = true; if (current > int.MaxValue) return false; continue; }
                if (!digits) return false;
                long mult;
                switch (c) { case 'w': mult = 604800; break; case 'd': mult = 86400; break; case 'h': mult = 3600; break; case 'm': mult = 60; break; case 's': mult = 1; break; default: return false; }
                total += current * mult;
                current = 0;
                digits = false;
            }
            if (digits) return false;
            if (total > int.MaxValue) return false;
            seconds = (int)total;
            return true;
        }

        /// <summary>Characters from a reader, with a little lookahead (for \DDD escapes), counting what was consumed so that a
        /// logical line can be bounded however the file is written.</summary>
        private sealed class CharSource
        {
            private readonly TextReader _r;
            private readonly char[] _ahead = new char[4];
            private int _count;

            public CharSource(TextReader r) => _r = r;

            /// <summary>Characters consumed so far.</summary>
            public long Position { get; private set; }

            /// <summary>Where the current logical line began, and how long it may grow.</summary>
            public long LineStart;
            public long MaxLine = long.MaxValue;
            public Func<Exception> TooLong = () => new InvalidOperationException("no line limit was set");

            public int Peek(int k = 0)
            {
                while (_count <= k)
                {
                    var c = _r.Read();
                    if (c < 0) return -1;
                    _ahead[_count++] = (char)c;
                }
                return _ahead[k];
            }

            public int Read()
            {
                var c = Peek();
                if (c < 0) return -1;
                Array.Copy(_ahead, 1, _ahead, 0, _count - 1);
                _count--;
                Position++;
                if (Position - LineStart > MaxLine) throw TooLong();
                return c;
            }
        }

        /// <summary>Splits text into logical lines (parentheses join physical lines), each with its first
        /// physical line number, whether it began with white space, and its tokens. Reads as it goes: only one logical
        /// line (at most <paramref name="maxLineChars"/> characters) is held at a time.</summary>
        private static IEnumerable<(int Line, bool StartsWithSpace, List<Token> Tokens)> LogicalLines(CharSource src, string path, int maxLineChars = int.MaxValue)
        {
            var tokens = new List<Token>();
            int line = 1, startLine = 1, depth = 0;
            bool startsWithSpace = false, atLineStart = true;
            src.MaxLine = maxLineChars;
            src.TooLong = () => new ZoneFileException(path, startLine, $"a line is longer than {maxLineChars:N0} characters, the limit") { FromInclude = true };
            while (true)
            {
                var ci = src.Peek();
                var eof = ci < 0;
                char c = eof ? '\n' : (char)ci;
                if (atLineStart && depth == 0)
                {
                    startLine = line;
                    startsWithSpace = c == ' ' || c == '\t';
                    atLineStart = false;
                }
                if (c == '\n')
                {
                    if (depth == 0 || eof)
                    {
                        if (depth > 0) throw new ZoneFileException(path, startLine, "an opening parenthesis is never closed");
                        yield return (startLine, startsWithSpace, tokens);
                        tokens = new List<Token>();
                        atLineStart = true;
                    }
                    line++;
                    if (eof) yield break;
                    src.Read();
                    if (atLineStart) src.LineStart = src.Position;
                    continue;
                }
                if (c == '\r' || c == ' ' || c == '\t') { src.Read(); continue; }
                if (c == ';')
                {
                    while (src.Peek() >= 0 && src.Peek() != '\n') src.Read();
                    continue;
                }
                if (c == '(') { depth++; src.Read(); continue; }
                if (c == ')')
                {
                    if (depth == 0) throw new ZoneFileException(path, line, "a closing parenthesis has no opening one");
                    depth--; src.Read(); continue;
                }
                if (c == '"')
                {
                    var quoteLine = line;
                    src.Read();
                    var bytes = new List<byte>();
                    var closed = false;
                    int ch;
                    while ((ch = src.Peek()) >= 0)
                    {
                        if (ch == '"') { closed = true; src.Read(); break; }
                        if (ch == '\n') line++;
                        if (ch == '\\') { ReadEscape(src, bytes, null, path, line); continue; }
                        AppendChar(bytes, src, null);
                    }
                    if (!closed) throw new ZoneFileException(path, quoteLine, "a quoted string is never closed");
                    var arr = bytes.ToArray();
                    tokens.Add(new Token { Text = Encoding.UTF8.GetString(arr), Bytes = arr, Quoted = true });
                    continue;
                }
                {
                    var sb = new StringBuilder();
                    var bytes = new List<byte>();
                    int ch;
                    while ((ch = src.Peek()) >= 0)
                    {
                        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' || ch == '(' || ch == ')' || ch == '"') break;
                        if (ch == '\\') { ReadEscape(src, bytes, sb, path, line); continue; }
                        AppendChar(bytes, src, sb);
                    }
                    tokens.Add(new Token { Text = sb.ToString(), Bytes = bytes.ToArray(), Quoted = false });
                }
            }
        }

        /// <summary>Consumes one character (a surrogate pair whole) as UTF-8 bytes; <paramref name="raw"/> gets it as written.</summary>
        private static void AppendChar(List<byte> bytes, CharSource src, StringBuilder? raw)
        {
            var c = (char)src.Read();
            string s;
            if (char.IsHighSurrogate(c) && src.Peek() >= 0) s = new string(new[] { c, (char)src.Read() });
            else s = c.ToString();
            bytes.AddRange(Encoding.UTF8.GetBytes(s));
            raw?.Append(s);
        }

        /// <summary>Consumes a backslash escape (\X or \DDD); <paramref name="raw"/> gets it as written.</summary>
        private static void ReadEscape(CharSource src, List<byte> bytes, StringBuilder? raw, string path, int line)
        {
            src.Read(); // the backslash
            raw?.Append('\\');
            if (src.Peek() < 0) throw new ZoneFileException(path, line, "a backslash ends the file");
            if (IsDigit(src.Peek(0)) && IsDigit(src.Peek(1)) && IsDigit(src.Peek(2)))
            {
                var digits = new string(new[] { (char)src.Read(), (char)src.Read(), (char)src.Read() });
                raw?.Append(digits);
                var v = int.Parse(digits, CultureInfo.InvariantCulture);
                if (v > 255) throw new ZoneFileException(path, line, $"escape \\{digits} is over 255");
                bytes.Add((byte)v);
                return;
            }
            AppendChar(bytes, src, raw);
        }

        private static bool IsDigit(int c) => c >= '0' && c <= '9';
    }
}
