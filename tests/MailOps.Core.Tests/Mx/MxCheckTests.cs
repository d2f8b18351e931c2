using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Mx;
using MailOps.Testing;

namespace MailOps.Tests.Mx
{
    /// <summary>Get-MailMx's engine, through the fixture DNS server and through -ZoneFile, on the same fixtures.</summary>
    public sealed class MxCheckTests : IDisposable
    {
        private static readonly string[] Zones = { "mx.example.com.zone", "reverse.zone", "reverse6.zone", "reverse10.zone" };
        private readonly FixtureDnsServer _server;

        public MxCheckTests()
        {
            _server = FixtureDnsServer.Start();
            foreach (var z in Zones) _server.LoadMasterFileFromPath(Paths.DnsFixture(z));
        }

        public void Dispose() => _server.Dispose();

        public static IEnumerable<object[]> Paths2 => new[] { new object[] { "wire" }, new object[] { "zonefile" } };

        private IDnsResolver Dns(string path) => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0))
            : new CachingDnsResolver(new ZoneFileResolver(Zones.Select(z => MasterFileParser.ParseFile(Paths.DnsFixture(z))),
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        private async Task<IReadOnlyList<MailMxHost>> Check(string path, string domain)
        {
            var r = await MxCheck.RunAsync(Dns(path), domain, CancellationToken.None);
            Assert.Empty(r.Unanswered);
            return r.Result;
        }

        private static string[] Codes(MailMxHost h) => h.Findings.Select(f => f.Code).ToArray();

        [Theory, MemberData(nameof(Paths2))]
        public async Task Good_domain_lists_hosts_in_preference_order_with_addresses_and_ptr(string path)
        {
            var hosts = await Check(path, "example.com");
            Assert.Equal(new[] { "mail.example.com", "backup.example.com" }, hosts.Select(h => h.HostName));
            Assert.Equal(new int?[] { 10, 20 }, hosts.Select(h => h.Preference));
            Assert.Equal(new[] { "192.0.2.10" }, hosts[0].IPv4Address);
            Assert.Equal(new[] { "2001:db8::10" }, hosts[0].IPv6Address);
            Assert.Equal(new[] { "mail.example.com" }, hosts[0].PtrName);
            Assert.Equal("Pass", hosts[0].Status);
            Assert.Empty(hosts[0].Findings);
            Assert.Equal("192.0.2.10", hosts[0].IPv4Address.ToString());
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Null_mx_means_accepts_no_mail(string path)
        {
            var h = Assert.Single(await Check(path, "nullmx.example.com"));
            Assert.True(h.IsNullMx);
            Assert.Equal(".", h.HostName);
            Assert.Equal(new[] { "NullMx" }, Codes(h));
            Assert.Equal("Info", h.Findings[0].Severity);
            Assert.Contains("accepts no mail", h.Findings[0].Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Null_mx_with_other_mx_fails(string path)
        {
            var hosts = await Check(path, "mixednull.example.com");
            Assert.Equal(2, hosts.Count);
            Assert.Contains("NullMxWithOtherMx", Codes(hosts[0]));
            Assert.Equal("Fail", hosts[0].Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task No_mx_falls_back_to_the_domain_address(string path)
        {
            var h = Assert.Single(await Check(path, "nomx.example.com"));
            Assert.True(h.IsImplicit);
            Assert.Null(h.Preference);
            Assert.Equal("nomx.example.com", h.HostName);
            Assert.Equal(new[] { "192.0.2.30" }, h.IPv4Address);
            Assert.Equal(new[] { "ImplicitMx" }, Codes(h));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task No_mx_and_no_address_fails(string path)
        {
            var h = Assert.Single(await Check(path, "nothing.example.com"));
            Assert.Equal(new[] { "NoMx" }, Codes(h));
            Assert.Equal("Fail", h.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Nonexistent_domain_is_a_finding_not_an_error(string path)
        {
            var h = Assert.Single(await Check(path, "no-such-domain.example.com"));
            Assert.Equal(new[] { "DomainNotFound" }, Codes(h));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Cname_target_is_flagged_but_resolved(string path)
        {
            var h = Assert.Single(await Check(path, "cname-mx.example.com"));
            Assert.Equal(new[] { "MxTargetIsCname" }, Codes(h));
            Assert.Equal(new[] { "192.0.2.10" }, h.IPv4Address);
            Assert.Contains("mail.example.com", h.Findings[0].Remedy);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ip_literal_target_fails(string path)
        {
            var h = Assert.Single(await Check(path, "literal-mx.example.com"));
            Assert.Equal(new[] { "MxTargetIsIpLiteral" }, Codes(h));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Target_without_address_fails(string path)
        {
            var h = Assert.Single(await Check(path, "noaddr-mx.example.com"));
            Assert.Equal(new[] { "MxHostNoAddress" }, Codes(h));
            Assert.Contains("NXDOMAIN", h.Findings[0].Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Private_address_fails(string path)
        {
            var h = Assert.Single(await Check(path, "private-mx.example.com"));
            Assert.Equal(new[] { "MxHostNonPublicAddress" }, Codes(h));
        }

        [Fact]
        public async Task Mx_timeout_throws_with_the_unanswered_question()
        {
            _server.SetFault("example.com", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => MxCheck.RunAsync(Dns("wire"), "example.com", CancellationToken.None));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
            Assert.Equal(DnsRecordType.MX, ex.Result.Type);
        }

        [Fact]
        public async Task Address_timeout_degrades_the_host_without_claiming_no_address()
        {
            _server.SetFault("backup.example.com", FixtureDnsServer.Fault.Timeout);
            var r = await MxCheck.RunAsync(Dns("wire"), "example.com", CancellationToken.None);
            Assert.Equal(2, r.Unanswered.Count); // A and AAAA of backup.example.com
            Assert.False(r.IsComplete);
            var backup = r.Result.Single(h => h.HostName == "backup.example.com");
            Assert.DoesNotContain("MxHostNoAddress", Codes(backup));
        }

        [Fact]
        public async Task Ptr_questions_of_one_host_go_out_together_so_a_dead_reverse_zone_costs_one_timeout()
        {
            _server.SetFault("10.2.0.192.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            _server.SetFault(DnsName.ReverseName(IPAddress.Parse("2001:db8::10")), FixtureDnsServer.Fault.Timeout);
            var dns = new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(2000), 0));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var r = await MxCheck.RunAsync(dns, "example.com", CancellationToken.None);
            sw.Stop();
            Assert.Equal(2, r.Unanswered.Count(q => q.Type == DnsRecordType.PTR));
            Assert.Empty(r.Result.Single(h => h.HostName == "mail.example.com").PtrName);
            // Together: about 2 s; one after the other: 4 s. The bound sits a second from each, so a busy machine does not decide.
            Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(3000), $"two PTR timeouts of 2 s took {sw.Elapsed.TotalMilliseconds:F0} ms (one after the other would be 4 s)");
        }
    }
}
