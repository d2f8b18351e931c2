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
using DnsClient.Protocol;

namespace MailOps.Dns
{
    /// <summary>
    /// Asks real DNS servers over the wire with DnsClient: UDP first, TCP when the UDP answer is truncated.
    /// Servers are tried in order; the next one is asked only when one does not answer at all
    /// (timeout or network error). An error RCODE from a server is the answer, not a reason to shop around.
    /// </summary>
    public sealed class WireDnsResolver : IDnsResolver
    {
        private readonly LookupClient _client;
        private readonly string _serverText;

        /// <param name="requestDnssec">Set the DO bit (EDNS0) in queries. A validating resolver sets the AD bit in its answer only
        /// when the query asks for DNSSEC (DO or AD set, RFC 6840 §5.7), so checks that read <see cref="DnsQueryResult.AuthenticData"/>
        /// (DANE) need it. Off by default: it makes answers larger (RRSIGs) for checks that do not care.</param>
        public WireDnsResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, int retries = 1, bool requestDnssec = false)
        {
            if (servers == null || servers.Count == 0) throw new ArgumentException("At least one DNS server is needed.", nameof(servers));
            if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
            Servers = servers;
            var options = new LookupClientOptions(servers.ToArray())
            {
                UseCache = false,                 // MailOps keeps its own per-invocation cache (CachingDnsResolver).
                Timeout = timeout,
                Retries = Math.Max(0, retries),
                ThrowDnsErrors = false,
                ContinueOnDnsError = false,
                ContinueOnEmptyResponse = false,
                UseRandomNameServer = false,
                UseTcpFallback = true,
                EnableAuditTrail = false,
                AutoResolveNameServers = false,
                Recursion = true,
                RequestDnsSecRecords = requestDnssec,
            };
            _client = new LookupClient(options);
            _serverText = string.Join(",", servers.Select(FormatEndpoint));
        }

        public IReadOnlyList<IPEndPoint> Servers { get; }

        /// <summary>The resolvers this machine is configured with (resolv.conf on Linux and macOS, the adapters on Windows).</summary>
        public static IReadOnlyList<IPEndPoint> SystemServers()
        {
            // fallbackToGooglePublicDns: false - a public resolver is exactly what blocklists refuse; never guess one.
            var found = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false);
            return found.Select(ns => new IPEndPoint(IPAddress.Parse(ns.Address), ns.Port)).ToList();
        }

        internal static string FormatEndpoint(IPEndPoint ep) =>
            ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";

        public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            var normalized = DnsName.Normalize(name);
            var sw = Stopwatch.StartNew();
            IDnsQueryResponse response;
            try
            {
                response = await _client.QueryAsync(DnsName.Absolute(normalized), (QueryType)(int)type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C, not a DNS outcome (DnsClient may wrap the cancellation in its own exception).
                throw new OperationCanceledException(cancellationToken);
            }
            catch (DnsResponseException ex)
            {
                var outcome = ex.Code == DnsResponseCode.ConnectionTimeout ? DnsOutcome.Timeout : DnsOutcome.NetworkError;
                if (ex.InnerException is TimeoutException || ex.InnerException is OperationCanceledException) outcome = DnsOutcome.Timeout;
                return new DnsQueryResult(normalized, type, outcome, null, _serverText, sw.Elapsed, ex.Message);
            }
            catch (OperationCanceledException ex)
            {
                // DnsClient signals its own per-query timeout this way on some paths.
                return new DnsQueryResult(normalized, type, DnsOutcome.Timeout, null, _serverText, sw.Elapsed, ex.Message);
            }
            catch (Exception ex) when (ex is SocketException || ex is System.IO.IOException || ex is DnsResponseParseException || ex is ObjectDisposedException)
            {
                return new DnsQueryResult(normalized, type, DnsOutcome.NetworkError, null, _serverText, sw.Elapsed, ex.Message);
            }
            catch (DnsXidMismatchException ex)
            {
                // A reply to another query (or a forgery): this question went unanswered, like a timeout.
                return new DnsQueryResult(normalized, type, DnsOutcome.NetworkError, null, _serverText, sw.Elapsed,
                    $"the reply's message id {ex.ResponseXid} does not match the query's {ex.RequestXid}");
            }
            catch (Exception ex) when (ex is ArgumentException || ex is IndexOutOfRangeException || ex is InvalidOperationException
                || ex is FormatException || ex is OverflowException || ex is NotSupportedException || ex is System.Text.DecoderFallbackException)
            {
                // DnsClient's reader on a malformed reply (bad lengths, compression-pointer loops): no answer was read.
                return new DnsQueryResult(normalized, type, DnsOutcome.NetworkError, null, _serverText, sw.Elapsed,
                    "the reply could not be read: " + TextSafety.Escape(ex.Message));
            }

            var server = response.NameServer != null ? FormatNameServer(response.NameServer) : _serverText;
            var rcode = response.Header.ResponseCode;
            var answers = response.Answers.Select(Convert).Where(r => r != null).ToList();
            var questionRequired = rcode == DnsHeaderResponseCode.NoError || rcode == DnsHeaderResponseCode.NotExistentDomain;
            var problem = DnsAnswerValidator.Validate(normalized, type, questionRequired,
                response.Questions.Select(q => new DnsAnswerValidator.Question(q.QueryName.Value, (int)q.QuestionType, (int)q.QuestionClass)).ToList(),
                answers, out var accepted);
            if (problem != null)
                return new DnsQueryResult(normalized, type, DnsOutcome.OtherError, null, server, sw.Elapsed, problem);
            answers = accepted.ToList();
            int? negativeTtl = response.Authorities.OfType<DnsClient.Protocol.SoaRecord>()
                .Select(s => (int?)Math.Min(s.TimeToLive, (int)Math.Min(s.Minimum, int.MaxValue))).FirstOrDefault();

            DnsOutcome result;
            switch (rcode)
            {
                case DnsHeaderResponseCode.NoError:
                    result = answers.Any(r => r.Type == type) ? DnsOutcome.Answer : DnsOutcome.NoData;
                    break;
                case DnsHeaderResponseCode.NotExistentDomain:
                    result = DnsOutcome.NxDomain;
                    break;
                case DnsHeaderResponseCode.ServerFailure:
                    result = DnsOutcome.ServerFailure;
                    break;
                case DnsHeaderResponseCode.Refused:
                    result = DnsOutcome.Refused;
                    break;
                default:
                    result = DnsOutcome.OtherError;
                    break;
            }
            var message = result == DnsOutcome.OtherError ? $"RCODE {rcode}" : null;
            return new DnsQueryResult(normalized, type, result, answers, server, sw.Elapsed, message,
                response.Header.IsAuthenticData, result == DnsOutcome.NxDomain || result == DnsOutcome.NoData ? negativeTtl : null);
        }

        private static string FormatNameServer(NameServer ns)
        {
            if (IPAddress.TryParse(ns.Address, out var ip)) return FormatEndpoint(new IPEndPoint(ip, ns.Port));
            return $"{ns.Address}:{ns.Port}";
        }

        private static DnsRecord Convert(DnsResourceRecord rr)
        {
            var name = rr.DomainName.Value;
            var ttl = rr.TimeToLive;
            switch (rr)
            {
                case ARecord a: return new AddressRecord(name, ttl, a.Address);
                case AaaaRecord aaaa: return new AddressRecord(name, ttl, aaaa.Address);
                case DnsClient.Protocol.MxRecord mx: return new MxRecord(name, ttl, mx.Preference, mx.Exchange.Value);
                case DnsClient.Protocol.TxtRecord txt:
                    return new TxtRecord(name, ttl, txt.Text, rr.RecordType == ResourceRecordType.SPF ? DnsRecordType.SPF : DnsRecordType.TXT);
                case CNameRecord c: return new NameRecord(name, DnsRecordType.CNAME, ttl, c.CanonicalName.Value);
                case PtrRecord p: return new NameRecord(name, DnsRecordType.PTR, ttl, p.PtrDomainName.Value);
                case NsRecord ns: return new NameRecord(name, DnsRecordType.NS, ttl, ns.NSDName.Value);
                case DnsClient.Protocol.SoaRecord soa:
                    return new SoaRecord(name, ttl, soa.MName.Value, soa.RName.Value, soa.Serial, (int)soa.Refresh, (int)soa.Retry, (int)soa.Expire, (int)soa.Minimum);
                case DnsClient.Protocol.TlsaRecord tlsa:
                    return new TlsaRecord(name, ttl, (int)tlsa.CertificateUsage, (int)tlsa.Selector, (int)tlsa.MatchingType, tlsa.CertificateAssociationData.ToArray());
                case DnsClient.Protocol.SrvRecord srv:
                    return new SrvRecord(name, ttl, srv.Priority, srv.Weight, srv.Port, srv.Target.Value);
                case DnsClient.Protocol.UnknownRecord u:
                    var data = u.Data.ToArray();
                    if ((int)rr.RecordType == (int)DnsRecordType.SPF || (int)rr.RecordType == (int)DnsRecordType.TXT)
                        return new TxtRecord(name, ttl, ReadCharacterStrings(data), (DnsRecordType)(int)rr.RecordType);
                    return new UnknownRecord(name, (int)rr.RecordType, ttl, data);
                default:
                    return null; // OPT, RRSIG and friends: not part of any answer MailOps reads.
            }
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
