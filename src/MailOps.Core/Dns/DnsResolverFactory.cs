using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Dns
{
    /// <summary>How a cmdlet invocation wants its DNS asked.</summary>
    public sealed class DnsOptions
    {
        /// <summary>Servers as the user wrote them (ip, host, ip:port, [v6]:port). Empty: the system's resolvers.</summary>
        public IReadOnlyList<string> Servers { get; set; } = new string[0];

        /// <summary>Per-query timeout.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Extra tries per server after a timeout.</summary>
        public int Retries { get; set; } = 1;

        /// <summary>Master files whose names are answered locally.</summary>
        public IReadOnlyList<string> ZoneFiles { get; set; } = new string[0];

        /// <summary>Ask for DNSSEC (DO bit) so that a validating resolver reports validation with the AD bit (DANE needs it).</summary>
        public bool RequestDnssec { get; set; }

        /// <summary>Bounds of loading <see cref="ZoneFiles"/> (size, includes, records). Null: the defaults.</summary>
        public ZoneFileLimits? ZoneFileLimits { get; set; }

        /// <summary>Cancels loading <see cref="ZoneFiles"/> (Ctrl+C while a large zone file is read).</summary>
        public CancellationToken CancellationToken { get; set; }

        /// <summary>Told of every question asked or answered from cache (<see cref="DnsQueryResult.Describe"/>, as a verbose
        /// note). Null: nobody is told.</summary>
        public ICheckSink? Sink { get; set; }
    }

    /// <summary>Builds the resolver stack every DNS-using cmdlet goes through: log → cache → zone files → wire.</summary>
    public static class DnsResolverFactory
    {
        public static IDnsResolver Create(DnsOptions options)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var endpoints = options.Servers != null && options.Servers.Count > 0
                ? options.Servers.Select(ServerSpec.Parse).SelectMany(s => s.Resolve()).ToList()
                : WireDnsResolver.SystemServers().ToList();
            IDnsResolver wire = endpoints.Count > 0
                ? (IDnsResolver)new WireDnsResolver(endpoints, options.Timeout, options.Retries, options.RequestDnssec)
                : new NoServerResolver();
            IDnsResolver resolver = wire;
            if (options.ZoneFiles != null && options.ZoneFiles.Count > 0)
                resolver = new ZoneFileResolver(options.ZoneFiles.Select(p => MasterFileParser.ParseFile(p, null, options.ZoneFileLimits, options.CancellationToken)).ToList(), wire);
            resolver = new CachingDnsResolver(resolver);
            return options.Sink == null || !options.Sink.VerboseEnabled ? resolver : new LoggingDnsResolver(resolver, options.Sink);
        }

        private sealed class NoServerResolver : IDnsResolver
        {
            public Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken) =>
                Task.FromResult(new DnsQueryResult(name, type, DnsOutcome.NetworkError, null, "(none)", TimeSpan.Zero,
                    "this machine has no DNS resolver configured"));
        }
    }

    /// <summary>Reports every question to a sink as a verbose note (after the cache, so cache hits show as such).</summary>
    public sealed class LoggingDnsResolver : IDnsResolver
    {
        private readonly IDnsResolver _inner;
        private readonly ICheckSink _sink;

        public LoggingDnsResolver(IDnsResolver inner, ICheckSink sink)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        }

        public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            var r = await _inner.QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
            _sink.Verbose(r.Describe());
            return r;
        }
    }

    /// <summary>A DNS server as a user writes it: <c>192.0.2.53</c>, <c>192.0.2.53:5353</c>, <c>2001:db8::53</c>,
    /// <c>[2001:db8::53]:5353</c>, <c>ns.example.net</c> or <c>ns.example.net:5353</c>.</summary>
    public sealed class ServerSpec
    {
        private ServerSpec(string text, string? host, IPAddress? address, int port)
        {
            Text = text;
            Host = host;
            Address = address;
            Port = port;
        }

        public string Text { get; }
        public string? Host { get; }
        public IPAddress? Address { get; }
        public int Port { get; }

        /// <summary>Parses; throws <see cref="FormatException"/> saying what is wrong.</summary>
        public static ServerSpec Parse(string? text)
        {
            if (Strings.IsNullOrWhiteSpace(text)) throw new FormatException("A DNS server is empty.");
            var s = text.Trim();
            int port = 53;
            string host = s;
            if (s.StartsWith("[", StringComparison.Ordinal))
            {
                var close = s.IndexOf(']');
                if (close < 0) throw new FormatException($"DNS server '{text}': '[' without ']'. Write an IPv6 server with a port as [2001:db8::53]:5353.");
                host = s.Substring(1, close - 1);
                var rest = s.Substring(close + 1);
                if (rest.Length > 0)
                {
                    if (!rest.StartsWith(":", StringComparison.Ordinal)) throw new FormatException($"DNS server '{text}': expected ':port' after ']'.");
                    port = ParsePort(rest.Substring(1), text);
                }
                if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                    throw new FormatException($"DNS server '{text}': '{host}' inside brackets is not an IPv6 address.");
                return new ServerSpec(text, null, v6, port);
            }
            var colons = s.Count(c => c == ':');
            if (colons > 1)
            {
                if (!IPAddress.TryParse(s, out var bare)) throw new FormatException($"DNS server '{text}' is not an IPv6 address. To give a port, write [2001:db8::53]:5353.");
                return new ServerSpec(text, null, bare, 53);
            }
            if (colons == 1)
            {
                var i = s.IndexOf(':');
                host = s.Substring(0, i);
                port = ParsePort(s.Substring(i + 1), text);
            }
            if (IPAddress.TryParse(host, out var ip))
            {
                if (ip.AddressFamily == AddressFamily.InterNetwork && host.Count(c => c == '.') != 3)
                    throw new FormatException($"DNS server '{text}': '{host}' is not a full IPv4 address.");
                return new ServerSpec(text, null, ip, port);
            }
            var problem = DnsName.ValidateDomainName(host);
            if (problem != null) throw new FormatException($"DNS server '{text}' is neither an IP address nor a host name: {problem}.");
            return new ServerSpec(text, host, null, port);
        }

        private static int ParsePort(string s, string text)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
                throw new FormatException($"DNS server '{text}': port '{s}' is not a number from 1 to 65535.");
            return port;
        }

        /// <summary>The endpoints to ask. A host name is looked up with the operating system's resolver.</summary>
        public IEnumerable<IPEndPoint> Resolve()
        {
            if (Address != null) return new[] { new IPEndPoint(Address, Port) };
            IPAddress[] addresses;
            try
            {
                addresses = System.Net.Dns.GetHostAddresses(Host);
            }
            catch (SocketException ex)
            {
                throw new FormatException($"DNS server '{Text}': the host name {Host} could not be resolved ({ex.Message}).", ex);
            }
            if (addresses.Length == 0) throw new FormatException($"DNS server '{Text}': the host name {Host} has no address.");
            return addresses.Select(a => new IPEndPoint(a, Port));
        }
    }
}
