using System;
using System.Collections.Generic;
using System.Globalization;
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

namespace MailOps.MtaSts
{
    /// <summary>Why a policy fetch could not run. A certificate that fails validation is NOT one of these: it is a
    /// finding (the server answered, and senders would reject it).</summary>
    public enum PolicyFetchFailure
    {
        /// <summary>No connection, TLS handshake or response within the timeout.</summary>
        Timeout,
        /// <summary>Every address refused the connection (nothing listens on the port).</summary>
        ConnectionRefused,
        /// <summary>The connection could not be made for another reason (unreachable network or host).</summary>
        ConnectionFailed,
        /// <summary>The TLS handshake failed for a reason other than the certificate (protocol or cipher mismatch, reset).</summary>
        TlsFailed,
        /// <summary>The server's answer was not HTTP, or the connection broke while reading it.</summary>
        InvalidResponse,
    }

    /// <summary>Raised when the policy could not be fetched at all; the cmdlet turns it into a non-terminating error.</summary>
    public sealed class PolicyFetchException : Exception
    {
        public PolicyFetchException(PolicyFetchFailure failure, string url, string endpoint, string message, Exception inner = null)
            : base(message, inner)
        {
            Failure = failure;
            Url = url;
            Endpoint = endpoint;
        }

        public PolicyFetchFailure Failure { get; }

        public string Url { get; }

        /// <summary>The address:port tried last.</summary>
        public string Endpoint { get; }
    }

    /// <summary>A certificate problem found during the TLS handshake (expired, wrong name, untrusted chain...).</summary>
    internal sealed class CertificateProblem
    {
        public CertificateProblem(string code, string message, string remedy)
        {
            Code = code;
            Message = message;
            Remedy = remedy;
        }

        public string Code { get; }
        public string Message { get; }
        public string Remedy { get; }
    }

    /// <summary>What the policy host answered.</summary>
    internal sealed class PolicyResponse
    {
        public string Endpoint { get; set; }
        public string CertificateSubject { get; set; }
        public string CertificateIssuer { get; set; }
        public DateTime? CertificateNotAfter { get; set; }
        public List<CertificateProblem> CertificateProblems { get; } = new List<CertificateProblem>();
        public int? StatusCode { get; set; }
        public string ReasonPhrase { get; set; }
        public string ContentType { get; set; }
        public string Location { get; set; }
        public string Body { get; set; }
        public bool TooLarge { get; set; }
        public long? DeclaredLength { get; set; }
    }

    /// <summary>
    /// A minimal HTTPS/1.1 GET over TcpClient + SslStream: the connection goes to the addresses the caller resolved
    /// (through MailOps' own DNS layer) and port, while SNI, the Host header and the certificate name check all use
    /// the policy host name. Redirects are never followed (RFC 8461 §3.3), the body is read up to a bound, and the
    /// certificate is validated against the system roots plus any extra trusted CA certificates.
    /// </summary>
    internal static class PolicyFetcher
    {
        private const int MaxHeaderBytes = 32 * 1024;

        public static async Task<PolicyResponse> FetchAsync(string host, IReadOnlyList<IPAddress> addresses, MtaStsOptions options, CancellationToken ct)
        {
            var url = $"https://{host}/.well-known/mta-sts.txt";
            var response = new PolicyResponse();
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(options.Timeout);
                var token = timeout.Token;
                string phase = "while connecting to";
                string endpoint = null;
                TcpClient client = null;
                try
                {
                    client = await ConnectAsync(addresses, options.Port, url, token, ep => endpoint = ep).ConfigureAwait(false);
                    response.Endpoint = endpoint;
                    using (client)
                    using (token.Register(() => client.Dispose()))
                    {
                        phase = "during the TLS handshake with";
                        using (var ssl = new SslStream(client.GetStream(), false, (s, cert, chain, errors) => Validate(host, cert, chain, errors, options, response)))
                        {
                            try
                            {
                                await ssl.AuthenticateAsClientAsync(host, null, SslProtocols.None, false).ConfigureAwait(false);
                            }
                            catch (Exception ex) when ((ex is AuthenticationException || ex is IOException) && response.CertificateProblems.Count > 0 && !token.IsCancellationRequested)
                            {
                                return response; // the certificate was rejected: a finding, not a failure to fetch
                            }
                            catch (Exception ex) when ((ex is AuthenticationException || ex is IOException) && !token.IsCancellationRequested)
                            {
                                throw new PolicyFetchException(PolicyFetchFailure.TlsFailed, url, endpoint,
                                    $"The TLS handshake with {host} ({endpoint}) failed: {Inner(ex)}", ex);
                            }

                            phase = "while reading the response from";
                            var request = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n" +
                                          $"Host: {host}\r\n" +
                                          "User-Agent: MailOps (MTA-STS check)\r\n" +
                                          "Accept: text/plain\r\n" +
                                          "Connection: close\r\n\r\n";
                            var bytes = Encoding.ASCII.GetBytes(request);
                            await ssl.WriteAsync(bytes, 0, bytes.Length, token).ConfigureAwait(false);
                            await ssl.FlushAsync(token).ConfigureAwait(false);
                            await ReadResponseAsync(new BufferedReader(ssl), response, options.MaxPolicyBytes, url, endpoint, token).ConfigureAwait(false);
                            return response;
                        }
                    }
                }
                catch (Exception ex) when (!(ex is PolicyFetchException) && token.IsCancellationRequested)
                {
                    if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
                    throw new PolicyFetchException(PolicyFetchFailure.Timeout, url, endpoint,
                        $"Timed out after {options.Timeout.TotalSeconds:0.#} s {phase} {host}{(endpoint != null ? " (" + endpoint + ")" : "")}.", ex);
                }
                catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is SocketException)
                {
                    throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint,
                        $"The connection broke {phase} {host} ({endpoint}): {Inner(ex)}", ex);
                }
            }
        }

        private static string Inner(Exception ex)
        {
            var msgs = new List<string>();
            for (var e = ex; e != null; e = e.InnerException) if (!msgs.Contains(e.Message)) msgs.Add(e.Message);
            return string.Join(" ", msgs);
        }

        private static async Task<TcpClient> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, string url, CancellationToken token, Action<string> setEndpoint)
        {
            SocketException last = null;
            string lastEndpoint = null;
            foreach (var address in addresses)
            {
                var ep = new IPEndPoint(address, port).ToString();
                setEndpoint(ep);
                lastEndpoint = ep;
                var client = new TcpClient(address.AddressFamily);
                try
                {
                    using (token.Register(() => client.Dispose()))
                        await client.ConnectAsync(address, port).ConfigureAwait(false);
                    token.ThrowIfCancellationRequested();
                    return client;
                }
                catch (SocketException ex) when (!token.IsCancellationRequested)
                {
                    client.Dispose();
                    last = ex;
                }
                catch
                {
                    client.Dispose();
                    throw;
                }
            }
            var host = new Uri(url).Host;
            var refused = last?.SocketErrorCode == SocketError.ConnectionRefused;
            var tried = string.Join(", ", addresses.Select(a => new IPEndPoint(a, port).ToString()));
            throw new PolicyFetchException(refused ? PolicyFetchFailure.ConnectionRefused : PolicyFetchFailure.ConnectionFailed, url, lastEndpoint,
                refused
                    ? $"The connection to {host} on port {port} was refused ({tried}): no HTTPS server listens there."
                    : $"Could not connect to {host} on port {port} ({tried}): {last?.Message}", last);
        }

        private static bool Validate(string host, X509Certificate certificate, X509Chain presented, SslPolicyErrors errors, MtaStsOptions options, PolicyResponse response)
        {
            if (certificate == null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateMissing",
                    $"The server for {host} presented no certificate.", $"Install a certificate for {host} from a public CA on the policy web server."));
                return false;
            }
            var leaf = new X509Certificate2(certificate);
            response.CertificateSubject = leaf.Subject;
            response.CertificateIssuer = leaf.Issuer;
            response.CertificateNotAfter = leaf.NotAfter.ToUniversalTime();
            var now = DateTime.Now;

            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                var names = CertificateNames.DnsNames(leaf);
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateNameMismatch",
                    $"The certificate of the policy server is not valid for {host} (it names {(names.Count > 0 ? string.Join(", ", names) : leaf.Subject)}); senders reject it and fetch no policy.",
                    $"Issue a certificate whose subject alternative names include {host} (e.g. with certbot -d {host}) and install it on the policy web server."));
            }
            if (leaf.NotAfter < now)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateExpired",
                    $"The certificate for {host} expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; senders reject it and fetch no policy.",
                    $"Renew the certificate for {host} and reload the web server; automate renewal (certbot, acme.sh) so it cannot lapse."));
            else if (leaf.NotBefore > now)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateNotYetValid",
                    $"The certificate for {host} is not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC.",
                    "Check the server's clock and the certificate's validity dates."));

            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                foreach (var extra in options.TrustedCertificates) chain.ChainPolicy.ExtraStore.Add(extra);
                if (presented != null)
                    foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                chain.Build(leaf);
                var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
                var trustedThumbprints = new HashSet<string>(options.TrustedCertificates.Select(c => c.Thumbprint), StringComparer.OrdinalIgnoreCase);
                var anchored = chain.ChainElements.Cast<X509ChainElement>().Any(e => trustedThumbprints.Contains(e.Certificate.Thumbprint));
                const X509ChainStatusFlags untrusted = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
                const X509ChainStatusFlags ignored = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.RevocationStatusUnknown
                    | X509ChainStatusFlags.OfflineRevocation | X509ChainStatusFlags.NotTimeNested;
                if ((flags & untrusted) != 0 && !anchored)
                {
                    var top = chain.ChainElements.Count > 0 ? chain.ChainElements[chain.ChainElements.Count - 1].Certificate : leaf;
                    response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateUntrusted",
                        $"The certificate for {host} does not chain to a trusted root (issued by '{top.Issuer}'{((flags & X509ChainStatusFlags.PartialChain) != 0 ? ", chain incomplete" : "")}); senders reject it and fetch no policy.",
                        "Use a certificate from a public CA and serve the full chain (leaf plus intermediates). For a private CA that only your own senders trust, pass it with -TrustedCaCertificatePath when testing."));
                }
                var other = flags & ~untrusted & ~ignored;
                if (other != X509ChainStatusFlags.NoError)
                {
                    var info = string.Join("; ", chain.ChainStatus.Where(s => (s.Status & other) != 0).Select(s => s.StatusInformation.Trim()).Distinct());
                    response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateInvalid",
                        $"The certificate chain for {host} is invalid ({other}: {info}); senders reject it and fetch no policy.",
                        "Reissue the certificate from a public CA and serve the full chain."));
                }
                // The chain's time problems beyond the leaf (an expired intermediate).
                if ((flags & X509ChainStatusFlags.NotTimeValid) != 0 && leaf.NotAfter >= now && leaf.NotBefore <= now)
                    response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateChainExpired",
                        $"A certificate in the chain for {host} has expired or is not yet valid; senders reject the chain.",
                        "Serve the current intermediate certificates of your CA."));
            }
            return response.CertificateProblems.Count == 0;
        }

        private static async Task ReadResponseAsync(BufferedReader reader, PolicyResponse response, int maxBody, string url, string endpoint, CancellationToken token)
        {
            var statusLine = await reader.ReadLineAsync(MaxHeaderBytes, token).ConfigureAwait(false);
            if (statusLine == null || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) || statusLine.Length < 12
                || !int.TryParse(statusLine.Substring(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
                throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint,
                    $"The server at {endpoint} did not answer with HTTP/1.x (first line: \"{statusLine}\").");
            response.StatusCode = status;
            response.ReasonPhrase = statusLine.Length > 13 ? statusLine.Substring(13) : "";

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var total = 0;
            while (true)
            {
                var line = await reader.ReadLineAsync(MaxHeaderBytes, token).ConfigureAwait(false);
                if (line == null) throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, $"The server at {endpoint} closed the connection inside the HTTP headers.");
                if (line.Length == 0) break;
                total += line.Length;
                if (total > MaxHeaderBytes) throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, $"The HTTP headers from {endpoint} exceed {MaxHeaderBytes} bytes.");
                var colon = line.IndexOf(':');
                if (colon <= 0) continue;
                var name = line.Substring(0, colon).Trim();
                if (!headers.ContainsKey(name)) headers[name] = line.Substring(colon + 1).Trim();
            }
            headers.TryGetValue("Content-Type", out var contentType);
            headers.TryGetValue("Location", out var location);
            response.ContentType = contentType;
            response.Location = location;
            if (status != 200) return; // a redirect or error is judged by its status line; the body is not read

            var chunked = headers.TryGetValue("Transfer-Encoding", out var te) && te.IndexOf("chunked", StringComparison.OrdinalIgnoreCase) >= 0;
            var body = new MemoryStream();
            if (chunked)
            {
                while (true)
                {
                    var sizeLine = await reader.ReadLineAsync(1024, token).ConfigureAwait(false);
                    if (sizeLine == null) throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, "The connection closed inside a chunked body.");
                    var semi = sizeLine.IndexOf(';');
                    var hex = (semi >= 0 ? sizeLine.Substring(0, semi) : sizeLine).Trim();
                    if (!long.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size < 0)
                        throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, $"Bad chunk size \"{sizeLine}\" in the response from {endpoint}.");
                    if (size == 0) break;
                    if (body.Length + size > maxBody) { response.TooLarge = true; return; }
                    if (!await reader.CopyExactAsync(body, (int)size, token).ConfigureAwait(false))
                        throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, "The connection closed inside a chunk.");
                    await reader.ReadLineAsync(16, token).ConfigureAwait(false); // CRLF after the chunk
                }
            }
            else if (headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                response.DeclaredLength = length;
                if (length > maxBody) { response.TooLarge = true; return; }
                if (!await reader.CopyExactAsync(body, (int)length, token).ConfigureAwait(false))
                    throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint, $"The connection closed after {body.Length} of {length} body bytes.");
            }
            else
            {
                // Connection: close without a length: read to the end, but never more than the bound.
                if (!await reader.CopyToEndAsync(body, maxBody, token).ConfigureAwait(false)) { response.TooLarge = true; return; }
            }
            response.Body = new UTF8Encoding(false, false).GetString(body.ToArray());
        }

        /// <summary>Line and byte reads over a stream with one buffer.</summary>
        private sealed class BufferedReader
        {
            private readonly Stream _stream;
            private readonly byte[] _buffer = new byte[8192];
            private int _start, _end;

            public BufferedReader(Stream stream) => _stream = stream;

            private async Task<bool> FillAsync(CancellationToken ct)
            {
                if (_start < _end) return true;
                _start = 0;
                _end = await _stream.ReadAsync(_buffer, 0, _buffer.Length, ct).ConfigureAwait(false);
                return _end > 0;
            }

            /// <summary>A line without its CRLF (or LF); null at the end of the stream before any byte.</summary>
            public async Task<string> ReadLineAsync(int max, CancellationToken ct)
            {
                var line = new MemoryStream();
                while (true)
                {
                    if (!await FillAsync(ct).ConfigureAwait(false)) return line.Length == 0 ? null : Encoding.ASCII.GetString(line.ToArray());
                    var nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                    if (nl >= 0)
                    {
                        line.Write(_buffer, _start, nl - _start);
                        _start = nl + 1;
                        var bytes = line.ToArray();
                        var len = bytes.Length > 0 && bytes[bytes.Length - 1] == '\r' ? bytes.Length - 1 : bytes.Length;
                        return Encoding.ASCII.GetString(bytes, 0, len);
                    }
                    line.Write(_buffer, _start, _end - _start);
                    _start = _end;
                    if (line.Length > max) throw new IOException($"A line longer than {max} bytes in the HTTP response.");
                }
            }

            public async Task<bool> CopyExactAsync(Stream target, int count, CancellationToken ct)
            {
                while (count > 0)
                {
                    if (!await FillAsync(ct).ConfigureAwait(false)) return false;
                    var n = Math.Min(count, _end - _start);
                    target.Write(_buffer, _start, n);
                    _start += n;
                    count -= n;
                }
                return true;
            }

            /// <summary>Copies to the end of the stream; false (stops reading) once more than <paramref name="max"/> bytes came.</summary>
            public async Task<bool> CopyToEndAsync(Stream target, int max, CancellationToken ct)
            {
                while (await FillAsync(ct).ConfigureAwait(false))
                {
                    var n = _end - _start;
                    if (target.Length + n > max) return false;
                    target.Write(_buffer, _start, n);
                    _start = _end;
                }
                return true;
            }
        }
    }

    /// <summary>The DNS names a certificate is for (subject alternative names, else the subject CN).</summary>
    internal static class CertificateNames
    {
        public static List<string> DnsNames(X509Certificate2 cert)
        {
            var names = new List<string>();
            foreach (var ext in cert.Extensions)
            {
                if (ext.Oid?.Value != "2.5.29.17") continue;
                names.AddRange(ParseSan(ext.RawData));
            }
            if (names.Count == 0)
            {
                var cn = cert.GetNameInfo(X509NameType.DnsName, false);
                if (!string.IsNullOrEmpty(cn)) names.Add(cn);
            }
            return names;
        }

        // SubjectAltName ::= SEQUENCE OF GeneralName; dNSName is [2] IA5String. A tiny DER walk, enough for dNSName.
        private static IEnumerable<string> ParseSan(byte[] der)
        {
            var result = new List<string>();
            try
            {
                int i = 0;
                if (der[i++] != 0x30) return result;
                var seqLen = ReadLength(der, ref i);
                var end = Math.Min(der.Length, i + seqLen);
                while (i < end)
                {
                    var tag = der[i++];
                    var len = ReadLength(der, ref i);
                    if (tag == 0x82) result.Add(Encoding.ASCII.GetString(der, i, len));
                    i += len;
                }
            }
            catch (IndexOutOfRangeException) { }
            catch (ArgumentException) { }
            return result;
        }

        private static int ReadLength(byte[] der, ref int i)
        {
            int b = der[i++];
            if (b < 0x80) return b;
            int n = b & 0x7f, len = 0;
            for (int k = 0; k < n; k++) len = (len << 8) | der[i++];
            return len;
        }
    }
}
