using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MailOps
{
    /// <summary>
    /// A small, strict JSON reader (RFC 8259) into Dictionary / List / string / double / bool / null, for SMTP TLS
    /// reports and the data files shipped with the module (the blocklist catalogue). Objects use ordinal keys. netstandard2.0 has no JSON parser in the box; the System.Text.Json package would add System.Text.Json,
    /// System.Text.Encodings.Web and Microsoft.Bcl.AsyncInterfaces to the module folder, whose versions clash with the
    /// ones other modules load into the same Windows PowerShell 5.1 / PowerShell 7 process (no assembly isolation there). TLS reports are small, so a 200-line reader is enough.
    /// Nesting is limited to 64 levels.
    /// </summary>
    internal sealed class MiniJson
    {
        private readonly string _s;
        private int _i;
        private int _depth;

        private MiniJson(string s) => _s = s;

        public static object Parse(string text)
        {
            var p = new MiniJson(text);
            if (p._i < p._s.Length && p._s[p._i] == '\uFEFF') p._i++; // a UTF-8 BOM left in by an editor
            p.Ws();
            var v = p.Value();
            p.Ws();
            if (p._i != p._s.Length) throw p.Error("unexpected text after the end of the JSON value");
            return v;
        }

        private FormatException Error(string what)
        {
            int line = 1, col = 1;
            for (int k = 0; k < _i && k < _s.Length; k++) { if (_s[k] == '\n') { line++; col = 1; } else col++; }
            return new FormatException($"JSON {what} at line {line}, column {col}");
        }

        private void Ws()
        {
            while (_i < _s.Length && (_s[_i] == ' ' || _s[_i] == '\t' || _s[_i] == '\r' || _s[_i] == '\n')) _i++;
        }

        private object Value()
        {
            if (_i >= _s.Length) throw Error("ends early");
            switch (_s[_i])
            {
                case '{': return Obj();
                case '[': return Arr();
                case '"': return Str();
                case 't': Lit("true"); return true;
                case 'f': Lit("false"); return false;
                case 'n': Lit("null"); return null;
                default:
                    if (_s[_i] == '-' || char.IsDigit(_s[_i])) return Num();
                    throw Error($"unexpected character '{_s[_i]}'");
            }
        }

        private void Lit(string word)
        {
            if (string.CompareOrdinal(_s, _i, word, 0, word.Length) != 0) throw Error("invalid literal");
            _i += word.Length;
        }

        private object Num()
        {
            int start = _i;
            if (_s[_i] == '-') _i++;
            while (_i < _s.Length && (char.IsDigit(_s[_i]) || _s[_i] == '.' || _s[_i] == 'e' || _s[_i] == 'E' || _s[_i] == '+' || _s[_i] == '-')) _i++;
            var t = _s.Substring(start, _i - start);
            if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            _i = start;
            throw Error($"invalid number '{t}'");
        }

        private string Str()
        {
            _i++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_i >= _s.Length) throw Error("unterminated string");
                var c = _s[_i++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Error("control character in a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (_i >= _s.Length) throw Error("unterminated string");
                var e = _s[_i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_i + 4 > _s.Length || !int.TryParse(_s.Substring(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u))
                            throw Error("invalid \\u escape");
                        sb.Append((char)u);
                        _i += 4;
                        break;
                    default: throw Error($"invalid escape '\\{e}'");
                }
            }
        }

        private Dictionary<string, object> Obj()
        {
            if (++_depth > 64) throw Error("nests deeper than 64 levels");
            _i++;
            var d = new Dictionary<string, object>(StringComparer.Ordinal);
            Ws();
            if (_i < _s.Length && _s[_i] == '}') { _i++; _depth--; return d; }
            while (true)
            {
                Ws();
                if (_i >= _s.Length || _s[_i] != '"') throw Error("expected a property name");
                var key = Str();
                Ws();
                if (_i >= _s.Length || _s[_i] != ':') throw Error("expected ':'");
                _i++;
                Ws();
                d[key] = Value();
                Ws();
                if (_i < _s.Length && _s[_i] == ',') { _i++; continue; }
                if (_i < _s.Length && _s[_i] == '}') { _i++; _depth--; return d; }
                throw Error("expected ',' or '}'");
            }
        }

        private List<object> Arr()
        {
            if (++_depth > 64) throw Error("nests deeper than 64 levels");
            _i++;
            var list = new List<object>();
            Ws();
            if (_i < _s.Length && _s[_i] == ']') { _i++; _depth--; return list; }
            while (true)
            {
                Ws();
                list.Add(Value());
                Ws();
                if (_i < _s.Length && _s[_i] == ',') { _i++; continue; }
                if (_i < _s.Length && _s[_i] == ']') { _i++; _depth--; return list; }
                throw Error("expected ',' or ']'");
            }
        }
    }
}
