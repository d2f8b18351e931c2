using System;
using System.Collections.Generic;
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

namespace MailOps.Testing
{
    /// <summary>
    /// A scripted SMTP or IMAP server on 127.0.0.1 (random port) for the fault cases a real server will not produce on
    /// demand: no banner, a slow banner, a banner from another host, STARTTLS advertised but refused, a broken
    /// handshake, bad, expired or wrongly named certificates, AUTH before TLS, a foreign banner for egress tests.
    /// </summary>
    public sealed class ScriptedMailServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        /// <summary>The greeting (SMTP "220 host ESMTP", IMAP "* OK ..."). Null: accept and stay silent.</summary>
        public string? Banner { get; init; } = "220 mail.test ESMTP Scripted";

        public TimeSpan BannerDelay { get; init; }

        /// <summary>The host name in the EHLO reply's first line.</summary>
        public string EhloName { get; init; } = "mail.test";

        /// <summary>EHLO keywords before TLS (STARTTLS is added when <see cref="Certificate"/> is set, unless <see cref="AdvertiseStartTls"/> is false).</summary>
        public string[] Extensions { get; init; } = { "PIPELINING", "SIZE 10240000", "8BITMIME" };

        /// <summary>EHLO keywords inside TLS (default: <see cref="Extensions"/>).</summary>
        public string[]? ExtensionsAfterTls { get; init; }

        public bool? AdvertiseStartTls { get; init; }

        /// <summary>The reply to STARTTLS; anything but 220 refuses it.</summary>
        public string StartTlsReply { get; init; } = "220 2.0.0 Ready to start TLS";

        /// <summary>After accepting STARTTLS, send garbage instead of a handshake.</summary>
        public bool BreakHandshake { get; init; }

        /// <summary>The server certificate (with private key) and the chain sent after it.</summary>
        public X509Certificate2? Certificate { get; init; }
        public X509Certificate2[] Chain { get; init; } = Array.Empty<X509Certificate2>();

        /// <summary>TLS from the first byte (465/993).</summary>
        public bool ImplicitTls { get; init; }

        /// <summary>Speak IMAP instead of SMTP.</summary>
        public bool Imap { get; init; }

        /// <summary>IMAP CAPABILITY atoms before TLS (STARTTLS added as for SMTP) and inside TLS.</summary>
        public string[] ImapCapabilities { get; init; } = { "IMAP4rev1", "LOGINDISABLED" };
        public string[] ImapCapabilitiesAfterTls { get; init; } = { "IMAP4rev1", "AUTH=PLAIN" };

        /// <summary>Makes the server a mail sink: MAIL FROM gets 250, each RCPT TO gets this function's reply for the
        /// address (it may count attempts, e.g. 451 first and 250 later), DATA is read to the final dot and answered with
        /// <see cref="DataReply"/>. Null (the default): MAIL, RCPT and DATA are "502 not recognized" as before.</summary>
        public Func<string, string>? RcptReply { get; init; }

        public string DataReply { get; init; } = "250 2.0.0 Ok: queued as SINK";

        /// <summary>Messages the sink accepted (their DATA, dot-unstuffed), across connections.</summary>
        public List<string> Accepted { get; } = new();

        /// <summary>The user and password AUTH PLAIN / AUTH LOGIN accept (235); any other pair gets 535. Null: AUTH is
        /// answered 502 like any unknown command. Advertise it with an "AUTH PLAIN LOGIN" extension.</summary>
        public (string User, string Password)? AcceptLogin { get; init; }

        /// <summary>A careless server: the 535 reply repeats the user name, the password and the line the client sent.</summary>
        public bool EchoCredentialsOnFailure { get; init; }

        /// <summary>AUTH commands that came before TLS (a client that sent a password in clear text).</summary>
        public int AuthBeforeTlsCount => Volatile.Read(ref _authBeforeTls);
        private int _authBeforeTls;

        /// <summary>Logins the server accepted.</summary>
        public int LoginsAccepted => Volatile.Read(ref _loginsAccepted);
        private int _loginsAccepted;

        /// <summary>MAIL, RCPT or DATA commands received (a relay check must send none).</summary>
        public int MessageCommands => Volatile.Read(ref _messageCommands);
        private int _messageCommands;

        public int Port { get; }
        public string Endpoint => $"127.0.0.1:{Port}";

        /// <summary>Connections accepted so far.</summary>
        public int Connections => Volatile.Read(ref _connections);

        /// <summary>Commands received, across connections.</summary>
        public List<string> Received { get; } = new();

        public ScriptedMailServer()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        }

        /// <summary>Starts accepting (call after setting the init properties).</summary>
        public ScriptedMailServer Start()
        {
            _ = Task.Run(AcceptLoop);
            return this;
        }

        /// <summary>A loopback port with nothing listening (connections are refused).</summary>
        public static int ClosedPort() => LoopbackPorts.Refusing();

        private async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try { await Serve(client); }
                        catch (Exception) { /* the client went away, or the test ended */ }
                    }
                });
            }
        }

        private async Task Serve(TcpClient client)
        {
            var ct = _stop.Token;
            Stream stream = client.GetStream();
            if (ImplicitTls) stream = await Handshake(stream, ct);
            if (BannerDelay > TimeSpan.Zero) await Task.Delay(BannerDelay, ct);
            if (Banner == null)
            {
                await Task.Delay(Timeout.Infinite, ct);
                return;
            }
            var reader = new LineReader(stream);
            await Write(stream, Banner, ct);
            var tls = ImplicitTls;
            var rcptAccepted = 0;
            while (true)
            {
                var line = await reader.ReadLine(ct);
                if (line == null) return;
                lock (Received) Received.Add(line);
                if (Imap)
                {
                    var parts = line.Split(' ', 2);
                    var tag = parts[0];
                    var cmd = parts.Length > 1 ? parts[1].ToUpperInvariant() : "";
                    if (cmd == "CAPABILITY")
                    {
                        var caps = tls ? ImapCapabilitiesAfterTls : StartTlsAdvertised() ? ImapCapabilities.Append("STARTTLS").ToArray() : ImapCapabilities;
                        await Write(stream, "* CAPABILITY " + string.Join(" ", caps), ct);
                        await Write(stream, tag + " OK CAPABILITY completed", ct);
                    }
                    else if (cmd == "STARTTLS")
                    {
                        var ok = StartTlsReply.StartsWith("220", StringComparison.Ordinal);
                        await Write(stream, ok ? tag + " OK Begin TLS negotiation now" : tag + " BAD STARTTLS not available", ct);
                        if (ok)
                        {
                            stream = await AfterStartTls(stream, ct);
                            reader = new LineReader(stream);
                            tls = true;
                        }
                    }
                    else if (cmd == "LOGOUT")
                    {
                        await Write(stream, "* BYE Logging out", ct);
                        await Write(stream, tag + " OK LOGOUT completed", ct);
                        return;
                    }
                    else await Write(stream, tag + " BAD unknown command", ct);
                    continue;
                }

                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        var ext = (tls ? ExtensionsAfterTls ?? Extensions : Extensions).ToList();
                        if (!tls && StartTlsAdvertised()) ext.Add("STARTTLS");
                        var lines = new[] { EhloName }.Concat(ext).ToList();
                        for (int i = 0; i < lines.Count; i++)
                            await Write(stream, $"250{(i < lines.Count - 1 ? "-" : " ")}{lines[i]}", ct);
                        break;
                    case "HELO":
                        await Write(stream, "250 " + EhloName, ct);
                        break;
                    case "STARTTLS":
                        await Write(stream, StartTlsReply, ct);
                        if (StartTlsReply.StartsWith("220", StringComparison.Ordinal))
                        {
                            stream = await AfterStartTls(stream, ct);
                            reader = new LineReader(stream);
                            tls = true;
                        }
                        break;
                    case "QUIT":
                        await Write(stream, "221 2.0.0 Bye", ct);
                        return;
                    case "MAIL" when RcptReply != null:
                    case "RSET" when RcptReply != null:
                    case "NOOP" when RcptReply != null:
                        await Write(stream, "250 2.1.0 Ok", ct);
                        rcptAccepted = verb == "MAIL" ? 0 : rcptAccepted;
                        break;
                    case "RCPT" when RcptReply != null:
                        var colon = line.IndexOf(':');
                        var address = (colon >= 0 ? line.Substring(colon + 1) : "").Trim().Split(' ')[0].Trim('<', '>');
                        var reply = RcptReply(address);
                        if (reply.StartsWith("2", StringComparison.Ordinal)) rcptAccepted++;
                        await Write(stream, reply, ct);
                        break;
                    case "DATA" when RcptReply != null:
                        if (rcptAccepted == 0) { await Write(stream, "554 5.5.1 Error: no valid recipients", ct); break; }
                        await Write(stream, "354 End data with <CR><LF>.<CR><LF>", ct);
                        var body = new StringBuilder();
                        while (true)
                        {
                            var dl = await reader.ReadLine(ct);
                            if (dl == null) return;
                            if (dl == ".") break;
                            body.Append(dl.StartsWith("..", StringComparison.Ordinal) ? dl.Substring(1) : dl).Append("\r\n");
                        }
                        lock (Accepted) Accepted.Add(body.ToString());
                        await Write(stream, DataReply, ct);
                        break;
                    case "AUTH" when AcceptLogin != null:
                        if (!tls) Interlocked.Increment(ref _authBeforeTls);
                        var words = line.Split(' ');
                        string? user = null, password = null;
                        if (words.Length >= 2 && words[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                        {
                            var token = words.Length >= 3 ? words[2] : null;
                            if (token == null)
                            {
                                await Write(stream, "334 ", ct);
                                token = await reader.ReadLine(ct);
                            }
                            var parts = Decode(token).Split('\0');
                            if (parts.Length == 3) { user = parts[1]; password = parts[2]; }
                        }
                        else if (words.Length >= 2 && words[1].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
                        {
                            await Write(stream, "334 VXNlcm5hbWU6", ct);
                            user = Decode(await reader.ReadLine(ct));
                            await Write(stream, "334 UGFzc3dvcmQ6", ct);
                            password = Decode(await reader.ReadLine(ct));
                        }
                        if (user == AcceptLogin.Value.User && password == AcceptLogin.Value.Password)
                        {
                            Interlocked.Increment(ref _loginsAccepted);
                            await Write(stream, "235 2.7.0 Authentication successful", ct);
                        }
                        else await Write(stream, EchoCredentialsOnFailure ? $"535 5.7.8 Authentication failed for {user} with {password} ({line})" : "535 5.7.8 Error: authentication failed", ct);
                        break;
                    case "MAIL":
                    case "RCPT":
                    case "DATA":
                        Interlocked.Increment(ref _messageCommands);
                        await Write(stream, "502 5.5.2 Error: command not recognized", ct);
                        break;
                    default:
                        await Write(stream, "502 5.5.2 Error: command not recognized", ct);
                        break;
                }
            }
        }

        private static string Decode(string? base64)
        {
            try { return base64 == null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(base64)); }
            catch (FormatException) { return ""; }
        }

        private bool StartTlsAdvertised() => AdvertiseStartTls ?? Certificate != null;

        private async Task<Stream> AfterStartTls(Stream stream, CancellationToken ct)
        {
            if (BreakHandshake || Certificate == null)
            {
                await Write(stream, "this is not a TLS handshake", ct);
                await stream.FlushAsync(ct);
                throw new IOException("handshake broken on purpose");
            }
            return await Handshake(stream, ct);
        }

        private async Task<Stream> Handshake(Stream stream, CancellationToken ct)
        {
            if (Certificate == null) throw new InvalidOperationException("TLS needs a Certificate.");
            var ssl = new SslStream(stream, false);
            var ctx = SslStreamCertificateContext.Create(Certificate, new X509Certificate2Collection(Chain), offline: true);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = ctx }, ct);
            return ssl;
        }

        private static async Task Write(Stream s, string line, CancellationToken ct)
        {
            var b = Encoding.ASCII.GetBytes(line + "\r\n");
            await s.WriteAsync(b, ct);
            await s.FlushAsync(ct);
        }

        private sealed class LineReader
        {
            private readonly Stream _s;
            private readonly MemoryStream _line = new();
            private readonly byte[] _one = new byte[1];

            public LineReader(Stream s) => _s = s;

            public async Task<string?> ReadLine(CancellationToken ct)
            {
                _line.SetLength(0);
                while (true)
                {
                    var n = await _s.ReadAsync(_one, ct);
                    if (n == 0) return null;
                    if (_one[0] == '\n') return Encoding.ASCII.GetString(_line.ToArray()).TrimEnd('\r');
                    _line.WriteByte(_one[0]);
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
