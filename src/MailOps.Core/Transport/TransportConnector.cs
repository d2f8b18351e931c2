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
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Transport
{
    /// <summary>Why no TCP connection could be made.</summary>
    internal enum ConnectFailure
    {
        /// <summary>Every address that answered refused (RST): nothing listens, or a firewall rejects.</summary>
        Refused,
        /// <summary>No address answered within the connect timeout.</summary>
        Timeout,
        /// <summary>Unreachable network or host, or another socket error.</summary>
        NetworkError,
    }

    /// <summary>No address of the host accepted a connection. Callers turn it into their own failure (MailConnectionException,
    /// PolicyFetchException) with their own words; this carries the facts.</summary>
    internal sealed class TransportConnectException : Exception
    {
        public TransportConnectException(ConnectFailure failure, IPEndPoint? lastEndpoint, IReadOnlyList<IPEndPoint> tried, string detail, Exception? inner)
            : base(detail, inner)
        {
            Failure = failure;
            LastEndpoint = lastEndpoint;
            Tried = tried;
        }

        public ConnectFailure Failure { get; }

        /// <summary>The address:port tried last (null when there was no address).</summary>
        public IPEndPoint? LastEndpoint { get; }

        /// <summary>Every address:port tried, in order.</summary>
        public IReadOnlyList<IPEndPoint> Tried { get; }
    }

    /// <summary>What a TLS handshake gave: the negotiated parameters and everything the server presented, captured even
    /// when the certificate would not validate (so a bad certificate is reported as such, not as a failed handshake).</summary>
    internal sealed class TlsHandshake
    {
        public string? Version;
        public string? CipherSuite;
        public X509Certificate2? Leaf;
        /// <summary>Every certificate seen: those the server sent, and the chain the platform built from them.</summary>
        public List<X509Certificate2> Presented = new List<X509Certificate2>();
        /// <summary>Only the certificates the server sent (DANE-TA needs the trust anchor in the server's own chain, RFC 7671 §5.2.2).</summary>
        public List<X509Certificate2> Sent = new List<X509Certificate2>();
        /// <summary>What the platform thought of the certificate (informational: <see cref="CertificateJudge"/> decides).</summary>
        public SslPolicyErrors PolicyErrors;
    }

    /// <summary>
    /// The one way MailOps opens a transport connection (SMTP/IMAP probes, DANE, the MTA-STS policy fetch): TCP to the
    /// addresses MailOps' own resolver gave (never a second name lookup by the platform), in order, within one connect
    /// deadline; then TLS with the host name kept for SNI, any certificate accepted so that it can be captured and judged
    /// afterwards by <see cref="CertificateJudge"/>. Ctrl+C or the deadline closes the socket at once.
    /// </summary>
    internal static class TransportConnector
    {
        /// <summary>Connects to the first of <paramref name="addresses"/> that accepts, within <paramref name="timeout"/> overall.
        /// Throws <see cref="TransportConnectException"/>; <see cref="OperationCanceledException"/> when <paramref name="ct"/> fires.</summary>
        public static async Task<TcpClient> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, TimeSpan timeout, CancellationToken ct,
            Action<IPEndPoint>? trying = null)
        {
            var tried = new List<IPEndPoint>();
            if (addresses == null || addresses.Count == 0)
                throw new TransportConnectException(ConnectFailure.NetworkError, null, tried, "no address to connect to", null);
            var clock = Stopwatch.StartNew();
            TransportConnectException? last = null;
            foreach (var raw in addresses)
            {
                var ip = raw.IsIPv4MappedToIPv6 ? raw.MapToIPv4() : raw;
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) break;
                var endpoint = new IPEndPoint(ip, port);
                tried.Add(endpoint);
                trying?.Invoke(endpoint);
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
                                throw new TransportConnectException(ConnectFailure.Timeout, endpoint, tried, $"timed out after {timeout.TotalSeconds:0.#} s", ex);
                            }
                        }
                    }
                    tcp.NoDelay = true;
                    return tcp;
                }
                catch (TransportConnectException ex)
                {
                    tcp.Dispose();
                    last = ex;
                }
                catch (SocketException ex)
                {
                    tcp.Dispose();
                    var failure = ex.SocketErrorCode == SocketError.ConnectionRefused ? ConnectFailure.Refused
                        : ex.SocketErrorCode == SocketError.TimedOut ? ConnectFailure.Timeout : ConnectFailure.NetworkError;
                    last = new TransportConnectException(failure, endpoint, tried, ex.Message, ex);
                }
                catch (OperationCanceledException)
                {
                    tcp.Dispose();
                    throw;
                }
                catch (Exception ex)
                {
                    tcp.Dispose();
                    last = new TransportConnectException(ConnectFailure.NetworkError, endpoint, tried, ex.Message, ex);
                }
            }
            throw last ?? new TransportConnectException(ConnectFailure.Timeout, tried.LastOrDefault(), tried, $"timed out after {timeout.TotalSeconds:0.#} s", null);
        }

        /// <summary>TLS as a client over <paramref name="inner"/>, SNI <paramref name="hostName"/>. Every certificate is accepted
        /// here and captured in the returned handshake; the caller judges it. Throws <see cref="AuthenticationException"/> or
        /// <see cref="IOException"/> when the handshake itself fails. The caller bounds the time (closing the socket).</summary>
        public static async Task<(SslStream Stream, TlsHandshake Handshake)> AuthenticateAsync(Stream inner, string hostName)
        {
            var result = new TlsHandshake();
            var ssl = new SslStream(inner, false, (sender, certificate, chain, errors) =>
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
                return true; // judged afterwards, with the host name, the injected clock and any extra trusted certificates
            });
            try
            {
                await ssl.AuthenticateAsClientAsync(hostName, null, SslProtocols.None, checkCertificateRevocation: false).ConfigureAwait(false);
            }
            catch
            {
                ssl.Dispose();
                throw;
            }
            result.Version = ProtocolName(ssl.SslProtocol);
            result.CipherSuite = CipherName(ssl);
            return (ssl, result);
        }

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
    }
}
