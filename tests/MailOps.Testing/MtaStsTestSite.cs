using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace MailOps.Testing
{
    /// <summary>
    /// The MTA-STS policy hosts of tests/fixtures/dns/mtasts.example.zone, served by one Kestrel server on loopback.
    /// The zone points every mta-sts.&lt;case&gt;.mtasts.example at 127.0.0.1; the server picks the certificate by SNI
    /// and the answer by the Host header:
    /// good / wildcard / testing / twotxt (200 text/plain policies), redirect (301), ctype (text/html), big (100 KiB,
    /// chunked), biglen (Content-Length 200000), notfound (404), badpolicy (broken fields), and the certificate cases
    /// expired, untrusted (another root) and wrongname (a certificate for a different host).
    /// </summary>
    public sealed class MtaStsTestSite : IDisposable
    {
        public const string Zone = "mtasts.example";

        public const string GoodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.mtasts.example\r\nmx: *.backup.mtasts.example\r\nmax_age: 604800\r\n";

        private readonly Dictionary<string, SslStreamCertificateContext> _certs = new(StringComparer.OrdinalIgnoreCase);
        private readonly SslStreamCertificateContext _default;

        public MtaStsTestSite()
        {
            Pki = new TestPki();
            _default = Leaf(Pki.IssueServer("unknown." + Zone));
            _certs[Host("expired")] = Leaf(Pki.IssueServer(Host("expired"), notBeforeDays: -60, notAfterDays: -2));
            _certs[Host("untrusted")] = Leaf(Pki.IssueServer(Host("untrusted"), issuer: Pki.UntrustedCa));
            _certs[Host("wrongname")] = Leaf(Pki.IssueServer("mta-sts.other." + Zone));
            _certs[Host("soon")] = Leaf(Pki.IssueServer(Host("soon"), notAfterDays: 5));
            foreach (var c in new[] { "good", "cname", "wildcard", "testing", "twotxt", "redirect", "ctype", "big", "biglen", "notfound", "badpolicy", "lf" })
                _certs[Host(c)] = Leaf(Pki.IssueServer(Host(c)));
            // Issued by an intermediate: "chain" sends leaf + intermediate (as servers must), "nochain" the leaf alone.
            var intermediate = Pki.IssueIntermediate("CN=MailOps Test Intermediate CA");
            var publicIntermediate = X509CertificateLoader.LoadCertificate(intermediate.RawData);
            _certs[Host("chain")] = SslStreamCertificateContext.Create(Pki.IssueServer(Host("chain"), issuer: intermediate),
                new X509Certificate2Collection(publicIntermediate), offline: true);
            _certs[Host("nochain")] = Leaf(Pki.IssueServer(Host("nochain"), issuer: intermediate));
            Server = LoopbackHttpsServer.Start(sni => _certs.TryGetValue(sni, out var c) ? c : _default, Handle);
            CaPemPath = Pki.WriteCaPem();
        }

        public TestPki Pki { get; }

        public LoopbackHttpsServer Server { get; }

        /// <summary>The HTTPS port to pass as -HttpsPort / MtaStsOptions.Port.</summary>
        public int Port => Server.Port;

        /// <summary>A PEM file holding the test root CA (for -TrustedCaCertificatePath).</summary>
        public string CaPemPath { get; }

        /// <summary>How many requests reached the server (a rejected certificate means none does).</summary>
        public int Requests;

        private static SslStreamCertificateContext Leaf(X509Certificate2 cert) => SslStreamCertificateContext.Create(cert, null, offline: true);

        public static string Domain(string name) => $"{name}.{Zone}";

        public static string Host(string name) => $"mta-sts.{name}.{Zone}";

        private async Task Handle(HttpContext ctx)
        {
            System.Threading.Interlocked.Increment(ref Requests);
            var host = ctx.Request.Host.Host.ToLowerInvariant();
            var name = host.StartsWith("mta-sts.", StringComparison.Ordinal) && host.EndsWith("." + Zone, StringComparison.Ordinal)
                ? host.Substring(8, host.Length - 8 - Zone.Length - 1)
                : "";
            if (ctx.Request.Path != "/.well-known/mta-sts.txt") name = "notfound";
            var res = ctx.Response;
            switch (name)
            {
                case "good":
                case "cname":
                case "cnamebad":
                case "chain":
                case "nochain":
                case "twotxt":
                case "expired":
                case "untrusted":
                case "wrongname":
                case "soon":
                    await Text(res, "text/plain; charset=utf-8", GoodPolicy); return;
                case "lf":
                    await Text(res, "text/plain", GoodPolicy.Replace("\r\n", "\n")); return;
                case "wildcard":
                    await Text(res, "text/plain", "version: STSv1\r\nmode: enforce\r\nmx: *.backup.mtasts.example\r\nmax_age: 1209600\r\n"); return;
                case "testing":
                    await Text(res, "text/plain", "version: STSv1\r\nmode: testing\r\nmx: mx.testing.mtasts.example\r\nmx: retired.mtasts.example\r\nmax_age: 86400\r\n"); return;
                case "redirect":
                    res.StatusCode = 301;
                    res.Headers.Location = "https://www.redirect.mtasts.example/mta-sts.txt";
                    return;
                case "ctype":
                    await Text(res, "text/html", GoodPolicy); return;
                case "big":
                    res.ContentType = "text/plain";
                    var line = Encoding.ASCII.GetBytes("mx: padding.mtasts.example\r\n");
                    for (int written = 0; written < 100 * 1024; written += line.Length)
                        await res.Body.WriteAsync(line);
                    return;
                case "biglen":
                    res.ContentType = "text/plain";
                    res.ContentLength = 200000;
                    await res.Body.WriteAsync(new byte[200000]);
                    return;
                case "badpolicy":
                    await Text(res, "text/plain", "version: STSv2\r\nmode: enforcing\r\nmx: mail..bad\r\nmax_age: 99999999\r\nthis line has no colon\r\n"); return;
                default:
                    res.StatusCode = 404;
                    await Text(res, "text/plain", "not found\n");
                    return;
            }
        }

        private static Task Text(HttpResponse res, string contentType, string body)
        {
            res.ContentType = contentType;
            return res.WriteAsync(body);
        }

        public void Dispose()
        {
            Server.Dispose();
            try { Directory.Delete(Path.GetDirectoryName(CaPemPath)!, true); } catch (IOException) { }
        }
    }

    /// <summary>A TCP listener on loopback that answers every connection with fixed bytes and closes it: for example plain
    /// HTTP where TLS is expected.</summary>
    public sealed class ScriptedListener : IDisposable
    {
        private readonly TcpListener _listener;

        public ScriptedListener(string reply)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            var bytes = Encoding.ASCII.GetBytes(reply);
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        using var c = await _listener.AcceptTcpClientAsync();
                        var s = c.GetStream();
                        await s.WriteAsync(bytes);
                        await Task.Delay(100);
                    }
                }
                catch (ObjectDisposedException) { }
                catch (SocketException) { }
                catch (IOException) { }
            });
        }

        public int Port { get; }

        public void Dispose() => _listener.Stop();
    }

    /// <summary>A TCP listener on loopback that accepts connections and never says a word (a hung server).</summary>
    public sealed class SilentListener : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<TcpClient> _held = new();

        public SilentListener()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptLoop();
        }

        public int Port { get; }

        private async Task AcceptLoop()
        {
            try
            {
                while (true)
                {
                    var c = await _listener.AcceptTcpClientAsync();
                    lock (_held) _held.Add(c);
                }
            }
            catch (ObjectDisposedException) { }
            catch (SocketException) { }
        }

        /// <summary>A loopback port nothing listens on (bound, then released).</summary>
        public static int ClosedPort() => LoopbackPorts.Refusing();

        public void Dispose()
        {
            _listener.Stop();
            lock (_held) foreach (var c in _held) c.Dispose();
        }
    }
}
