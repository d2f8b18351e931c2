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
using MailOps.Transport;

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
        public MailConnectionException(string host, int port, MailConnectionFailure failure, string message, Exception? inner = null)
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

    /// <summary>The peer broke the protocol in a way that bounds catch: a line longer than the limit, a reply of too many
    /// lines, or a line that is not a reply at all.</summary>
    internal sealed class MailProtocolException : IOException
    {
        public MailProtocolException(string message) : base(message) { }
    }

    /// <summary>
    /// A small line-oriented mail protocol client over TcpClient and SslStream. It gives the checks what a full client
    /// library hides: the time to the banner, the raw EHLO/CAPABILITY lines, the moment of STARTTLS, and the server's
    /// certificate chain whatever its validity. The connection and the TLS handshake go through <see cref="TransportConnector"/>.
    /// Every step (the greeting, each reply, the handshake) has a deadline for the whole step, however slowly the bytes
    /// drip, and the whole session one more; lines are bounded (<see cref="MaxLine"/>), replies too (200 lines). Ctrl+C
    /// cancels any step.
    /// </summary>
    internal sealed class MailSession : IDisposable
    {
        /// <summary>The longest line accepted (RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; IMAP lines are longer).</summary>
        internal const int MaxLine = 8192;
        private readonly TcpClient _tcp;
        private readonly Stopwatch _life = Stopwatch.StartNew();
        private readonly TimeSpan _sessionLimit;
        private readonly string _host;
        private readonly int _port;
        private Stream _stream;
        private readonly byte[] _buffer = new byte[16384];
        private int _start;
        private int _end;

        private MailSession(TcpClient tcp, string host, int port, TimeSpan sessionLimit)
        {
            _sessionLimit = sessionLimit;
            _tcp = tcp;
            _host = host;
            _port = port;
            _stream = tcp.GetStream();
            RemoteAddress = (tcp.Client.RemoteEndPoint as IPEndPoint)?.Address;
            LocalAddress = (tcp.Client.LocalEndPoint as IPEndPoint)?.Address;
        }

        public IPAddress? RemoteAddress { get; }
        public IPAddress? LocalAddress { get; }

        /// <summary>Bytes of an unfinished line waiting in the buffer (a greeting that drips, or never ends).</summary>
        public int PendingBytes => _end - _start;

        /// <summary>Connects to the first of <paramref name="addresses"/> that answers (in order), within
        /// <paramref name="timeout"/> overall. <paramref name="host"/> is the name used in messages (and for SNI later).
        /// <paramref name="sessionLimit"/> bounds every later step together (default: no bound beyond each step's).</summary>
        public static async Task<MailSession> ConnectAsync(string host, IReadOnlyList<IPAddress> addresses, int port, TimeSpan timeout, CancellationToken ct,
            TimeSpan? sessionLimit = null)
        {
            if (addresses == null || addresses.Count == 0)
                throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"{host} has no address to connect to.");
            try
            {
                var tcp = await TransportConnector.ConnectAsync(addresses, port, timeout, ct).ConfigureAwait(false);
                return new MailSession(tcp, host, port, sessionLimit ?? Timeout.InfiniteTimeSpan);
            }
            catch (TransportConnectException ex)
            {
                var ip = ex.LastEndpoint?.Address;
                switch (ex.Failure)
                {
                    case ConnectFailure.Refused:
                        throw new MailConnectionException(host, port, MailConnectionFailure.Refused,
                            $"{host} ({ip}) refused the connection on port {port}: nothing listens there, or a firewall rejects it.", ex.InnerException);
                    case ConnectFailure.Timeout:
                        throw new MailConnectionException(host, port, MailConnectionFailure.Timeout, ex.InnerException is SocketException se && se.SocketErrorCode == SocketError.TimedOut
                            ? $"Connecting to {host} ({ip}) port {port} timed out: the host is down, or a firewall drops the packets."
                            : ip == null ? $"Connecting to {host} port {port} timed out after {timeout.TotalSeconds:0.#} s."
                            : $"Connecting to {host} ({ip}) port {port} timed out after {timeout.TotalSeconds:0.#} s: the host is down, or a firewall drops the packets.",
                            ex.InnerException);
                    default:
                        throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError, $"Could not connect to {host} ({ip}) port {port}: {ex.Message}", ex.InnerException);
                }
            }
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
            var bySession = false;
            if (_sessionLimit != Timeout.InfiniteTimeSpan)
            {
                var left = _sessionLimit - _life.Elapsed;
                if (left <= timeout)
                {
                    bySession = true;
                    timeout = left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
                }
            }
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
                        var partial = PendingBytes > 0 ? $" ({PendingBytes} bytes of an unfinished line had come)" : "";
                        throw new TimeoutException(bySession
                            ? $"{what}: the whole session passed its limit of {_sessionLimit.TotalSeconds:0.#} s{partial}."
                            : $"{what} timed out after {timeout.TotalSeconds:0.#} s{partial}.", ex);
                    }
                }
            }
        }

        /// <summary>Reads one line without its CRLF; null at end of stream.</summary>
        public Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken ct) => Step(ReadLineCore, timeout, $"Waiting for {_host} port {_port}", ct);

        private async Task<string?> ReadLineCore(CancellationToken ct)
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
                    throw new MailProtocolException($"{_host} port {_port} sent a line longer than {MaxLine} bytes.");
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
        public async Task<SmtpReply?> ReadReplyAsync(TimeSpan timeout, CancellationToken ct)
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
                    throw new MailProtocolException($"{_host} port {_port} sent a line that is not an SMTP reply: '{Truncate(line)}'.");
                code = c;
                var more = line.Length > 3 && line[3] == '-';
                lines.Add(line.Length > 4 ? line.Substring(4) : "");
                if (!more) return new SmtpReply(code, lines);
                if (lines.Count > 200) throw new MailProtocolException($"{_host} port {_port} sent an SMTP reply of more than 200 lines.");
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

        public async Task<SmtpReply?> CommandAsync(string line, TimeSpan timeout, CancellationToken ct)
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
                var (ssl, handshake) = await TransportConnector.AuthenticateAsync(_stream, targetHost).ConfigureAwait(false);
                _stream = ssl;
                return handshake;
            }, timeout, $"The TLS handshake with {_host} port {_port}", ct);

        /// <summary>
        /// SMTP AUTH (RFC 4954) with PLAIN (RFC 4616), else LOGIN, from <paramref name="offered"/>. Refuses to run outside
        /// TLS (<see cref="IsEncrypted"/>): a password never leaves in clear text. Returns the final reply (235 = accepted),
        /// null when the server closed the connection. The credential is never part of an exception message or the reply
        /// returned: any echo of it in the server's text is replaced by "***".
        /// </summary>
        public async Task<SmtpReply?> AuthenticateAsync(NetworkCredential credential, IReadOnlyList<string> offered, TimeSpan timeout, CancellationToken ct)
        {
            if (credential == null) throw new ArgumentNullException(nameof(credential));
            if (!IsEncrypted) throw new InvalidOperationException($"AUTH to {_host} port {_port} refused by the client: the session is not encrypted.");
            var user = credential.UserName ?? "";
            var password = credential.Password ?? "";
            SmtpReply? reply;
            // The password, the tokens that carry it, and the user name (when long enough not to be an ordinary word).
            var secrets = new List<string> { password };
            if (user.Length >= 4) secrets.Add(user);
            if (offered.Contains("PLAIN"))
            {
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
                secrets.Add(token);
                reply = await CommandAsync("AUTH PLAIN " + token, timeout, ct).ConfigureAwait(false);
            }
            else if (offered.Contains("LOGIN"))
            {
                reply = await CommandAsync("AUTH LOGIN", timeout, ct).ConfigureAwait(false);
                var userToken = Convert.ToBase64String(Encoding.UTF8.GetBytes(user));
                secrets.Add(userToken);
                if (reply != null && reply.Code == 334)
                    reply = await CommandAsync(userToken, timeout, ct).ConfigureAwait(false);
                if (reply != null && reply.Code == 334)
                {
                    var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(password));
                    secrets.Add(token);
                    reply = await CommandAsync(token, timeout, ct).ConfigureAwait(false);
                }
            }
            else throw new InvalidOperationException($"{_host} port {_port} offers neither AUTH PLAIN nor AUTH LOGIN.");
            if (reply == null) return null;
            return new SmtpReply(reply.Code, reply.Lines.Select(l => Redact(l, secrets)).ToList());
        }

        private static string Redact(string text, IEnumerable<string> secrets)
        {
            foreach (var s in secrets.Where(x => !Strings.IsNullOrEmpty(x)).OrderByDescending(x => x.Length))
                text = text.Replace(s, "***");
            return text;
        }

        /// <summary>True once the TLS handshake has completed on this connection.</summary>
        public bool IsEncrypted => _stream is SslStream;

        internal static string Truncate(string s, int max = 120) => s == null ? "" : s.Length <= max ? s : s.Substring(0, max) + "...";

        public void Dispose()
        {
            try { _stream?.Dispose(); } catch (Exception) { }
            _tcp.Dispose();
        }
    }
}
