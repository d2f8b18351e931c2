using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace MailOps
{
    /// <summary>
    /// A small, strict JSON reader (RFC 8259) into Dictionary / List / string / double / bool / null, for SMTP TLS
    /// reports, journald JSON lines, warm-up plans and the data files shipped with the module (the blocklist catalogue).
    /// Objects use ordinal keys. Kept instead of System.Text.Json on purpose (docs/ARCHITECTURE.md, "Dependency
    /// loading"): netstandard2.0 has no JSON parser in the box, and the package would add System.Text.Json,
    /// System.Text.Encodings.Web, Microsoft.Bcl.AsyncInterfaces and their facades to `dependencies/`. PowerShell 7 loads
    /// those in MailOps' own context, but Windows PowerShell 5.1 has no load contexts, so there they would clash with the
    /// versions other modules load into the same process. It has its own tests (MiniJsonTests, and the TLS-RPT and
    /// hostile-input suites).
    /// It reads from a <see cref="TextReader"/> (never the whole document as one string) and is bounded: nesting
    /// (<see cref="JsonLimits.MaxDepth"/>), the number of values (<see cref="JsonLimits.MaxValues"/>), the length of a
    /// string (<see cref="JsonLimits.MaxStringChars"/>) and of a number; past a limit it throws
    /// <see cref="JsonLimitException"/> at once, so a hostile document costs memory in proportion to the limits, not to
    /// its size. Numbers that fit a long are longs; others are doubles (possibly infinite: callers check).
    /// </summary>
    /// <remarks>Bounds of one JSON document: <see cref="JsonLimits"/>.</remarks>
    internal sealed class JsonLimits
    {
        public int MaxDepth { get; set; } = 64;
        public long MaxValues { get; set; } = 1_000_000;
        public int MaxStringChars { get; set; } = 1 << 20;
        public int MaxNumberChars { get; set; } = 64;
    }

    /// <summary>A JSON document exceeds one of its <see cref="JsonLimits"/>.</summary>
    internal sealed class JsonLimitException : FormatException
    {
        public JsonLimitException(string message) : base(message) { }
    }

    internal sealed class MiniJson
    {
        private readonly TextReader _r;
        private readonly JsonLimits _limits;
        private int _depth;
        private long _values;
        private int _line = 1, _col = 1;

        private MiniJson(TextReader r, JsonLimits? limits)
        {
            _r = r;
            _limits = limits ?? new JsonLimits();
        }

        public static object? Parse(string text) => Parse(new StringReader(text), null);

        /// <summary>Parses one JSON value from <paramref name="reader"/>, which must hold nothing else but white space.</summary>
        public static object? Parse(TextReader reader, JsonLimits? limits)
        {
            var p = new MiniJson(reader, limits);
            if (p.Peek() == '\uFEFF') p.Next(); // a UTF-8 BOM left in by an editor
            p.Ws();
            var v = p.Value();
            p.Ws();
            if (p.Peek() != -1) throw p.Error("unexpected text after the end of the JSON value");
            return v;
        }

        private int Peek() => _r.Peek();

        private int Next()
        {
            var c = _r.Read();
            if (c == '\n') { _line++; _col = 1; } else if (c != -1) _col++;
            return c;
        }

        private FormatException Error(string what) => new FormatException($"JSON {what} at line {_line}, column {_col}");

        private JsonLimitException Limit(string what) => new JsonLimitException($"JSON {what} at line {_line}, column {_col}");

        private void Ws()
        {
            int c;
            while ((c = Peek()) == ' ' || c == '\t' || c == '\r' || c == '\n') Next();
        }

        private void Count()
        {
            if (++_values > _limits.MaxValues) throw Limit($"has more than {_limits.MaxValues:N0} values, the limit");
        }

        private object? Value()
        {
            var c = Peek();
            if (c == -1) throw Error("ends early");
            Count();
            switch (c)
            {
                case '{': return Obj();
                case '[': return Arr();
                case '"': return Str();
                case 't': Lit("true"); return true;
                case 'f': Lit("false"); return false;
                case 'n': Lit("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return Num();
                    throw Error($"unexpected character '{(char.IsControl((char)c) ? '?' : (char)c)}'");
            }
        }

        private void Lit(string word)
        {
            foreach (var ch in word)
                if (Next() != ch) throw Error("invalid literal");
        }

        private object Num()
        {
            var sb = new StringBuilder();
            int c;
            while ((c = Peek()) != -1 && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            {
                if (sb.Length >= _limits.MaxNumberChars) throw Limit($"has a number longer than {_limits.MaxNumberChars} characters");
                sb.Append((char)Next());
            }
            var t = sb.ToString();
            if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            throw Error($"invalid number '{t}'");
        }

        private string Str()
        {
            Next(); // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                var c = Next();
                if (c == -1) throw Error("unterminated string");
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Error("control character in a string");
                if (sb.Length >= _limits.MaxStringChars) throw Limit($"has a string longer than {_limits.MaxStringChars:N0} characters");
                if (c != '\\') { sb.Append((char)c); continue; }
                var e = Next();
                switch (e)
                {
                    case -1: throw Error("unterminated string");
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        var hex = new char[4];
                        for (int k = 0; k < 4; k++)
                        {
                            var h = Next();
                            if (h == -1) throw Error("invalid \\u escape");
                            hex[k] = (char)h;
                        }
                        if (!int.TryParse(new string(hex), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u))
                            throw Error("invalid \\u escape");
                        sb.Append((char)u);
                        break;
                    default: throw Error($"invalid escape '\\{(char.IsControl((char)e) ? '?' : (char)e)}'");
                }
            }
        }

        private void Enter()
        {
            if (++_depth > _limits.MaxDepth) throw Limit($"nests deeper than {_limits.MaxDepth} levels");
        }

        private Dictionary<string, object?> Obj()
        {
            Enter();
            Next();
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            Ws();
            if (Peek() == '}') { Next(); _depth--; return d; }
            while (true)
            {
                Ws();
                if (Peek() != '"') throw Error("expected a property name");
                var key = Str();
                Ws();
                if (Next() != ':') throw Error("expected ':'");
                Ws();
                d[key] = Value();
                Ws();
                var c = Next();
                if (c == ',') continue;
                if (c == '}') { _depth--; return d; }
                throw Error("expected ',' or '}'");
            }
        }

        private List<object?> Arr()
        {
            Enter();
            Next();
            var list = new List<object?>();
            Ws();
            if (Peek() == ']') { Next(); _depth--; return list; }
            while (true)
            {
                Ws();
                list.Add(Value());
                Ws();
                var c = Next();
                if (c == ',') continue;
                if (c == ']') { _depth--; return list; }
                throw Error("expected ',' or ']'");
            }
        }
    }
}
