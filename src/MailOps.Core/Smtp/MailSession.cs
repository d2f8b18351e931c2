using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Smtp
{
    /// <summary>Why a mail service could not be probed at all.</summary>
    public enum MailConnectionFailure
    {
        /// <summary>The TCP connection was actively refused (RST): nothing listens, or a firewall rejects.</summary>
        Refused,
        /// <summary>The TCP connection did not complete in time: the host is down or a firewall drops the packets.</summary>
        Timeout,
        /// <summary>The connection was accepted but no greeting came in time.</summary>
        NoBanner,
        /// <summary>The server closed the connection.</summary>
        Closed,
        /// <summary>The host name did not resolve, or another network error.</summary>
        NetworkError,
    }

    /// <summary>The probe of one host and port could not run: a failure, not a finding.</summary>
    public sealed class MailConnectionException : Exception
    {
        public MailConnectionException(string host, int port, MailConnectionFailure failure, string message, Exception inner = null)
            : base(message, inner)
        {
            Host = host;
            Port = port;
            Failure = failure;
        }

        public string Host { get; }
        public int Port { get; }
        public MailConnectionFailure Failure { get; }
    }

    /// <summary>One SMTP reply: the code and the text of each line.</summary>
    internal sealed class SmtpReply
    {
        public SmtpReply(int code, IReadOnlyList<string> lines)
        {
            Code = code;
            Lines = lines;
        }

        public int Code { get; }
        public IReadOnlyList<string> Lines { get; }
        public string Text => string.Join(" ", Lines);
        public override string ToString() => $"{Code} {Text}";
    }

    /// <summary>What a TLS handshake gave: the negotiated parameters and everything the server presented, captured even
    /// when the certificate would not validate (so a bad certificate is reported as such, not as a failed handshake).</summary>
    internal sealed class TlsHandshake
    {
        public string Version;
        public string CipherSuite;
        public X509Certificate2 Leaf;
        /// <summary>Every certificate seen: those the server sent, and the chain the platform built from them.</summary>
        public List<X509Certificate2> Presented = new List<X509Certificate2>();
        /// <summary>Only the certificates the server sent (DANE-TA needs the trust anchor in the server's own chain, RFC 7671 §5.2.2).</summary>
        public List<X509Certificate2> Sent = new List<X509Certificate2>();
        public SslPolicyErrors PolicyErrors;
    }

    /// <summary>
    /// A small line-oriented mail protocol client over TcpClient and SslStream. It gives the checks what a full client
    /// library hides: the time to the banner, the raw EHLO/CAPABILITY lines, the moment of STARTTLS, and the server's
    /// certificate chain whatever its validity. Every step has its own timeout; Ctrl+C cancels any step.
    /// </summary>
    internal sealed class MailSession : IDisposable
    {
        private const int MaxLine = 8192;
        private readonly TcpClient _tcp;
        private readonly string _host;
        private readonly int _port;
        private Stream _stream;
        private readonly byte[] _buffer = new byte[16384];
        private int _start;
        private int _end;

        private MailSession(TcpClient tcp, string host, int port)
        {
            _tcp = tcp;
            _host = host;
            _port = port;
            _stream = tcp.GetStream();
            RemoteAddress = (tcp.Client.RemoteEndPoint as IPEndPoint)?.Address;
            LocalAddress = (tcp.Client.LocalEndPoint as IPEndPoint)?.Address;
        }

        public IPAddress RemoteAddress { get; }
        public IPAddress LocalAddress { get; }
        public bool IsTls => _stream is SslStream;

        /// <summary>Connects to the first of <paramref name="addresses"/> that answers (in order), within
        /// <paramref name="timeout"/> overall. <paramref name="host"/> is the name used in messages.</summary>
        public static async Task<MailSession> ConnectAsync(string host, IReadOnlyList<IPAddress> addresses, int port, TimeSpan timeout, CancellationToken ct)
        {
            if (addresses == null || addresses.Count == 0)
                throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"{host} has no address to connect to.");
            var clock = Stopwatch.StartNew();
            MailConnectionException last = null;
            foreach (var raw in addresses)
            {
                var ip = raw.IsIPv4MappedToIPv6 ? raw.MapToIPv4() : raw;
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) break;
                var tcp = new TcpClient(ip.AddressFamily);
                try
                {
                    using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        cts.CancelAfter(left);
                        using (cts.Token.Register(() => tcp.Dispose()))
                        {
                            try
                            {
                                await tcp.ConnectAsync(ip, port).ConfigureAwait(false);
                            }
                            catch (Exception) when (ct.IsCancellationRequested)
                            {
                                throw new OperationCanceledException(ct);
                            }
                            catch (Exception ex) when (cts.IsCancellationRequested)
                            {
                                throw new MailConnectionException(host, port, MailConnectionFailure.Timeout,
                                    $"Connecting to {host} ({ip}) port {port} timed out after {timeout.TotalSeconds:0.#} s: the host is down, or a firewall drops the packets.", ex);
                            }
                        }
                    }
                    tcp.NoDelay = true;
                    return new MailSession(tcp, host, port);
                }
                catch (MailConnectionException ex)
                {
                    tcp.Dispose();
                    last = ex;
                }
                catch (SocketException ex)
                {
                    tcp.Dispose();
                    if (ex.SocketErrorCode == SocketError.ConnectionRefused)
                        last = new MailConnectionException(host, port, MailConnectionFailure.Refused,
                            $"{host} ({ip}) refused the connection on port {port}: nothing listens there, or a firewall rejects it.", ex);
                    else if (ex.SocketErrorCode == SocketError.TimedOut)
                        last = new MailConnectionException(host, port, MailConnectionFailure.Timeout,
                            $"Connecting to {host} ({ip}) port {port} timed out: the host is down, or a firewall drops the packets.", ex);
                    else
                        last = new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"Could not connect to {host} ({ip}) port {port}: {ex.Message}", ex);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    tcp.Dispose();
                    last = new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"Could not connect to {host} ({ip}) port {port}: {ex.Message}", ex);
                }
                catch (OperationCanceledException)
                {
                    tcp.Dispose();
                    throw;
                }
            }
            throw last ?? new MailConnectionException(host, port, MailConnectionFailure.Timeout,
                $"Connecting to {host} port {port} timed out after {timeout.TotalSeconds:0.#} s.");
        }

        /// <summary>The addresses of a host: the literal itself, or the system resolver's answer.</summary>
        public static async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, int port, CancellationToken ct)
        {
            var h = host.Trim().Trim('[', ']');
            if (IPAddress.TryParse(h, out var ip)) return new[] { ip };
            try
            {
                var task = System.Net.Dns.GetHostAddressesAsync(h);
                var done = await Task.WhenAny(task, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                var list = (await task.ConfigureAwait(false))
                    .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToList();
                if (list.Count == 0) throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"{host} has no address.");
                return list;
            }
            catch (SocketException ex)
            {
                throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"The host name {host} could not be resolved: {ex.Message}", ex);
            }
        }

        /// <summary>Runs one step with its own timeout. The socket is closed when the time is up, so no step can hang.</summary>
        private async Task<T> Step<T>(Func<CancellationToken, Task<T>> work, TimeSpan timeout, string what, CancellationToken ct)
        {
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                cts.CancelAfter(timeout);
                using (cts.Token.Register(() => _tcp.Dispose()))
                {
                    try
                    {
                        return await work(cts.Token).ConfigureAwait(false);
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(ct);
                    }
                    catch (Exception ex) when (cts.IsCancellationRequested)
                    {
                        throw new TimeoutException($"{what} timed out after {timeout.TotalSeconds:0.#} s.", ex);
                    }
                }
            }
        }

        /// <summary>Reads one line without its CRLF; null at end of stream.</summary>
        public Task<string> ReadLineAsync(TimeSpan timeout, CancellationToken ct) => Step(ReadLineCore, timeout, $"Waiting for {_host} port {_port}", ct);

        private async Task<string> ReadLineCore(CancellationToken ct)
        {
            while (true)
            {
                for (int i = _start; i < _end; i++)
                {
                    if (_buffer[i] != (byte)'\n') continue;
                    var len = i - _start;
                    if (len > 0 && _buffer[i - 1] == (byte)'\r') len--;
                    var line = Encoding.UTF8.GetString(_buffer, _start, len);
                    _start = i + 1;
                    return line;
                }
                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_end >= MaxLine)
                    throw new IOException($"{_host} port {_port} sent a line longer than {MaxLine} bytes.");
                var n = await _stream.ReadAsync(_buffer, _end, _buffer.Length - _end, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    if (_end == _start) return null;
                    var rest = Encoding.UTF8.GetString(_buffer, _start, _end - _start);
                    _start = _end = 0;
                    return rest;
                }
                _end += n;
            }
        }

        /// <summary>Reads a complete (possibly multi-line) SMTP reply; null when the server closed the connection first.</summary>
        public async Task<SmtpReply> ReadReplyAsync(TimeSpan timeout, CancellationToken ct)
        {
            var deadline = Stopwatch.StartNew();
            var lines = new List<string>();
            int code = 0;
            while (true)
            {
                var left = timeout - deadline.Elapsed;
                if (left <= TimeSpan.Zero) left = TimeSpan.FromMilliseconds(1);
                var line = await ReadLineAsync(left, ct).ConfigureAwait(false);
                if (line == null) return lines.Count == 0 ? null : new SmtpReply(code, lines);
                if (line.Length < 3 || !int.TryParse(line.Substring(0, 3), out var c))
                    throw new IOException($"{_host} port {_port} sent a line that is not an SMTP reply: '{Truncate(line)}'.");
                code = c;
                var more = line.Length > 3 && line[3] == '-';
                lines.Add(line.Length > 4 ? line.Substring(4) : "");
                if (!more) return new SmtpReply(code, lines);
                if (lines.Count > 200) throw new IOException($"{_host} port {_port} sent an SMTP reply of more than 200 lines.");
            }
        }

        public Task WriteLineAsync(string line, TimeSpan timeout, CancellationToken ct) =>
            Step(async t =>
            {
                var bytes = Encoding.ASCII.GetBytes(line + "\r\n");
                await _stream.WriteAsync(bytes, 0, bytes.Length, t).ConfigureAwait(false);
                await _stream.FlushAsync(t).ConfigureAwait(false);
                return true;
            }, timeout, $"Sending to {_host} port {_port}", ct);

        public async Task<SmtpReply> CommandAsync(string line, TimeSpan timeout, CancellationToken ct)
        {
            await WriteLineAsync(line, timeout, ct).ConfigureAwait(false);
            return await ReadReplyAsync(timeout, ct).ConfigureAwait(false);
        }

        /// <summary>Performs the TLS handshake on the connection (after STARTTLS, or at once for implicit TLS). Any certificate
        /// is accepted so that it can be inspected; the caller judges it. Throws <see cref="AuthenticationException"/> or
        /// <see cref="IOException"/> when the handshake itself fails.</summary>
        public Task<TlsHandshake> StartTlsAsync(string targetHost, TimeSpan timeout, CancellationToken ct) =>
            Step(async t =>
            {
                if (_end > _start)
                    throw new IOException($"{_host} port {_port} sent data before the TLS handshake (possible STARTTLS command injection).");
                var result = new TlsHandshake();
                var ssl = new SslStream(_stream, false, (sender, certificate, chain, errors) =>
                {
                    result.PolicyErrors = errors;
                    if (certificate != null) result.Leaf = new X509Certificate2(certificate);
                    if (chain != null)
                    {
                        foreach (var c in chain.ChainPolicy.ExtraStore)
                        {
                            result.Presented.Add(new X509Certificate2(c));
                            result.Sent.Add(new X509Certificate2(c));
                        }
                        foreach (var e in chain.ChainElements)
                            if (!result.Presented.Any(p => p.Thumbprint == e.Certificate.Thumbprint)) result.Presented.Add(new X509Certificate2(e.Certificate));
                    }
                    return true; // judged afterwards, with the host name and any extra trusted CA
                });
                var sni = IPAddress.TryParse(targetHost.Trim('[', ']'), out _) ? targetHost : targetHost;
                await ssl.AuthenticateAsClientAsync(sni, null, SslProtocols.None, checkCertificateRevocation: false).ConfigureAwait(false);
                _stream = ssl;
                result.Version = ProtocolName(ssl.SslProtocol);
                result.CipherSuite = CipherName(ssl);
                return result;
            }, timeout, $"The TLS handshake with {_host} port {_port}", ct);

        internal static string ProtocolName(SslProtocols p)
        {
            switch ((int)p)
            {
                case 12288: return "TLS 1.3";
                case 3072: return "TLS 1.2";
                case 768: return "TLS 1.1";
                case 192: return "TLS 1.0";
                case 48: return "SSL 3.0";
                default: return p.ToString();
            }
        }

        /// <summary>The IANA cipher suite name (NegotiatedCipherSuite exists from .NET Core 3.0; read by reflection), else the
        /// algorithms netstandard2.0 exposes.</summary>
        private static string CipherName(SslStream ssl)
        {
            try
            {
                var p = typeof(SslStream).GetProperty("NegotiatedCipherSuite");
                var v = p?.GetValue(ssl);
                if (v != null) return v.ToString();
            }
            catch (Exception)
            {
                // fall through
            }
#pragma warning disable SYSLIB0058
            return $"{ssl.CipherAlgorithm} {ssl.CipherStrength}, {ssl.HashAlgorithm}, {ssl.KeyExchangeAlgorithm}";
#pragma warning restore SYSLIB0058
        }

        internal static string Truncate(string s, int max = 120) => s == null ? "" : s.Length <= max ? s : s.Substring(0, max) + "...";

        public void Dispose()
        {
            try { _stream?.Dispose(); } catch (Exception) { }
            _tcp.Dispose();
        }
    }
}
