using System;
using System.Collections.Generic;
using System.Net;
using System.Text;

namespace MailOps.Dns
{
    /// <summary>
    /// DNS messages on the wire (RFC 1035 §4, EDNS0 RFC 6891): builds a one-question query and reads a response into
    /// MailOps' own records. Names in responses are read with compression pointers followed only backwards and at
    /// most 255 bytes of name, so a pointer loop or an overlong name is a malformed message, never a hang.
    /// </summary>
    internal static class DnsWire
    {
        public const int HeaderLength = 12;

        /// <summary>A query for <paramref name="name"/> (absolute or not) with RD set and an EDNS0 OPT record
        /// (4096-byte UDP payload, DO when <paramref name="dnssecOk"/>). The id is left 0: <see cref="SetId"/>.</summary>
        public static byte[] BuildQuery(string name, DnsRecordType type, bool dnssecOk)
        {
            var qname = EncodeName(name);
            var msg = new byte[HeaderLength + qname.Length + 4 + 11];
            msg[2] = 0x01;                     // RD
            msg[5] = 1;                        // QDCOUNT
            msg[11] = 1;                       // ARCOUNT (OPT)
            Buffer.BlockCopy(qname, 0, msg, HeaderLength, qname.Length);
            int i = HeaderLength + qname.Length;
            msg[i++] = (byte)((int)type >> 8);
            msg[i++] = (byte)type;
            msg[i++] = 0;
            msg[i++] = 1;                      // IN
            msg[i++] = 0;                      // OPT owner: root
            msg[i++] = 0; msg[i++] = 41;       // TYPE OPT
            msg[i++] = 0x10; msg[i++] = 0x00;  // CLASS = UDP payload size 4096
            msg[i++] = 0; msg[i++] = 0;        // extended RCODE, version
            msg[i++] = dnssecOk ? (byte)0x80 : (byte)0; msg[i++] = 0; // DO
            msg[i++] = 0; msg[i] = 0;          // RDLENGTH
            return msg;
        }

        public static void SetId(byte[] msg, ushort id)
        {
            msg[0] = (byte)(id >> 8);
            msg[1] = (byte)id;
        }

        public static ushort GetId(byte[] msg, int offset = 0) => (ushort)(msg[offset] << 8 | msg[offset + 1]);

        /// <summary>Wire form of a name: labels split on unescaped dots, \DDD and \X escapes understood.</summary>
        internal static byte[] EncodeName(string name)
        {
            var n = DnsName.Normalize(name);
            var output = new List<byte>(n.Length + 2);
            if (n != ".")
            {
                var label = new List<byte>(63);
                for (int i = 0; i < n.Length; i++)
                {
                    char c = n[i];
                    if (c == '\\' && i + 1 < n.Length)
                    {
                        if (i + 3 < n.Length && char.IsDigit(n[i + 1]) && char.IsDigit(n[i + 2]) && char.IsDigit(n[i + 3]))
                        {
                            var v = (n[i + 1] - '0') * 100 + (n[i + 2] - '0') * 10 + (n[i + 3] - '0');
                            if (v > 255) throw new ArgumentException($"'{name}' is not a valid DNS name (escape \\{n.Substring(i + 1, 3)}).");
                            label.Add((byte)v);
                            i += 3;
                        }
                        else label.Add((byte)n[++i]);
                        continue;
                    }
                    if (c == '.')
                    {
                        AddLabel(output, label, name);
                        continue;
                    }
                    if (c < 0x80) label.Add((byte)c);
                    else label.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                }
                AddLabel(output, label, name);
            }
            output.Add(0);
            if (output.Count > 255) throw new ArgumentException($"'{name}' is longer than 255 bytes on the wire, which DNS does not allow.");
            return output.ToArray();
        }

        private static void AddLabel(List<byte> output, List<byte> label, string name)
        {
            if (label.Count == 0) throw new ArgumentException($"'{name}' has an empty label, which DNS does not allow.");
            if (label.Count > 63) throw new ArgumentException($"'{name}' has a label longer than 63 bytes, which DNS does not allow.");
            output.Add((byte)label.Count);
            output.AddRange(label);
            label.Clear();
        }

        /// <summary>A response, read.</summary>
        internal sealed class Response
        {
            public ushort Id;
            public bool IsResponse, Truncated, AuthenticData;
            public int Rcode;
            public List<DnsRecord> Answers = new List<DnsRecord>();
            /// <summary>The question section as the server echoed it (checked by <see cref="DnsAnswerValidator"/>).</summary>
            public List<DnsAnswerValidator.Question> Questions = new List<DnsAnswerValidator.Question>();
            /// <summary>From the first SOA in the authority section, the smaller of its TTL and MINIMUM: how long an empty
            /// answer may be remembered (RFC 2308 §5); null without one.</summary>
            public int? NegativeTtl;
        }

        /// <summary>Reads a response; throws <see cref="FormatException"/> when it is malformed.</summary>
        public static Response Parse(byte[] m, int length)
        {
            if (length < HeaderLength) throw new FormatException("the DNS response is shorter than a header");
            var r = new Response
            {
                Id = GetId(m),
                IsResponse = (m[2] & 0x80) != 0,
                Truncated = (m[2] & 0x02) != 0,
                AuthenticData = (m[3] & 0x20) != 0,
                Rcode = m[3] & 0x0F,
            };
            int qd = U16(m, 4, length), an = U16(m, 6, length), ns = U16(m, 8, length);
            int p = HeaderLength;
            for (int i = 0; i < qd; i++)
            {
                var qname = ReadName(m, ref p, length);
                if (p + 4 > length) throw new FormatException("the DNS response ends inside its question");
                r.Questions.Add(new DnsAnswerValidator.Question(qname, U16(m, p, length), U16(m, p + 2, length)));
                p += 4;
            }
            for (int i = 0; i < an + ns; i++)
            {
                if (r.Truncated && p >= length) break; // a truncated answer may end early
                // Authority records are read only for the negative TTL: their names are skipped, not built.
                string? owner = null;
                if (i < an) owner = ReadName(m, ref p, length);
                else SkipName(m, ref p, length);
                if (p + 10 > length) throw new FormatException("the DNS response ends inside a record");
                int type = U16(m, p, length), cls = U16(m, p + 2, length);
                uint ttl32 = (uint)(m[p + 4] << 24 | m[p + 5] << 16 | m[p + 6] << 8 | m[p + 7]);
                int rdlen = U16(m, p + 8, length);
                p += 10;
                int end = p + rdlen;
                if (end > length) throw new FormatException("the DNS response ends inside a record's data");
                int ttl = (int)Math.Min(ttl32, int.MaxValue);
                if (i < an)
                {
                    var rec = ReadRecord(m, owner!, type, ttl, p, end, length);
                    if (rec != null) r.Answers.Add(rec);
                }
                else if (type == (int)DnsRecordType.SOA && r.NegativeTtl == null)
                {
                    int q = p;
                    SkipName(m, ref q, length); // MNAME
                    SkipName(m, ref q, length); // RNAME
                    if (q + 20 > end) throw new FormatException("an SOA record is too short");
                    r.NegativeTtl = (int)Math.Min(Math.Min((uint)ttl, U32(m, q + 16)), int.MaxValue);
                }
                _ = cls;
                p = end;
            }
            return r;
        }

        private static DnsRecord? ReadRecord(byte[] m, string owner, int type, int ttl, int p, int end, int length)
        {
            switch ((DnsRecordType)type)
            {
                case DnsRecordType.A:
                    if (end - p != 4) throw new FormatException("an A record is not 4 bytes");
                    return new AddressRecord(owner, ttl, new IPAddress(Slice(m, p, 4)));
                case DnsRecordType.AAAA:
                    if (end - p != 16) throw new FormatException("an AAAA record is not 16 bytes");
                    return new AddressRecord(owner, ttl, new IPAddress(Slice(m, p, 16)));
                case DnsRecordType.MX:
                {
                    int pref = U16(m, p, end);
                    int q = p + 2;
                    return new MxRecord(owner, ttl, pref, ReadName(m, ref q, length));
                }
                case DnsRecordType.TXT:
                case DnsRecordType.SPF:
                    return new TxtRecord(owner, ttl, WireDnsResolver.ReadCharacterStrings(Slice(m, p, end - p)), (DnsRecordType)type);
                case DnsRecordType.CNAME:
                case DnsRecordType.PTR:
                case DnsRecordType.NS:
                {
                    int q = p;
                    return new NameRecord(owner, (DnsRecordType)type, ttl, ReadName(m, ref q, length));
                }
                case DnsRecordType.SOA:
                {
                    int q = p;
                    var mname = ReadName(m, ref q, length);
                    var rname = ReadName(m, ref q, length);
                    if (q + 20 > end) throw new FormatException("an SOA record is too short");
                    return new SoaRecord(owner, ttl, mname, rname, U32(m, q), (int)U32(m, q + 4), (int)U32(m, q + 8), (int)U32(m, q + 12), (int)U32(m, q + 16));
                }
                case DnsRecordType.TLSA:
                    if (end - p < 3) throw new FormatException("a TLSA record is too short");
                    return new TlsaRecord(owner, ttl, m[p], m[p + 1], m[p + 2], Slice(m, p + 3, end - p - 3));
                case DnsRecordType.SRV:
                {
                    if (end - p < 7) throw new FormatException("an SRV record is too short");
                    int q = p + 6;
                    return new SrvRecord(owner, ttl, U16(m, p, end), U16(m, p + 2, end), U16(m, p + 4, end), ReadName(m, ref q, length));
                }
                default:
                    // OPT, RRSIG, DS and other types MailOps never asks for are not part of any answer it reads.
                    return null;
            }
        }

        private static byte[] Slice(byte[] m, int p, int n)
        {
            var b = new byte[n];
            Buffer.BlockCopy(m, p, b, 0, n);
            return b;
        }

        private static int U16(byte[] m, int p, int length)
        {
            if (p + 2 > length) throw new FormatException("the DNS response is cut short");
            return m[p] << 8 | m[p + 1];
        }

        private static uint U32(byte[] m, int p) => (uint)(m[p] << 24 | m[p + 1] << 16 | m[p + 2] << 8 | m[p + 3]);

        [ThreadStatic] private static StringBuilder? _nameBuilder;

        /// <summary>Moves past a name with the checks <see cref="ReadName"/> makes, without building it.</summary>
        private static void SkipName(byte[] m, ref int p, int length) => WalkName(m, ref p, length, null);

        /// <summary>A name in presentation form without the trailing dot ("." for the root); dots and backslashes inside a
        /// label are escaped, other bytes outside printable ASCII written as \DDD.</summary>
        private static string ReadName(byte[] m, ref int p, int length)
        {
            // One builder per thread, reused: names are read by the thousand in a sweep.
            var sb = _nameBuilder ?? (_nameBuilder = new StringBuilder(256));
            sb.Clear();
            WalkName(m, ref p, length, sb);
            return sb.Length == 0 ? "." : sb.ToString();
        }

        /// <summary>Follows a name's labels and compression pointers (backwards only, 255 bytes at most), appending the
        /// labels to <paramref name="sb"/> when one is given, and leaves <paramref name="p"/> after the name.</summary>
        private static void WalkName(byte[] m, ref int p, int length, StringBuilder? sb)
        {
            int pos = p, wire = 0, next = -1;
            while (true)
            {
                if (pos >= length) throw new FormatException("the DNS response ends inside a name");
                int len = m[pos];
                if (len == 0)
                {
                    pos++;
                    break;
                }
                if ((len & 0xC0) == 0xC0)
                {
                    if (pos + 1 >= length) throw new FormatException("the DNS response ends inside a name");
                    int target = (len & 0x3F) << 8 | m[pos + 1];
                    if (next < 0) next = pos + 2;
                    if (target >= pos) throw new FormatException("a compression pointer does not point backwards (a loop)");
                    pos = target;
                    continue;
                }
                if ((len & 0xC0) != 0) throw new FormatException("a name uses an unknown label type");
                wire += len + 1;
                if (wire > 255) throw new FormatException("a name is longer than 255 bytes");
                if (pos + 1 + len > length) throw new FormatException("the DNS response ends inside a label");
                if (sb != null)
                {
                    if (sb.Length > 0) sb.Append('.');
                    for (int i = pos + 1; i <= pos + len; i++)
                    {
                        byte b = m[i];
                        if (b == '.' || b == '\\') sb.Append('\\').Append((char)b);
                        else if (b <= 0x20 || b >= 0x7F) sb.Append('\\').Append(((int)b).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
                        else sb.Append((char)b);
                    }
                }
                pos += 1 + len;
            }
            p = next >= 0 ? next : pos;
        }
    }
}
