using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dns
{
    /// <summary>-ZoneFile: names inside the files come from the files; names outside go to the inner resolver.</summary>
    public sealed class ZoneFileResolverTests : IDisposable
    {
        private readonly FixtureDnsServer _server = FixtureDnsServer.StartWithZone("outside.example. 60 IN A 192.0.2.99\n");

        public void Dispose() => _server.Dispose();

        private IDnsResolver Create(params string[] files) =>
            new ZoneFileResolver(files.Select(f => MasterFileParser.ParseFile(Paths.DnsFixture(f))),
                new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0));

        [Fact]
        public async Task Inside_the_zone_answers_come_from_the_file_and_nothing_is_sent()
        {
            var r = Create("mx.example.com.zone");
            var mx = await r.QueryAsync("example.com", DnsRecordType.MX, CancellationToken.None);
            Assert.Equal(DnsOutcome.Answer, mx.Outcome);
            Assert.StartsWith("zonefile:", mx.Server);
            Assert.Equal(2, mx.Records.Count);
            var nx = await r.QueryAsync("nope.example.com", DnsRecordType.A, CancellationToken.None);
            Assert.Equal(DnsOutcome.NxDomain, nx.Outcome);
            var nodata = await r.QueryAsync("mail.example.com", DnsRecordType.MX, CancellationToken.None);
            Assert.Equal(DnsOutcome.NoData, nodata.Outcome);
            Assert.Equal(0, _server.TotalQueries);
        }

        [Fact]
        public async Task Outside_the_zone_goes_to_the_resolver()
        {
            var r = Create("mx.example.com.zone");
            var a = await r.QueryAsync("outside.example", DnsRecordType.A, CancellationToken.None);
            Assert.Equal(DnsOutcome.Answer, a.Outcome);
            Assert.Equal(_server.ServerSpec, a.Server);
        }

        [Fact]
        public async Task Empty_non_terminal_is_nodata_and_cname_is_followed()
        {
            var r = new ZoneFileResolver(new[] { MasterFileParser.Parse(
                "$ORIGIN example.net.\n@ 60 IN SOA ns host 1 1 1 1 60\na.b 60 IN A 192.0.2.1\nc 60 IN CNAME a.b\n*.w 60 IN TXT \"wild\"\n", "z") },
                new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0));
            Assert.Equal(DnsOutcome.NoData, (await r.QueryAsync("b.example.net", DnsRecordType.A, default)).Outcome);
            var c = await r.QueryAsync("c.example.net", DnsRecordType.A, default);
            Assert.Equal("192.0.2.1", c.RecordsOf<AddressRecord>().Single().Address.ToString());
            Assert.Single(c.CnameChain);
            var w = await r.QueryAsync("x.y.w.example.net", DnsRecordType.TXT, default);
            Assert.Equal("wild", w.RecordsOf<TxtRecord>().Single().Text);
            Assert.Equal("x.y.w.example.net", w.Records[0].Name);
        }
    }
}
