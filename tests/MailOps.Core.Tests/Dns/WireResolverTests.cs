using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Testing;
using ArRecordType = ARSoft.Tools.Net.Dns.RecordType;

namespace MailOps.Tests.Dns
{
    /// <summary>The DNS layer over real UDP/TCP on loopback, against the fixture server.</summary>
    public sealed class WireResolverTests : IDisposable
    {
        private readonly FixtureDnsServer _server;

        public WireResolverTests()
        {
            _server = FixtureDnsServer.Start();
            _server.LoadMasterFileFromPath(Paths.DnsFixture("mx.example.com.zone"));
            _server.LoadMasterFileFromPath(Paths.DnsFixture("reverse.zone"));
        }

        public void Dispose() => _server.Dispose();

        private IDnsResolver Resolver(int timeoutMs = 2000) =>
            new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(timeoutMs), retries: 0);

        private static Task<DnsQueryResult> Ask(IDnsResolver r, string name, DnsRecordType type) => r.QueryAsync(name, type, CancellationToken.None);

        [Fact]
        public async Task Answer_returns_typed_records_and_the_server()
        {
            var r = await Ask(Resolver(), "example.com", DnsRecordType.MX);
            Assert.Equal(DnsOutcome.Answer, r.Outcome);
            Assert.Equal(new[] { "backup.example.com", "mail.example.com" }, r.RecordsOf<MxRecord>().Select(m => m.Exchange).OrderBy(x => x));
            Assert.Equal(_server.ServerSpec, r.Server);
            Assert.False(r.IsError);
        }

        [Fact]
        public async Task NxDomain_and_NoData_are_distinct_and_not_errors()
        {
            var nx = await Ask(Resolver(), "does-not-exist.example.com", DnsRecordType.A);
            Assert.Equal(DnsOutcome.NxDomain, nx.Outcome);
            Assert.False(nx.IsError);
            var nodata = await Ask(Resolver(), "nullmx.example.com", DnsRecordType.A);
            Assert.Equal(DnsOutcome.NoData, nodata.Outcome);
            Assert.Empty(nodata.Records);
        }

        [Fact]
        public async Task Timeout_is_an_unanswered_outcome_never_empty()
        {
            _server.SetFault("slow.example.com", FixtureDnsServer.Fault.Timeout);
            var r = await Ask(Resolver(timeoutMs: 300), "slow.example.com", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.Timeout, r.Outcome);
            Assert.True(r.IsError);
            Assert.False(r.IsEmpty);
            Assert.Contains("slow.example.com", new DnsQueryFailedException(r).Message);
            Assert.Contains(_server.ServerSpec, new DnsQueryFailedException(r).Message);
        }

        [Theory]
        [InlineData(FixtureDnsServer.Fault.ServFail, DnsOutcome.ServerFailure)]
        [InlineData(FixtureDnsServer.Fault.Refused, DnsOutcome.Refused)]
        public async Task Error_rcodes_are_their_own_outcomes(FixtureDnsServer.Fault fault, DnsOutcome expected)
        {
            _server.SetFault("broken.example.com", fault);
            var r = await Ask(Resolver(), "broken.example.com", DnsRecordType.MX);
            Assert.Equal(expected, r.Outcome);
            Assert.True(r.IsError);
        }

        [Fact]
        public async Task Network_error_when_nothing_listens()
        {
            var r = await Ask(new WireDnsResolver(new[] { new IPEndPoint(IPAddress.Loopback, 9) }, TimeSpan.FromMilliseconds(500), 0),
                "example.com", DnsRecordType.MX);
            Assert.True(r.IsError);
            Assert.Contains(r.Outcome, new[] { DnsOutcome.NetworkError, DnsOutcome.Timeout });
        }

        [Fact]
        public async Task Truncated_udp_answer_is_retried_over_tcp()
        {
            _server.SetFault("example.com", FixtureDnsServer.Fault.TruncateUdp);
            var r = await Ask(Resolver(), "example.com", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.Answer, r.Outcome);
            Assert.Single(r.Records);
            Assert.Equal(1, _server.QueryCount("example.com", ArRecordType.Txt, tcp: false));
            Assert.Equal(1, _server.QueryCount("example.com", ArRecordType.Txt, tcp: true));
        }

        [Fact]
        public async Task Txt_keeps_its_character_strings_and_joins_them()
        {
            var r = await Ask(Resolver(), "example.com", DnsRecordType.TXT);
            var txt = Assert.Single(r.RecordsOf<TxtRecord>());
            Assert.Equal(new[] { "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32", " include:_spf.example.net -all" }, txt.Strings);
            Assert.Equal("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net -all", txt.Text);
        }

        [Fact]
        public async Task Cname_chain_is_followed_and_reported()
        {
            var r = await Ask(Resolver(), "alias.example.com", DnsRecordType.A);
            Assert.Equal(DnsOutcome.Answer, r.Outcome);
            Assert.Equal("192.0.2.10", Assert.Single(r.RecordsOf<AddressRecord>()).Address.ToString());
            Assert.Equal("mail.example.com", Assert.Single(r.CnameChain).Target);
        }

        [Fact]
        public async Task Cache_answers_a_repeated_question_without_asking_again()
        {
            var cache = new CachingDnsResolver(Resolver());
            var first = await Ask(cache, "example.com", DnsRecordType.MX);
            var second = await Ask(cache, "EXAMPLE.com.", DnsRecordType.MX);
            Assert.False(first.FromCache);
            Assert.True(second.FromCache);
            Assert.Equal(first.Records.Count, second.Records.Count);
            Assert.Equal(1, _server.QueryCount("example.com", ArRecordType.Mx));
            Assert.Equal(1, cache.Hits);
        }

        [Fact]
        public async Task Cache_shares_one_query_between_concurrent_askers()
        {
            var cache = new CachingDnsResolver(Resolver());
            var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Ask(cache, "mail.example.com", DnsRecordType.A)));
            Assert.All(all, r => Assert.Equal(DnsOutcome.Answer, r.Outcome));
            Assert.Equal(1, _server.QueryCount("mail.example.com", ArRecordType.A));
        }

        [Fact]
        public async Task Cache_honours_ttl()
        {
            var now = new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc);
            var cache = new CachingDnsResolver(Resolver(), () => now);
            await Ask(cache, "mail.example.com", DnsRecordType.A);
            now = now.AddSeconds(3599);
            Assert.True((await Ask(cache, "mail.example.com", DnsRecordType.A)).FromCache);
            now = now.AddSeconds(2);
            Assert.False((await Ask(cache, "mail.example.com", DnsRecordType.A)).FromCache);
            Assert.Equal(2, _server.QueryCount("mail.example.com", ArRecordType.A));
        }

        [Fact]
        public async Task Cancellation_ends_a_hanging_query_promptly()
        {
            _server.SetFault("hang.example.com", FixtureDnsServer.Fault.Timeout);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(30), 0).QueryAsync("hang.example.com", DnsRecordType.A, cts.Token));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        }

        [Fact]
        public async Task Next_server_is_asked_only_when_one_does_not_answer()
        {
            var dead = new IPEndPoint(IPAddress.Loopback, 9);
            var r = await new WireDnsResolver(new[] { dead, _server.EndPoint }, TimeSpan.FromSeconds(2), 0)
                .QueryAsync("example.com", DnsRecordType.MX, CancellationToken.None);
            Assert.Equal(DnsOutcome.Answer, r.Outcome);
            Assert.Equal(_server.ServerSpec, r.Server);
        }
    }
}
