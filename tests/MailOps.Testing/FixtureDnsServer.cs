using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace MailOps.Testing
{
    /// <summary>
    /// A real DNS server on 127.0.0.1 (UDP and TCP, one random free port) that answers like a recursive resolver
    /// from fixture records. Fault modes per name: no reply (timeout), SERVFAIL, REFUSED, and a truncated UDP answer
    /// whose full form comes over TCP. Counts the questions it gets, so tests can prove caching and the TCP retry.
    /// </summary>
    public sealed class FixtureDnsServer : IDisposable
    {
        private readonly DnsServer _server;
        private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<(string, RecordType), Fault> _typeFaults = new();
        private readonly ConcurrentQueue<(string Name, RecordType Type, bool Tcp)> _log = new();

        public enum Fault { Timeout, ServFail, Refused, TruncateUdp }

        private FixtureDnsServer(DnsServer server, int port)
        {
            _server = server;
            Port = port;
        }

        public int Port { get; }

        /// <summary>What to pass to -Server: "127.0.0.1:PORT".</summary>
        public string ServerSpec => $"127.0.0.1:{Port}";

        public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

        /// <summary>Set the AD bit on every answer (as a validating resolver would for a signed zone).</summary>
        public bool AuthenticData { get; set; }

        /// <summary>With <see cref="AuthenticData"/>: set AD only when the query asked for DNSSEC (DO or AD bit), as real
        /// validating resolvers do (RFC 6840 §5.7). Off by default.</summary>
        public bool AuthenticDataOnlyWhenAsked { get; set; }

        /// <summary>Starts a server on a free loopback port.</summary>
        public static FixtureDnsServer Start()
        {
            for (int attempt = 0; ; attempt++)
            {
                int port;
                using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
                    port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
                try
                {
                    var server = new DnsServer(new IServerTransport[]
                    {
                        new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, port)),
                        new TcpServerTransport(new IPEndPoint(IPAddress.Loopback, port), 5000, 5000),
                    });
                    var fixture = new FixtureDnsServer(server, port);
                    server.QueryReceived += fixture.OnQuery;
                    server.Start();
                    return fixture;
                }
                catch (SocketException) when (attempt < 20)
                {
                    // Port taken for TCP between the probe and the bind; try another.
                }
            }
        }

        /// <summary>Starts a server loaded with master-file text (one or more zones' worth of lines).</summary>
        public static FixtureDnsServer StartWithZone(params string[] masterFileTexts)
        {
            var s = Start();
            foreach (var text in masterFileTexts) s.LoadMasterFile(text);
            return s;
        }

        /// <summary>Loads master-file text with ARSoft's parser (absolute names, or $ORIGIN).</summary>
        public void LoadMasterFile(string text)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            var zone = Zone.ParseMasterFile(DomainName.Root, stream);
            AddRecords(zone);
        }

        public void LoadMasterFileFromPath(string path) => LoadMasterFile(File.ReadAllText(path));

        public void AddRecords(IEnumerable<DnsRecordBase> records)
        {
            foreach (var r in records)
            {
                var key = Key(r.Name);
                _records.AddOrUpdate(key, _ => new List<DnsRecordBase> { r }, (_, list) => { lock (list) list.Add(r); return list; });
            }
        }

        public void AddRecord(DnsRecordBase record) => AddRecords(new[] { record });

        /// <summary>Makes every question for <paramref name="name"/> fail in the given way.</summary>
        public void SetFault(string name, Fault fault) => _faults[Key(name)] = fault;

        /// <summary>Makes questions for one type at <paramref name="name"/> fail in the given way; other types are answered
        /// (a server that times out on TXT but answers A, as the RFC 7208 test suite's TIMEOUT entries describe).</summary>
        public void SetFault(string name, RecordType type, Fault fault) => _typeFaults[(Key(name), type)] = fault;

        /// <summary>Adds a TXT (or type 99 SPF) record from raw character-strings, byte for byte. ARSoft encodes text
        /// as ASCII, so this is the way to serve UTF-8, high-bit bytes or an RDATA with no strings at all.</summary>
        public void AddRawText(string name, RecordType type, int ttl, IEnumerable<byte[]> strings)
        {
            var data = new List<byte>();
            foreach (var s in strings)
            {
                if (s.Length > 255) throw new ArgumentException("A character-string holds at most 255 bytes.", nameof(strings));
                data.Add((byte)s.Length);
                data.AddRange(s);
            }
            AddRecord(new UnknownRecord(NameFromLabels(name), type, RecordClass.INet, ttl, data.ToArray()));
        }

        /// <summary>A DomainName built label by label, so names with spaces, '%', ':' or '/' (legal in DNS) survive.</summary>
        public static DomainName NameFromLabels(string name) =>
            name.TrimEnd('.').Length == 0 ? DomainName.Root : new DomainName(name.TrimEnd('.').Split('.'));

        /// <summary>How many times a question was asked (any type when <paramref name="type"/> is null).</summary>
        public int QueryCount(string name, RecordType? type = null, bool? tcp = null) =>
            _log.Count(q => string.Equals(q.Name, Key(name), StringComparison.OrdinalIgnoreCase)
                && (type == null || q.Type == type) && (tcp == null || q.Tcp == tcp));

        public int TotalQueries => _log.Count;

        private static string Key(DomainName name) => Key(name.ToString());

        private static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();

        private readonly System.Threading.CancellationTokenSource _stopping = new();

        /// <summary>Holds a query without replying until the server stops (ARSoft answers SERVFAIL to a null response,
        /// so silence has to be a wait).</summary>
        private async Task Silence()
        {
            try { await Task.Delay(TimeSpan.FromMinutes(5), _stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }

        private async Task OnQuery(object sender, QueryReceivedEventArgs e)
        {
            var response = Answer(e);
            if (response == null) await Silence().ConfigureAwait(false);
            else e.Response = response;
        }

        private DnsMessage? Answer(QueryReceivedEventArgs e)
        {
            if (e.Query is not DnsMessage query || query.Questions.Count != 1) return null;
            var q = query.Questions[0];
            var tcp = e.TransportProtocol == TransportProtocol.Tcp;
            var name = Key(q.Name);
            _log.Enqueue((name, q.RecordType, tcp));

            var response = query.CreateResponseInstance();
            response.IsRecursionAllowed = true;
            response.IsAuthenticData = AuthenticData && (!AuthenticDataOnlyWhenAsked || query.IsDnsSecOk || query.IsAuthenticData);

            if (_faults.TryGetValue(name, out var fault) || _typeFaults.TryGetValue((name, q.RecordType), out fault))
            {
                switch (fault)
                {
                    case Fault.Timeout:
                        return null; // no response at all
                    case Fault.ServFail:
                        response.ReturnCode = ReturnCode.ServerFailure;
                        return response;
                    case Fault.Refused:
                        response.ReturnCode = ReturnCode.Refused;
                        return response;
                    case Fault.TruncateUdp when !tcp:
                        response.IsTruncated = true;
                        return response;
                }
            }

            var current = q.Name;
            for (int hops = 0; hops < 10; hops++)
            {
                var key = Key(current);
                if (_faults.TryGetValue(key, out var chainFault) && chainFault == Fault.Timeout && hops > 0)
                    return null;
                var rrset = Lookup(key, current);
                if (rrset == null)
                {
                    response.ReturnCode = ReturnCode.NxDomain;
                    break;
                }
                var matching = rrset.Where(r => r.RecordType == q.RecordType || q.RecordType == RecordType.Any).ToList();
                if (matching.Count > 0)
                {
                    response.AnswerRecords.AddRange(matching);
                    break;
                }
                var cname = rrset.OfType<CNameRecord>().FirstOrDefault();
                if (cname == null) break; // NODATA
                response.AnswerRecords.Add(cname);
                current = cname.CanonicalName;
            }
            return response;
        }

        /// <summary>The records at a name (with wildcard synthesis); an empty list for a name that exists only
        /// as an ancestor of others; null when the name does not exist.</summary>
        private List<DnsRecordBase>? Lookup(string key, DomainName name)
        {
            if (_records.TryGetValue(key, out var list)) { lock (list) return list.ToList(); }
            if (_records.Keys.Any(k => k.EndsWith("." + key, StringComparison.OrdinalIgnoreCase))) return new List<DnsRecordBase>();
            var labels = key.Split('.');
            for (int i = 1; i < labels.Length; i++)
            {
                var wildcard = "*." + string.Join(".", labels.Skip(i));
                if (_records.TryGetValue(wildcard, out var wild))
                {
                    lock (wild) return wild.Select(r => Rename(r, name)).Where(r => r != null).ToList()!;
                }
            }
            return null;
        }

        private static DnsRecordBase? Rename(DnsRecordBase r, DomainName name) => r switch
        {
            ARecord a => new ARecord(name, a.TimeToLive, a.Address),
            AaaaRecord a => new AaaaRecord(name, a.TimeToLive, a.Address),
            TxtRecord t => new TxtRecord(name, t.TimeToLive, t.TextParts),
            MxRecord m => new MxRecord(name, m.TimeToLive, m.Preference, m.ExchangeDomainName),
            CNameRecord c => new CNameRecord(name, c.TimeToLive, c.CanonicalName),
            _ => null,
        };

        public void Dispose()
        {
            _stopping.Cancel();
            try { _server.Stop(); }
            catch (AggregateException) { } // ARSoft surfaces its cancelled listener tasks on Stop
            catch (OperationCanceledException) { }
        }
    }
}
