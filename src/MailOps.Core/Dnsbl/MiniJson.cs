using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MailOps.Dnsbl
{
    /// <summary>
    /// A small strict JSON reader (RFC 8259) for the data files shipped with the module. Objects become
    /// <see cref="Dictionary{TKey,TValue}"/> (ordinal keys), arrays <see cref="List{T}"/>, numbers <see cref="double"/>.
    /// The engine targets netstandard2.0 and carries no JSON package; the catalogue is small and read once.
    /// </summary>
    internal sealed class MiniJson
    {
        private readonly string _text;
        private int _pos;

        private MiniJson(string text) => _text = text;

        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var p = new MiniJson(text);
            if (p._pos < text.Length && text[p._pos] == '\uFEFF') p._pos++;
            var value = p.ReadValue();
            p.SkipWhite();
            if (p._pos != text.Length) throw p.Error("text after the end of the document");
            return value;
        }

        private FormatException Error(string what)
        {
            int line = 1, col = 1;
            for (int i = 0; i < _pos && i < _text.Length; i++)
            {
                if (_text[i] == '\n') { line++; col = 1; }
                else col++;
            }
            return new FormatException($"JSON line {line}, column {col}: {what}.");
        }

        private void SkipWhite()
        {
            while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t' || _text[_pos] == '\r' || _text[_pos] == '\n')) _pos++;
        }

        private object ReadValue()
        {
            SkipWhite();
            if (_pos >= _text.Length) throw Error("unexpected end of the document");
            var c = _text[_pos];
            switch (c)
            {
                case '{': return ReadObject();
                case '[': return ReadArray();
                case '"': return ReadString();
                case 't': Expect("true"); return true;
                case 'f': Expect("false"); return false;
                case 'n': Expect("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                    throw Error($"unexpected character '{c}'");
            }
        }

        private void Expect(string word)
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) throw Error($"expected '{word}'");
            _pos += word.Length;
        }

        private Dictionary<string, object> ReadObject()
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            _pos++; // {
            SkipWhite();
            if (_pos < _text.Length && _text[_pos] == '}') { _pos++; return result; }
            while (true)
            {
                SkipWhite();
                if (_pos >= _text.Length || _text[_pos] != '"') throw Error("expected a property name in double quotes");
                var key = ReadString();
                SkipWhite();
                if (_pos >= _text.Length || _text[_pos] != ':') throw Error("expected ':'");
                _pos++;
                if (result.ContainsKey(key)) throw Error($"duplicate property '{key}'");
                result[key] = ReadValue();
                SkipWhite();
                if (_pos >= _text.Length) throw Error("unexpected end inside an object");
                if (_text[_pos] == ',') { _pos++; continue; }
                if (_text[_pos] == '}') { _pos++; return result; }
                throw Error("expected ',' or '}'");
            }
        }

        private List<object> ReadArray()
        {
            var result = new List<object>();
            _pos++; // [
            SkipWhite();
            if (_pos < _text.Length && _text[_pos] == ']') { _pos++; return result; }
            while (true)
            {
                result.Add(ReadValue());
                SkipWhite();
                if (_pos >= _text.Length) throw Error("unexpected end inside an array");
                if (_text[_pos] == ',') { _pos++; continue; }
                if (_text[_pos] == ']') { _pos++; return result; }
                throw Error("expected ',' or ']'");
            }
        }

        private string ReadString()
        {
            _pos++; // "
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= _text.Length) throw Error("unterminated string");
                var c = _text[_pos++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Error("control character inside a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (_pos >= _text.Length) throw Error("unterminated escape");
                var e = _text[_pos++];
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
                        if (_pos + 4 > _text.Length || !int.TryParse(_text.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);
                        _pos += 4;
                        break;
                    default: throw Error($"bad escape '\\{e}'");
                }
            }
        }

        private double ReadNumber()
        {
            int start = _pos;
            if (_text[_pos] == '-') _pos++;
            while (_pos < _text.Length && "0123456789.eE+-".IndexOf(_text[_pos]) >= 0) _pos++;
            if (!double.TryParse(_text.Substring(start, _pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                throw Error("bad number");
            return d;
        }
    }
}
