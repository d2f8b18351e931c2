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
using MailOps.Transport;

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
        public PolicyFetchException(PolicyFetchFailure failure, string url, string? endpoint, string message, Exception? inner = null)
            : base(message, inner)
        {
            Failure = failure;
            Url = url;
            Endpoint = endpoint;
        }

        public PolicyFetchFailure Failure { get; }

        public string Url { get; }

        /// <summary>The address:port tried last.</summary>
        public string? Endpoint { get; }

        /// <summary>What the check found before the fetch failed (Status Unreachable or Error), when it came from
        /// <see cref="MtaStsCheck.RunAsync"/>.</summary>
        public MtaStsResult? Result { get; internal set; }
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
        public string? Endpoint { get; set; }
        public string? CertificateSubject { get; set; }
        public string? CertificateIssuer { get; set; }
        public DateTime? CertificateNotAfter { get; set; }
        public List<CertificateProblem> CertificateProblems { get; } = new List<CertificateProblem>();
        public int? StatusCode { get; set; }
        public string? ReasonPhrase { get; set; }
        public string? ContentType { get; set; }
        public string? Location { get; set; }
        public string? Body { get; set; }
        public bool TooLarge { get; set; }
        public long? DeclaredLength { get; set; }
    }

    /// <summary>
    /// A minimal HTTPS/1.1 GET. The connection goes through <see cref="TransportConnector"/> to the addresses the caller
    /// resolved (through MailOps' own DNS layer) and port, while SNI, the Host header and the certificate name check all use
    /// the policy host name; the certificate is judged by <see cref="CertificateJudge"/> (system roots plus any extra
    /// trusted certificates, the injected clock, no downloads) and the request is sent only when it passes. Redirects are
    /// never followed (RFC 8461 §3.3); the status line and each header line are bounded, the headers together too, and the
    /// body is read up to a bound; the whole fetch has one deadline, however slowly the bytes drip.
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
                string? endpoint = null;
                TcpClient? client = null;
                try
                {
                    try
                    {
                        client = await TransportConnector.ConnectAsync(addresses, options.Port, options.Timeout, token, ep => endpoint = ep.ToString()).ConfigureAwait(false);
                    }
                    catch (TransportConnectException ex) when (ex.Failure != ConnectFailure.Timeout && !token.IsCancellationRequested)
                    {
                        var refused = ex.Failure == ConnectFailure.Refused;
                        var tried = string.Join(", ", ex.Tried.Select(e => e.ToString()));
                        throw new PolicyFetchException(refused ? PolicyFetchFailure.ConnectionRefused : PolicyFetchFailure.ConnectionFailed, url, endpoint,
                            refused
                                ? $"The connection to {host} on port {options.Port} was refused ({tried}): no HTTPS server listens there."
                                : $"Could not connect to {host} on port {options.Port} ({tried}): {ex.Message}", ex.InnerException);
                    }
                    response.Endpoint = endpoint;
                    using (client)
                    using (token.Register(() => client.Dispose()))
                    {
                        phase = "during the TLS handshake with";
                        SslStream ssl;
                        TlsHandshake handshake;
                        try
                        {
                            (ssl, handshake) = await TransportConnector.AuthenticateAsync(client.GetStream(), host).ConfigureAwait(false);
                        }
                        catch (Exception ex) when ((ex is AuthenticationException || ex is IOException) && !token.IsCancellationRequested)
                        {
                            throw new PolicyFetchException(PolicyFetchFailure.TlsFailed, url, endpoint,
                                $"The TLS handshake with {host} ({endpoint}) failed: {Inner(ex)}", ex);
                        }
                        using (ssl)
                        {
                            if (!Judge(host, handshake, options, response))
                                return response; // the certificate is rejected: a finding, not a failure to fetch; no request is sent

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
                catch (TransportConnectException ex)
                {
                    throw new PolicyFetchException(PolicyFetchFailure.Timeout, url, endpoint,
                        $"Timed out after {options.Timeout.TotalSeconds:0.#} s {phase} {host}{(endpoint != null ? " (" + endpoint + ")" : "")}.", ex);
                }
                catch (InvalidDataException ex)
                {
                    throw new PolicyFetchException(PolicyFetchFailure.InvalidResponse, url, endpoint,
                        $"The server at {endpoint} sent a malformed HTTP response: {ex.Message}.", ex);
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

        /// <summary>Judges the certificate the policy host presented, as senders would; adds a problem for each fault.</summary>
        private static bool Judge(string host, TlsHandshake handshake, MtaStsOptions options, PolicyResponse response)
        {
            var leaf = handshake.Leaf;
            if (leaf == null)
            {
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateMissing",
                    $"The server for {host} presented no certificate.", $"Install a certificate for {host} from a public CA on the policy web server."));
                return false;
            }
            response.CertificateSubject = leaf.Subject;
            response.CertificateIssuer = leaf.Issuer;
            response.CertificateNotAfter = leaf.NotAfter.ToUniversalTime();
            var now = options.UtcNow();

            if (!CertificateJudge.MatchesHostName(leaf, host))
            {
                var names = CertificateJudge.GetDnsNames(leaf);
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateNameMismatch",
                    $"The certificate of the policy server is not valid for {host} (it names {(names.Count > 0 ? string.Join(", ", names) : leaf.Subject)}); senders reject it and fetch no policy.",
                    $"Issue a certificate whose subject alternative names include {host} (e.g. with certbot -d {host}) and install it on the policy web server."));
            }
            var notAfter = leaf.NotAfter.ToUniversalTime();
            var notBefore = leaf.NotBefore.ToUniversalTime();
            if (notAfter < now)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateExpired",
                    $"The certificate for {host} expired on {notAfter:yyyy-MM-dd HH:mm} UTC; senders reject it and fetch no policy.",
                    $"Renew the certificate for {host} and reload the web server; automate renewal (certbot, acme.sh) so it cannot lapse."));
            else if (notBefore > now)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateNotYetValid",
                    $"The certificate for {host} is not valid before {notBefore:yyyy-MM-dd HH:mm} UTC.",
                    "Check the server's clock and the certificate's validity dates."));

            var chain = CertificateJudge.BuildChain(leaf, handshake.Presented, options.TrustedCertificates, now);
            const X509ChainStatusFlags untrusted = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
            const X509ChainStatusFlags ignored = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested;
            var flags = chain.Problems;
            if ((flags & untrusted) != 0)
            {
                var top = chain.Chain.Count > 0 ? chain.Chain[chain.Chain.Count - 1] : leaf;
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateUntrusted",
                    $"The certificate for {host} does not chain to a trusted root (issued by '{top.Issuer}'{((flags & X509ChainStatusFlags.PartialChain) != 0 ? ", chain incomplete" : "")}); senders reject it and fetch no policy.",
                    "Use a certificate from a public CA and serve the full chain (leaf plus intermediates)."));
            }
            var other = flags & ~untrusted & ~ignored;
            if (other != X509ChainStatusFlags.NoError)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateInvalid",
                    $"The certificate chain for {host} is invalid ({other}: {chain.Information}); senders reject it and fetch no policy.",
                    "Reissue the certificate from a public CA and serve the full chain."));
            // The chain's time problems beyond the leaf (an expired intermediate).
            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0 && notAfter >= now && notBefore <= now)
                response.CertificateProblems.Add(new CertificateProblem("PolicyCertificateChainExpired",
                    $"A certificate in the chain for {host} has expired or is not yet valid; senders reject the chain.",
                    "Serve the current intermediate certificates of your CA."));
            return response.CertificateProblems.Count == 0;
        }

        private static async Task ReadResponseAsync(BufferedReader reader, PolicyResponse response, int maxBody, string url, string? endpoint, CancellationToken token)
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
            public async Task<string?> ReadLineAsync(int max, CancellationToken ct)
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
                    if (line.Length > max) throw new InvalidDataException($"a line longer than {max} bytes (a status or header line that never ends)");
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
}
