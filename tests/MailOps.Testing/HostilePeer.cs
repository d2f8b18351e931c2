#nullable enable
using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Testing
{
    /// <summary>
    /// A loopback server that misbehaves on purpose, for the bounds of the transport code: it runs a script on each
    /// connection (after a TLS handshake when <see cref="Certificate"/> is set) - drip one byte at a time, send a line that
    /// never ends, a body that never ends. Scripts end when the client goes away or the peer is disposed.
    /// </summary>
    public sealed class HostilePeer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Func<Stream, CancellationToken, Task> _script;
        private long _bytesSent;

        public HostilePeer(Func<Stream, CancellationToken, Task> script, X509Certificate2? certificate = null)
        {
            _script = script;
            Certificate = certificate;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(AcceptLoop);
        }

        public X509Certificate2? Certificate { get; }
        public int Port { get; }

        /// <summary>Bytes the scripts wrote through <see cref="Send"/>, across connections.</summary>
        public long BytesSent => Interlocked.Read(ref _bytesSent);

        /// <summary>Writes and flushes, counting the bytes.</summary>
        public async Task Send(Stream s, byte[] data, CancellationToken ct)
        {
            await s.WriteAsync(data, ct);
            await s.FlushAsync(ct);
            Interlocked.Add(ref _bytesSent, data.Length);
        }

        public Task Send(Stream s, string text, CancellationToken ct) => Send(s, Encoding.ASCII.GetBytes(text), ct);

        /// <summary>Sends <paramref name="text"/> one byte every <paramref name="interval"/>, then forever more of <paramref name="filler"/>.</summary>
        public async Task Drip(Stream s, string text, TimeSpan interval, CancellationToken ct, char filler = 'x')
        {
            foreach (var c in text)
            {
                await Send(s, new[] { (byte)c }, ct);
                await Task.Delay(interval, ct);
            }
            while (true)
            {
                await Send(s, new[] { (byte)filler }, ct);
                await Task.Delay(interval, ct);
            }
        }

        /// <summary>Sends <paramref name="prefix"/>, then <paramref name="filler"/> bytes as fast as the client reads, forever.</summary>
        public async Task Flood(Stream s, string prefix, CancellationToken ct, byte filler = (byte)'x')
        {
            await Send(s, prefix, ct);
            var chunk = new byte[16384];
            Array.Fill(chunk, filler);
            while (true) await Send(s, chunk, ct);
        }

        /// <summary>Reads request bytes until an empty line (end of HTTP headers) or the end of the stream.</summary>
        public static async Task ReadHeaders(Stream s, CancellationToken ct)
        {
            var last = new byte[4];
            var one = new byte[1];
            while (await s.ReadAsync(one, ct) == 1)
            {
                last[0] = last[1]; last[1] = last[2]; last[2] = last[3]; last[3] = one[0];
                if (last[0] == '\r' && last[1] == '\n' && last[2] == '\r' && last[3] == '\n') return;
            }
        }

        private async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            Stream stream = client.GetStream();
                            if (Certificate != null)
                            {
                                var ssl = new SslStream(stream, false);
                                var ctx = SslStreamCertificateContext.Create(Certificate, new X509Certificate2Collection(), offline: true);
                                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = ctx }, _stop.Token);
                                stream = ssl;
                            }
                            await _script(stream, _stop.Token);
                        }
                        catch (Exception) { /* the client went away, or the test ended */ }
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
