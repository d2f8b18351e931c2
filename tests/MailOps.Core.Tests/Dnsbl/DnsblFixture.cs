using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dnsbl
{
    /// <summary>Starts fixture DNS servers (or zone-file resolvers) on chosen files under tests/fixtures/dns/dnsbl/.</summary>
    public sealed class DnsblFixture : IDisposable
    {
        private readonly List<FixtureDnsServer> _servers = new();

        public static IEnumerable<object[]> Paths2 => new[] { new object[] { "wire" }, new object[] { "zonefile" } };

        public static string File(string name) => Paths.DnsFixture("dnsbl/" + name);

        /// <summary>The last server started (for fault injection and query counts).</summary>
        public FixtureDnsServer? Server { get; private set; }

        public FixtureDnsServer StartServer(params string[] files)
        {
            var s = FixtureDnsServer.Start();
            foreach (var f in files) s.LoadMasterFileFromPath(File(f));
            _servers.Add(s);
            Server = s;
            return s;
        }

        /// <summary>A resolver over the files: "wire" through a loopback server, "zonefile" through -ZoneFile's resolver
        /// (with a dead server behind it, so nothing escapes). <paramref name="cache"/> false proves per-run behaviour
        /// without the per-invocation cache.</summary>
        public IDnsResolver Dns(string path, bool cache, params string[] files)
        {
            IDnsResolver inner = path == "wire"
                ? new WireDnsResolver(new[] { StartServer(files).EndPoint }, TimeSpan.FromMilliseconds(700), 0)
                : new ZoneFileResolver(files.Select(f => MasterFileParser.ParseFile(File(f))),
                    new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0));
            return cache ? new CachingDnsResolver(inner) : inner;
        }

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
        }
    }
}
