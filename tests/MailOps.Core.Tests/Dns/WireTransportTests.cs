using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Tests.Dns
{
    /// <summary>The UDP path against scripted loopback peers: id matching, stray datagrams, ICMP unreachable, malformed answers.</summary>
    public sealed class WireTransportTests
    {
        /// <summary>The query turned into a response with one A record (the name by a compression pointer).</summary>
        private static byte[] Answer(byte[] query, int length, byte[] address, ushort? id = null)
        {
            var r = new byte[length - 11 + 16]; // drop the OPT record, add one A record
            Buffer.BlockCopy(query, 0, r, 0, length - 11);
            r[2] |= 0x80;     // QR
            r[3] = 0x80;      // RA, NOERROR
            r[7] = 1;         // ANCOUNT
            r[11] = 0;        // ARCOUNT
            var p = length - 11;
            byte[] rr = { 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
            Buffer.BlockCopy(rr, 0, r, p, rr.Length);
            Buffer.BlockCopy(address, 0, r, p + rr.Length, 4);
            if (id != null) { r[0] = (byte)(id >> 8); r[1] = (byte)id; }
            return r;
        }

        /// <summary>A UDP peer on loopback that answers each query with what <paramref name="reply"/> returns (several datagrams, in order).</summary>
        private static (UdpClient Peer, Task Loop) Peer(Func<byte[], byte[][]> reply)
        {
            var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var loop = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var q = await peer.ReceiveAsync();
                        foreach (var d in reply(q.Buffer)) await peer.SendAsync(d, d.Length, q.RemoteEndPoint);
                    }
                }
                catch (ObjectDisposedException) { }
                catch (SocketException) { }
            });
            return (peer, loop);
        }

        private static WireDnsResolver Resolver(UdpClient peer, int timeoutMs = 800) =>
            new(new[] { (IPEndPoint)peer.Client.LocalEndPoint! }, TimeSpan.FromMilliseconds(timeoutMs), retries: 0);

        [Fact]
        public async Task A_stray_datagram_with_another_id_is_ignored_and_the_real_answer_taken()
        {
            var (peer, loop) = Peer(q =>
            {
                var id = (ushort)(q[0] << 8 | q[1]);
                return new[]
                {
                    Answer(q, q.Length, new byte[] { 192, 0, 2, 66 }, (ushort)(id ^ 0x5A5A)), // wrong id: dropped
                    new byte[] { 1, 2, 3 },                                                  // not even a header: dropped
                    Answer(q, q.Length, new byte[] { 192, 0, 2, 1 }),
                };
            });
            using (peer)
            {
                var r = await Resolver(peer).QueryAsync("stray.example", DnsRecordType.A, CancellationToken.None);
                Assert.Equal(DnsOutcome.Answer, r.Outcome);
                Assert.Equal("192.0.2.1", Assert.Single(r.RecordsOf<AddressRecord>()).Address.ToString());
            }
            await loop;
        }

        [Fact]
        public async Task Only_datagrams_with_other_ids_is_a_timeout_not_an_exception()
        {
            var (peer, loop) = Peer(q => new[] { Answer(q, q.Length, new byte[] { 192, 0, 2, 66 }, (ushort)((q[0] << 8 | q[1]) ^ 1)) });
            using (peer)
            {
                var r = await Resolver(peer, 300).QueryAsync("stray.example", DnsRecordType.A, CancellationToken.None);
                Assert.Equal(DnsOutcome.Timeout, r.Outcome);
                Assert.Empty(r.Records);
            }
            await loop;
        }

        [Fact]
        public async Task Malformed_answers_are_network_errors_not_exceptions()
        {
            // A compression pointer pointing at itself (a loop), and a record running past the end of the datagram.
            foreach (var mangle in new Func<byte[], byte[]>[]
            {
                a => { a[a.Length - 16] = 0xC0; a[a.Length - 15] = (byte)(a.Length - 16); return a; },
                a => a.Take(a.Length - 2).ToArray(),
            })
            {
                var (peer, loop) = Peer(q => new[] { mangle(Answer(q, q.Length, new byte[] { 192, 0, 2, 1 })) });
                using (peer)
                {
                    var r = await Resolver(peer).QueryAsync("bad.example", DnsRecordType.A, CancellationToken.None);
                    Assert.Equal(DnsOutcome.NetworkError, r.Outcome);
                }
                await loop;
            }
        }

        [Fact]
        public async Task Port_unreachable_is_an_immediate_network_error_not_a_timeout()
        {
            int port;
            using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
            var resolver = new WireDnsResolver(new[] { new IPEndPoint(IPAddress.Loopback, port) }, TimeSpan.FromSeconds(5), retries: 1);
            var sw = Stopwatch.StartNew();
            var r = await resolver.QueryAsync("example.com", DnsRecordType.MX, CancellationToken.None);
            Assert.Equal(DnsOutcome.NetworkError, r.Outcome);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        }

        [Fact]
        public async Task Many_concurrent_questions_share_the_socket_and_each_gets_its_own_answer()
        {
            // Answers go back in reverse order of arrival, in batches of 16: only the id can pair them up.
            var batch = new System.Collections.Concurrent.ConcurrentQueue<byte[]>();
            var (peer, loop) = Peer(q =>
            {
                batch.Enqueue(q);
                if (batch.Count < 16) return Array.Empty<byte[]>();
                var all = new System.Collections.Generic.List<byte[]>();
                while (batch.TryDequeue(out var x)) all.Add(x);
                all.Reverse();
                // the last label of the name (n0..n255) says which address to answer
                return all.Select(x => Answer(x, x.Length, new byte[] { 192, 0, 2, (byte)int.Parse(System.Text.Encoding.ASCII.GetString(x, 14, x[12] - 1)) })).ToArray();
            });
            using (peer)
            {
                var resolver = Resolver(peer, 3000);
                var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => resolver.QueryAsync($"n{i}.example", DnsRecordType.A, CancellationToken.None)));
                for (int i = 0; i < 64; i++)
                {
                    Assert.Equal(DnsOutcome.Answer, results[i].Outcome);
                    Assert.Equal($"192.0.2.{i}", results[i].RecordsOf<AddressRecord>().Single().Address.ToString());
                }
            }
            await loop;
        }
    }
}
