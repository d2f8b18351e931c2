using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Testing
{
    /// <summary>
    /// A deliberately hostile DNS server on 127.0.0.1: a raw UDP (and TCP) responder that sends crafted bytes for the
    /// names it is told about (records owned by another name, a question section that does not echo the question, a
    /// wrong message id, a compression-pointer loop, thousands of TXT strings, CNAME loops) and relays every other
    /// question, byte for byte, to an upstream <see cref="FixtureDnsServer"/>. Replies over 1232 bytes go out over UDP
    /// as a truncated header, then in full over TCP, as a real server does.
    /// </summary>
    public sealed class HostileDnsServer : IDisposable
    {
        private readonly UdpClient _udp;
        private readonly TcpListener _tcp;
        private readonly IPEndPoint? _upstream;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<string, Func<DnsWireQuery, byte[]?>> _crafted = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentQueue<string> _log = new();

        private HostileDnsServer(UdpClient udp, TcpListener tcp, IPEndPoint? upstream)
        {
            _udp = udp;
            _tcp = tcp;
            _upstream = upstream;
            _ = Task.Run(UdpLoop);
            _ = Task.Run(TcpLoop);
        }

        /// <summary>Starts a hostile server; questions it has no crafted reply for go to <paramref name="upstream"/>
        /// (no reply when there is none).</summary>
        public static HostileDnsServer Start(FixtureDnsServer? upstream = null)
        {
            for (int attempt = 0; ; attempt++)
            {
                var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
                try
                {
                    var tcp = new TcpListener(IPAddress.Loopback, port);
                    tcp.Start();
                    return new HostileDnsServer(udp, tcp, upstream?.EndPoint);
                }
                catch (SocketException) when (attempt < 20)
                {
                    udp.Dispose();
                }
            }
        }

        public int Port => ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;

        public string ServerSpec => $"127.0.0.1:{Port}";

        public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

        /// <summary>How many questions for <paramref name="name"/> arrived (any type).</summary>
        public int QueryCount(string name) => _log.Count(n => string.Equals(n, name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));

        /// <summary>Answers every question for <paramref name="name"/> with the bytes <paramref name="craft"/> builds from the
        /// query (null: no reply at all).</summary>
        public void Respond(string name, Func<DnsWireQuery, byte[]?> craft) => _crafted[name.TrimEnd('.')] = craft;

        /// <summary>Answers questions for <paramref name="name"/> with records owned by whatever names they carry,
        /// whatever was asked.</summary>
        public void RespondWith(string name, params DnsWireRecord[] answers) => Respond(name, q => DnsWire.Reply(q, answers));

        private byte[]? Handle(byte[] query)
        {
            DnsWireQuery q;
            try { q = DnsWire.ParseQuery(query); }
            catch (Exception) { return null; }
            _log.Enqueue(q.Name);
            if (_crafted.TryGetValue(q.Name, out var craft)) return craft(q);
            return _upstream == null ? null : Relay(query);
        }

        private byte[]? Relay(byte[] query)
        {
            using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            client.Client.ReceiveTimeout = 3000;
            client.Send(query, query.Length, _upstream!);
            try
            {
                IPEndPoint? from = null;
                return client.Receive(ref from);
            }
            catch (SocketException) { return null; }
        }

        private async Task UdpLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveResult received;
                try { received = await _udp.ReceiveAsync(_stop.Token).ConfigureAwait(false); }
                catch (Exception) { if (_stop.IsCancellationRequested) return; continue; }
                _ = Task.Run(async () =>
                {
                    var reply = Handle(received.Buffer);
                    if (reply == null) return;
                    if (reply.Length > 1232) reply = DnsWire.TruncatedHeader(reply);
                    try { await _udp.SendAsync(reply, reply.Length, received.RemoteEndPoint).ConfigureAwait(false); }
                    catch (Exception) { }
                });
            }
        }

        private async Task TcpLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _tcp.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
                catch (Exception) { if (_stop.IsCancellationRequested) return; continue; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            var stream = client.GetStream();
                            var len = new byte[2];
                            await stream.ReadExactlyAsync(len, _stop.Token).ConfigureAwait(false);
                            var query = new byte[(len[0] << 8) | len[1]];
                            await stream.ReadExactlyAsync(query, _stop.Token).ConfigureAwait(false);
                            var reply = Handle(query);
                            if (reply == null) return;
                            var framed = new byte[reply.Length + 2];
                            framed[0] = (byte)(reply.Length >> 8);
                            framed[1] = (byte)reply.Length;
                            reply.CopyTo(framed, 2);
                            await stream.WriteAsync(framed, _stop.Token).ConfigureAwait(false);
                        }
                        catch (Exception) { }
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _udp.Dispose();
            _tcp.Stop();
        }
    }

    /// <summary>A query as read from the wire.</summary>
    public sealed class DnsWireQuery
    {
        public DnsWireQuery(ushort id, string name, ushort type, ushort @class, byte[] raw, int questionEnd)
        {
            Id = id;
            Name = name;
            Type = type;
            Class = @class;
            Raw = raw;
            QuestionEnd = questionEnd;
        }

        public ushort Id { get; }
        public string Name { get; }
        public ushort Type { get; }
        public ushort Class { get; }
        public byte[] Raw { get; }
        /// <summary>The offset just past the question section.</summary>
        public int QuestionEnd { get; }
    }

    /// <summary>One record to put in a crafted reply: owner, type code and RDATA bytes.</summary>
    public sealed record DnsWireRecord(string Owner, ushort Type, byte[] Data, uint Ttl = 300)
    {
        public static DnsWireRecord Txt(string owner, params string[] strings) =>
            new(owner, 16, DnsWire.CharacterStrings(strings.Select(Encoding.UTF8.GetBytes)));

        public static DnsWireRecord TxtBytes(string owner, IEnumerable<byte[]> strings) => new(owner, 16, DnsWire.CharacterStrings(strings));

        public static DnsWireRecord A(string owner, string address) => new(owner, 1, IPAddress.Parse(address).GetAddressBytes());

        public static DnsWireRecord Mx(string owner, ushort preference, string exchange) =>
            new(owner, 15, new[] { (byte)(preference >> 8), (byte)preference }.Concat(DnsWire.EncodeName(exchange)).ToArray());

        public static DnsWireRecord Cname(string owner, string target) => new(owner, 5, DnsWire.EncodeName(target));
    }

    /// <summary>Builds DNS messages byte by byte (uncompressed names), for replies no real server would send.</summary>
    public static class DnsWire
    {
        public static DnsWireQuery ParseQuery(byte[] m)
        {
            var id = (ushort)((m[0] << 8) | m[1]);
            int i = 12;
            var labels = new List<string>();
            while (m[i] != 0)
            {
                int len = m[i++];
                labels.Add(Encoding.ASCII.GetString(m, i, len));
                i += len;
            }
            i++;
            var type = (ushort)((m[i] << 8) | m[i + 1]);
            var cls = (ushort)((m[i + 2] << 8) | m[i + 3]);
            return new DnsWireQuery(id, string.Join(".", labels), type, cls, m, i + 4);
        }

        public static byte[] EncodeName(string name)
        {
            var bytes = new List<byte>();
            foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                var l = Encoding.ASCII.GetBytes(label);
                bytes.Add((byte)l.Length);
                bytes.AddRange(l);
            }
            bytes.Add(0);
            return bytes.ToArray();
        }

        public static byte[] CharacterStrings(IEnumerable<byte[]> strings)
        {
            var data = new List<byte>();
            foreach (var s in strings)
            {
                if (s.Length > 255) throw new ArgumentException("A character-string holds at most 255 bytes.");
                data.Add((byte)s.Length);
                data.AddRange(s);
            }
            return data.ToArray();
        }

        /// <summary>A reply to <paramref name="q"/> carrying <paramref name="answers"/> as they are. <paramref name="id"/>,
        /// <paramref name="questionName"/> and <paramref name="questionType"/> override what is echoed.</summary>
        public static byte[] Reply(DnsWireQuery q, IEnumerable<DnsWireRecord> answers, ushort? id = null, string? questionName = null,
            ushort? questionType = null, int rcode = 0, bool echoQuestion = true)
        {
            var list = answers.ToList();
            var m = new List<byte>();
            var xid = id ?? q.Id;
            m.Add((byte)(xid >> 8)); m.Add((byte)xid);
            m.Add(0x81); m.Add((byte)(0x80 | rcode)); // QR RD, RA + rcode
            AddUInt16(m, echoQuestion ? 1 : 0);
            AddUInt16(m, list.Count);
            AddUInt16(m, 0);
            AddUInt16(m, 0);
            if (echoQuestion)
            {
                m.AddRange(EncodeName(questionName ?? q.Name));
                AddUInt16(m, questionType ?? q.Type);
                AddUInt16(m, q.Class);
            }
            foreach (var r in list)
            {
                m.AddRange(EncodeName(r.Owner));
                AddUInt16(m, r.Type);
                AddUInt16(m, 1);
                m.Add((byte)(r.Ttl >> 24)); m.Add((byte)(r.Ttl >> 16)); m.Add((byte)(r.Ttl >> 8)); m.Add((byte)r.Ttl);
                AddUInt16(m, r.Data.Length);
                m.AddRange(r.Data);
            }
            return m.ToArray();
        }

        /// <summary>A reply whose one answer's owner name is a compression pointer to itself.</summary>
        public static byte[] CompressionLoop(DnsWireQuery q)
        {
            var m = new List<byte>();
            m.Add((byte)(q.Id >> 8)); m.Add((byte)q.Id);
            m.Add(0x81); m.Add(0x80);
            AddUInt16(m, 1); AddUInt16(m, 1); AddUInt16(m, 0); AddUInt16(m, 0);
            m.AddRange(q.Raw.Skip(12).Take(q.QuestionEnd - 12));
            int self = m.Count;
            m.Add((byte)(0xC0 | (self >> 8))); m.Add((byte)self);
            AddUInt16(m, q.Type); AddUInt16(m, 1);
            m.AddRange(new byte[] { 0, 0, 1, 44 });
            AddUInt16(m, 4);
            m.AddRange(new byte[] { 192, 0, 2, 1 });
            return m.ToArray();
        }

        /// <summary>The header and question of a reply with the TC bit set and no records.</summary>
        public static byte[] TruncatedHeader(byte[] reply)
        {
            int i = 12;
            while (reply[i] != 0 && (reply[i] & 0xC0) == 0) i += reply[i] + 1;
            i += (reply[i] & 0xC0) == 0xC0 ? 2 : 1;
            i += 4;
            var m = reply.Take(i).ToArray();
            m[2] |= 0x02;
            m[6] = m[7] = m[8] = m[9] = m[10] = m[11] = 0;
            return m;
        }

        private static void AddUInt16(List<byte> m, int v)
        {
            m.Add((byte)(v >> 8));
            m.Add((byte)v);
        }
    }
}
