using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;

namespace MailOps.Dns
{
    /// <summary>
    /// Asks real DNS servers over the wire: UDP first (through <see cref="UdpDnsTransport"/>: one connected socket per
    /// server shared by all questions, answers matched by message id), TCP when the UDP answer is truncated.
    /// Servers are tried in order; the next one is asked only when one does not answer at all
    /// (timeout or network error). An error RCODE from a server is the answer, not a reason to shop around.
    /// Messages are built and read by <see cref="DnsWire"/>; DnsClient is used only to find the system's resolvers.
    /// </summary>
    public sealed class WireDnsResolver : IDnsResolver
    {
        private readonly string _serverText;
        private readonly string[] _serverNames;
        private readonly TimeSpan _timeout;
        private readonly int _retries;
        private readonly bool _dnssec;

        /// <param name="servers">The servers to ask, in order.</param>
        /// <param name="timeout">How long to wait for one answer (per try).</param>
        /// <param name="retries">Extra tries per server after a timeout.</param>
        /// <param name="requestDnssec">Set the DO bit (EDNS0) in queries. A validating resolver sets the AD bit in its answer only
        /// when the query asks for DNSSEC (DO or AD set, RFC 6840 §5.7), so checks that read <see cref="DnsQueryResult.AuthenticData"/>
        /// (DANE) need it. Off by default: it makes answers larger (RRSIGs) for checks that do not care.</param>
        public WireDnsResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, int retries = 1, bool requestDnssec = false)
        {
            if (servers == null || servers.Count == 0) throw new ArgumentException("At least one DNS server is needed.", nameof(servers));
            if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
            Servers = servers;
            _timeout = timeout;
            _retries = Math.Max(0, retries);
            _dnssec = requestDnssec;
            _serverNames = servers.Select(FormatEndpoint).ToArray();
            _serverText = string.Join(",", _serverNames);
        }

        public IReadOnlyList<IPEndPoint> Servers { get; }

        /// <summary>The resolvers this machine is configured with (resolv.conf on Linux and macOS, the adapters on Windows).</summary>
        public static IReadOnlyList<IPEndPoint> SystemServers()
        {
            // fallbackToGooglePublicDns: false - a public resolver is exactly what blocklists refuse; never guess one.
            var found = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false);
            return found.Select(ns => new IPEndPoint(IPAddress.Parse(ns.Address), ns.Port)).ToList();
        }

        private static TimeSpan Since(long started) =>
            TimeSpan.FromTicks((long)((Stopwatch.GetTimestamp() - started) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));

        internal static string FormatEndpoint(IPEndPoint ep) =>
            ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";

        public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            var normalized = DnsName.Normalize(name);
            var started = Stopwatch.GetTimestamp();
            byte[] query;
            try
            {
                query = DnsWire.BuildQuery(normalized, type, _dnssec);
            }
            catch (ArgumentException ex)
            {
                return new DnsQueryResult(normalized, type, DnsOutcome.OtherError, null, _serverText, Since(started), ex.Message);
            }
            var failure = DnsOutcome.Timeout;
            string? why = null;
            for (int s = 0; s < Servers.Count; s++)
            {
                var server = Servers[s];
                // Counted over every attempt at this server: a wrong-id reply that comes late (a loaded machine, a slow
                // spoofer) still explains the final timeout.
                var straysBefore = UdpDnsTransport.StraysFrom(server);
                for (int attempt = 0; attempt <= _retries; attempt++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    byte[]? datagram;
                    try
                    {
                        try
                        {
                            datagram = await UdpDnsTransport.For(server).ExchangeAsync(query, _timeout, cancellationToken).ConfigureAwait(false);
                        }
                        catch (ObjectDisposedException) when (!cancellationToken.IsCancellationRequested)
                        {
                            // The idle sweep closed the socket as this question started: once more on a fresh one.
                            datagram = await UdpDnsTransport.For(server).ExchangeAsync(query, _timeout, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch (Exception) when (cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }
                    catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
                    {
                        failure = DnsOutcome.NetworkError;
                        why = $"{_serverNames[s]}: {ex.Message}";
                        break; // this server cannot be reached: the next one
                    }
                    if (datagram == null)
                    {
                        failure = DnsOutcome.Timeout;
                        why = $"no answer from {_serverNames[s]} within {_timeout.TotalSeconds:0.###} s";
                        var strays = UdpDnsTransport.StraysFrom(server) - straysBefore;
                        if (strays > 0)
                            why += $"; meanwhile {strays} {(strays == 1 ? "reply" : "replies")} from it carried a message id no question was waiting for " +
                                $"and {(strays == 1 ? "was" : "were")} ignored (RFC 5452): a spoofing attempt, or a server or middlebox that rewrites message ids";
                        continue;
                    }
                    DnsWire.Response response;
                    try
                    {
                        response = DnsWire.Parse(datagram, datagram.Length);
                        if (!response.IsResponse) throw new FormatException("the datagram is a query, not a response");
                        if (response.Truncated) response = await TcpExchangeAsync(server, query, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }
                    catch (TimeoutException ex)
                    {
                        failure = DnsOutcome.Timeout;
                        why = $"{_serverNames[s]} over TCP: {ex.Message}";
                        break;
                    }
                    catch (Exception ex) when (ex is FormatException || ex is SocketException || ex is System.IO.IOException || ex is ObjectDisposedException)
                    {
                        failure = DnsOutcome.NetworkError;
                        why = $"{_serverNames[s]}: {ex.Message}";
                        break;
                    }
                    return ToResult(normalized, type, response, _serverNames[s], Since(started));
                }
            }
            return new DnsQueryResult(normalized, type, failure, null, _serverText, Since(started), why);
        }

        /// <summary>The one place a response read from the wire becomes a <see cref="DnsQueryResult"/>.</summary>
        private static DnsQueryResult ToResult(string normalized, DnsRecordType type, DnsWire.Response response, string server, TimeSpan elapsed)
        {
            var questionRequired = response.Rcode == 0 || response.Rcode == 3;
            var problem = DnsAnswerValidator.Validate(normalized, type, questionRequired, response.Questions, response.Answers, out var accepted);
            if (problem != null)
                return new DnsQueryResult(normalized, type, DnsOutcome.OtherError, null, server, elapsed, problem);
            var answers = accepted;
            int? negativeTtl = response.NegativeTtl;
            DnsOutcome result;
            switch (response.Rcode)
            {
                case 0:
                    result = answers.Any(r => r.Type == type) ? DnsOutcome.Answer : DnsOutcome.NoData;
                    break;
                case 3:
                    result = DnsOutcome.NxDomain;
                    break;
                case 2:
                    result = DnsOutcome.ServerFailure;
                    break;
                case 5:
                    result = DnsOutcome.Refused;
                    break;
                default:
                    result = DnsOutcome.OtherError;
                    break;
            }
            var message = result == DnsOutcome.OtherError ? $"RCODE {RcodeName(response.Rcode)}" : null;
            return new DnsQueryResult(normalized, type, result, answers, server, elapsed, message,
                response.AuthenticData, result == DnsOutcome.NxDomain || result == DnsOutcome.NoData ? negativeTtl : null);
        }

        private static string RcodeName(int rcode)
        {
            switch (rcode)
            {
                case 1: return "FormatError";
                case 4: return "NotImplemented";
                case 6: return "YXDomain";
                case 7: return "YXRRSet";
                case 8: return "NXRRSet";
                case 9: return "NotAuth";
                case 10: return "NotZone";
                default: return rcode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        /// <summary>The same question over TCP (RFC 7766), after a truncated UDP answer.</summary>
        private async Task<DnsWire.Response> TcpExchangeAsync(IPEndPoint server, byte[] query, CancellationToken cancellationToken)
        {
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (var client = new TcpClient(server.AddressFamily))
            {
                timer.CancelAfter(_timeout);
                using (timer.Token.Register(c => ((TcpClient)c).Dispose(), client))
                {
                    try
                    {
                        await client.ConnectAsync(server.Address, server.Port).ConfigureAwait(false);
                        var stream = client.GetStream();
                        var framed = new byte[query.Length + 2];
                        framed[0] = (byte)(query.Length >> 8);
                        framed[1] = (byte)query.Length;
                        Buffer.BlockCopy(query, 0, framed, 2, query.Length);
                        await stream.WriteAsync(framed, 0, framed.Length, timer.Token).ConfigureAwait(false);
                        var head = await ReadExactlyAsync(stream, 2, timer.Token).ConfigureAwait(false);
                        var body = await ReadExactlyAsync(stream, head[0] << 8 | head[1], timer.Token).ConfigureAwait(false);
                        var response = DnsWire.Parse(body, body.Length);
                        if (!response.IsResponse || response.Id != DnsWire.GetId(query)) throw new FormatException("the TCP answer is not the response to the question");
                        return response;
                    }
                    catch (Exception) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        throw new TimeoutException($"no answer within {_timeout.TotalSeconds:0.###} s");
                    }
                }
            }
        }

        private static async Task<byte[]> ReadExactlyAsync(System.IO.Stream stream, int count, CancellationToken cancellationToken)
        {
            var buffer = new byte[count];
            int read = 0;
            while (read < count)
            {
                var n = await stream.ReadAsync(buffer, read, count - read, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new System.IO.IOException("the server closed the TCP connection before the whole answer");
                read += n;
            }
            return buffer;
        }

        /// <summary>Splits RDATA made of length-prefixed character-strings (TXT, SPF).</summary>
        internal static IEnumerable<string> ReadCharacterStrings(byte[] data)
        {
            var list = new List<string>();
            int i = 0;
            while (i < data.Length)
            {
                int len = data[i++];
                len = Math.Min(len, data.Length - i);
                list.Add(Encoding.UTF8.GetString(data, i, len));
                i += len;
            }
            return list;
        }
    }
}
