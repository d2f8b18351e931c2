using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Testing;

namespace MailOps.Tests.Dnsbl
{
    /// <summary>Get-DnsblListing's engine through the loopback fixture server and through zone files, on the same fixtures.</summary>
    public sealed class DnsblCheckTests : IDisposable
    {
        private const string Zen = "dnsbl-zen.spamhaus.org.zone";
        private const string Dbl = "dnsbl-dbl.spamhaus.org.zone";
        private readonly DnsblFixture _f = new();

        public void Dispose() => _f.Dispose();

        public static IEnumerable<object[]> Paths2 => DnsblFixture.Paths2;

        private static DnsblCheck Check(IDnsResolver dns, params string[] zones) =>
            new(dns, new DnsblOptions { Zones = zones, ThrottleLimit = 8 });

        private static async Task<List<DnsblResult>> Run(DnsblCheck check, params DnsblTarget[] targets)
        {
            var results = (await Task.WhenAll(targets.Select(t => check.CheckAsync(t, CancellationToken.None)))).SelectMany(r => r);
            return results.OrderBy(r => r.Target, StringComparer.Ordinal).ThenBy(r => r.Zone, StringComparer.Ordinal).ToList();
        }

        private static DnsblTarget Ip(string ip) => DnsblTarget.ForAddress(IPAddress.Parse(ip));

        private static async Task<DnsblResult> One(IDnsResolver dns, string zone, DnsblTarget target) =>
            Assert.Single(await Run(Check(dns, zone), target));

        [Theory, MemberData(nameof(Paths2))]
        public async Task Listed_ipv4_carries_codes_meanings_reason_and_delist_url(string path)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip("192.0.2.10"));
            Assert.Equal("Listed", r.Status);
            Assert.Equal("192.0.2.10", r.Target);
            Assert.Equal("IPv4", r.TargetType);
            Assert.Equal("zen.spamhaus.org", r.Zone);
            Assert.Equal("10.2.0.192.zen.spamhaus.org", r.QueryName);
            Assert.Equal(new[] { "127.0.0.10", "127.0.0.4" }, r.ReturnCodes.OrderBy(x => x, StringComparer.Ordinal));
            Assert.Contains(r.Meaning, m => m.StartsWith("XBL:"));
            Assert.Contains(r.Meaning, m => m.StartsWith("PBL:") && m.Contains("ISP"));
            Assert.Equal("https://check.spamhaus.org/query/ip/192.0.2.10", r.Reason);
            Assert.Equal("https://check.spamhaus.org/", r.DelistUrl);
            Assert.Null(r.ErrorKind);
            Assert.True(r.IsListed);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Unlisted_ipv4_is_not_listed(string path)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip("192.0.2.20"));
            Assert.Equal("NotListed", r.Status);
            Assert.Empty(r.ReturnCodes);
            Assert.Null(r.ErrorKind);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Listed_ipv6_is_queried_as_32_reversed_nibbles(string path)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip("2001:db8::25"));
            Assert.Equal("Listed", r.Status);
            Assert.Equal("IPv6", r.TargetType);
            Assert.Equal("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org", r.QueryName);
            Assert.Equal(new[] { "127.0.0.3" }, r.ReturnCodes);
            Assert.StartsWith("SBL CSS", r.Meaning.Single());
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ipv6_zone_test_asks_ffff_7f00_2_in_its_ipv6_form(string path)
        {
            var dns = _f.Dns(path, false, "dnsbl-v6.zone");
            var results = await Run(Check(dns, "v6.dnsbl.example"), Ip("2001:db8::25"), Ip("2001:db8::26"));
            Assert.Equal(new[] { "Listed", "NotListed" }, results.Select(r => r.Status));
            if (path == "wire")
            {
                // RFC 5782 §5: ::FFFF:7F00:2 as 32 nibbles (not mapped to 2.0.0.127), and ::FFFF:7F00:1 must not be listed.
                Assert.Equal(1, _f.Server!.QueryCount("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.v6.dnsbl.example"));
                Assert.Equal(1, _f.Server.QueryCount("1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.v6.dnsbl.example"));
                Assert.Equal(0, _f.Server.QueryCount("2.0.0.127.v6.dnsbl.example"));
            }
        }

        [Fact]
        public void Ipv4_mapped_ipv6_is_checked_as_ipv4()
        {
            var t = DnsblTarget.ForAddress(IPAddress.Parse("::ffff:192.0.2.10"));
            Assert.Equal("IPv4", t.Kind);
            Assert.Equal("192.0.2.10", t.Text);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Domain_listing_uses_the_name_and_skips_ip_targets(string path)
        {
            var check = Check(_f.Dns(path, true, Dbl), "dbl.spamhaus.org");
            var results = await Run(check, DnsblTarget.ForDomain("Spam-Domain.Example."), DnsblTarget.ForDomain("phish.example"),
                DnsblTarget.ForDomain("clean.example"), Ip("192.0.2.10"));
            Assert.Equal(new[] { "clean.example", "phish.example", "spam-domain.example" }, results.Select(r => r.Target));
            Assert.Equal(new[] { "NotListed", "Listed", "Listed" }, results.Select(r => r.Status));
            Assert.Equal("spam-domain.example.dbl.spamhaus.org", results[2].QueryName);
            Assert.StartsWith("Low-reputation", results[2].Meaning.Single());
            Assert.Contains("spam-domain.example", results[2].Reason);
            Assert.Equal("Phishing domain", results[1].Meaning.Single());
            Assert.All(results, r => Assert.Equal("Domain", r.TargetType));
        }

        [Theory]
        [InlineData("wire", "192.0.2.252", "127.255.255.252", "TypoInZoneName", "zone name")]
        [InlineData("wire", "192.0.2.254", "127.255.255.254", "PublicResolverRefused", "public or open resolver")]
        [InlineData("wire", "192.0.2.255", "127.255.255.255", "QuotaExceeded", "free-use query volume")]
        [InlineData("wire", "192.0.2.250", "127.255.255.250", "ListError", "127.255.255.0/24")]
        [InlineData("zonefile", "192.0.2.252", "127.255.255.252", "TypoInZoneName", "zone name")]
        [InlineData("zonefile", "192.0.2.254", "127.255.255.254", "PublicResolverRefused", "public or open resolver")]
        [InlineData("zonefile", "192.0.2.255", "127.255.255.255", "QuotaExceeded", "free-use query volume")]
        [InlineData("zonefile", "192.0.2.250", "127.255.255.250", "ListError", "127.255.255.0/24")]
        public async Task Every_spamhaus_error_code_is_an_error_never_a_listing(string path, string ip, string code, string kind, string hint)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip(ip));
            Assert.Equal("Error", r.Status);
            Assert.Equal(kind, r.ErrorKind.ToString());
            Assert.Equal(new[] { code }, r.ReturnCodes);
            Assert.False(r.IsListed);
            Assert.Contains("not a listing", r.Message);
            Assert.Contains(hint, r.Message);
            // What to do (-Server, -DqsKey) is the cmdlet layer's advice (tests/MailOps.Module.Tests/AdviceTests.cs).
            Assert.DoesNotContain("-DqsKey", r.Message);
            Assert.DoesNotContain("-Server", r.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Dbl_ip_query_error_code_is_an_error(string path)
        {
            var r = await One(_f.Dns(path, true, Dbl), "dbl.spamhaus.org", DnsblTarget.ForDomain("ipquery.example"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("IpQueryNotAllowed", r.ErrorKind.ToString());
            Assert.Equal(new[] { "127.0.1.255" }, r.ReturnCodes);
            Assert.Contains("IP addresses may not be queried", r.Message);
            // Where to ask instead is the catalogue's action, which the cmdlet layer gives as advice (DnsblTests).
            Assert.NotNull(r.ZoneEntry);
            Assert.Contains("zen.spamhaus.org", r.ZoneEntry.ErrorCodes.Single(c => c.Code == "127.0.1.255").Action);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Answer_outside_127_8_is_an_error_not_a_listing(string path)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip("192.0.2.99"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("AnswerOutsideLoopback", r.ErrorKind.ToString());
            Assert.Equal(new[] { "198.51.100.99" }, r.ReturnCodes);
            Assert.Contains("127.0.0.0/8", r.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Undocumented_code_in_127_8_is_listed_and_says_so(string path)
        {
            var r = await One(_f.Dns(path, true, Zen), "zen.spamhaus.org", Ip("192.0.2.77"));
            Assert.Equal("Listed", r.Status);
            Assert.Contains("catalogue does not describe", r.Meaning.Single());
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Zone_refusing_public_resolvers_gives_error_for_every_target(string path)
        {
            var dns = _f.Dns(path, false, "dnsbl-zen-public-resolver.zone");
            var results = await Run(Check(dns, "zen.spamhaus.org"), Ip("192.0.2.10"), Ip("192.0.2.20"), Ip("2001:db8::25"));
            Assert.Equal(3, results.Count);
            Assert.All(results, r =>
            {
                Assert.Equal("Error", r.Status);
                Assert.Equal("PublicResolverRefused", r.ErrorKind.ToString());
                Assert.Empty(r.ReturnCodes);                       // the target itself was never asked
                Assert.Contains("127.255.255.254", r.Message);     // the test query's answer
                Assert.Contains("public or open resolver", r.Message);  // the code's meaning; the advice is the ErrorRecord's (DnsblTests)
                Assert.DoesNotContain("-DqsKey", r.Message);
            });
            if (path == "wire")
            {
                // The zone failed its test, so the targets were never asked: one test query in all.
                Assert.Equal(1, _f.Server!.TotalQueries);
            }
        }

        [Fact]
        public async Task Timeout_is_an_error_never_not_listed()
        {
            var dns = _f.Dns("wire", true, Zen);
            _f.Server!.SetFault("10.2.0.192.zen.spamhaus.org", FixtureDnsServer.Fault.Timeout);
            var results = await Run(Check(dns, "zen.spamhaus.org"), Ip("192.0.2.10"), Ip("192.0.2.20"));
            var timedOut = results.Single(r => r.Target == "192.0.2.10");
            Assert.Equal("Error", timedOut.Status);
            Assert.Equal("Timeout", timedOut.ErrorKind.ToString());
            Assert.Contains("timed out", timedOut.Message);
            Assert.Contains("this is not 'not listed'", timedOut.Message);
            Assert.Equal("NotListed", results.Single(r => r.Target == "192.0.2.20").Status);
        }

        [Fact]
        public async Task Servfail_is_an_error_never_not_listed()
        {
            var dns = _f.Dns("wire", true, Zen);
            _f.Server!.SetFault("20.2.0.192.zen.spamhaus.org", FixtureDnsServer.Fault.ServFail);
            var r = await One(dns, "zen.spamhaus.org", Ip("192.0.2.20"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("ServerFailure", r.ErrorKind.ToString());
        }

        [Fact]
        public async Task Zone_test_that_times_out_makes_every_target_an_error()
        {
            var dns = _f.Dns("wire", true, Zen);
            _f.Server!.SetFault("2.0.0.127.zen.spamhaus.org", FixtureDnsServer.Fault.Timeout);
            var results = await Run(Check(dns, "zen.spamhaus.org"), Ip("192.0.2.10"), Ip("192.0.2.20"));
            Assert.All(results, r => { Assert.Equal("Error", r.Status); Assert.Equal("Timeout", r.ErrorKind.ToString()); Assert.Contains("RFC 5782 test", r.Message); });
            Assert.Equal(0, _f.Server.QueryCount("10.2.0.192.zen.spamhaus.org"));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Dead_zone_fails_the_rfc5782_test_and_every_target_is_an_error(string path)
        {
            var results = await Run(Check(_f.Dns(path, true, "dnsbl-dead.zone"), "dead.dnsbl.example"),
                Ip("192.0.2.10"), Ip("2001:db8::25"), DnsblTarget.ForDomain("example.com"));
            Assert.Equal(3, results.Count);
            Assert.All(results, r =>
            {
                Assert.Equal("Error", r.Status);
                Assert.Equal("ZoneTestFailed", r.ErrorKind.ToString());
                Assert.Contains("dead", r.Message);
            });
            Assert.Contains(results, r => (r.Message ?? "").Contains("test entry 127.0.0.2"));
            Assert.Contains(results, r => (r.Message ?? "").Contains("test entry ::ffff:7f00:2"));
            Assert.Contains(results, r => (r.Message ?? "").Contains("test entry test"));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Zone_that_lists_127_0_0_1_lists_everything_and_is_an_error(string path)
        {
            var r = await One(_f.Dns(path, true, "dnsbl-listall.zone"), "listall.dnsbl.example", Ip("192.0.2.20"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("ZoneListsEverything", r.ErrorKind.ToString());
            Assert.Contains("127.0.0.1", r.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Parked_zone_answering_outside_127_8_is_an_error(string path)
        {
            var r = await One(_f.Dns(path, true, "dnsbl-parked.zone"), "parked.dnsbl.example", Ip("192.0.2.10"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("AnswerOutsideLoopback", r.ErrorKind.ToString());
            Assert.Contains("parked", r.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Uribl_refusal_code_from_the_catalogue_is_an_error(string path)
        {
            var r = await One(_f.Dns(path, true, "dnsbl-uribl-refused.zone"), "multi.uribl.com", DnsblTarget.ForDomain("example.com"));
            Assert.Equal("Error", r.Status);
            Assert.Equal("PublicResolverRefused", r.ErrorKind.ToString());
            Assert.Contains("127.0.0.1", r.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Dqs_key_switches_to_the_dqs_zone_and_hides_the_key(string path)
        {
            var dns = _f.Dns(path, true, "dnsbl-dqs.zone", Zen);
            var check = new DnsblCheck(dns, new DnsblOptions { Zones = new[] { "zen.spamhaus.org" }, DqsKey = "testkey123" });
            Assert.Equal("testkey123.zen.dq.spamhaus.net", check.Plans.Single().QueryZone);
            var r = Assert.Single(await Run(check, Ip("192.0.2.10")));
            Assert.Equal("Listed", r.Status);
            Assert.Equal("zen.dq.spamhaus.net", r.Zone);
            Assert.Equal("10.2.0.192.<key>.zen.dq.spamhaus.net", r.QueryName);
            Assert.Equal(new[] { "127.0.0.4" }, r.ReturnCodes);
            Assert.DoesNotContain("testkey123", r.Message);
            if (path == "wire")
            {
                Assert.Equal(1, _f.Server!.QueryCount("10.2.0.192.testkey123.zen.dq.spamhaus.net", ARSoft.Tools.Net.Dns.RecordType.A));
                Assert.Equal(0, _f.Server.QueryCount("10.2.0.192.zen.spamhaus.org"));
            }
        }

        [Fact]
        public async Task Zone_test_runs_once_per_zone_per_run_without_any_cache()
        {
            var dns = _f.Dns("wire", false, Zen);
            var targets = Enumerable.Range(1, 12).Select(i => Ip($"192.0.2.{i}")).ToArray();
            var results = await Run(Check(dns, "zen.spamhaus.org"), targets);
            Assert.Equal(12, results.Count);
            Assert.Equal(1, _f.Server!.QueryCount("2.0.0.127.zen.spamhaus.org"));
            Assert.Equal(1, _f.Server.QueryCount("1.0.0.127.zen.spamhaus.org"));
        }

        [Fact]
        public async Task Queries_in_flight_never_exceed_the_throttle()
        {
            var inner = _f.Dns("wire", false, Zen);
            var gauge = new GaugeResolver(inner);
            var check = new DnsblCheck(gauge, new DnsblOptions { Zones = new[] { "zen.spamhaus.org" }, ThrottleLimit = 3 });
            var results = await Run(check, Enumerable.Range(1, 30).Select(i => Ip($"192.0.2.{i}")).ToArray());
            Assert.Equal(30, results.Count);
            Assert.InRange(gauge.MaxInFlight, 2, 3);
        }

        [Fact]
        public async Task Cancellation_stops_within_a_second_even_when_every_query_hangs()
        {
            var dns = new WireDnsResolver(new[] { _f.StartServer(Zen).EndPoint }, TimeSpan.FromSeconds(30), 0);
            _f.Server!.SetFault("2.0.0.127.zen.spamhaus.org", FixtureDnsServer.Fault.Timeout);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                Check(dns, "zen.spamhaus.org").CheckAsync(Ip("192.0.2.10"), cts.Token));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.3), $"took {sw.Elapsed}");
        }

        [Fact]
        public void Default_zones_are_the_catalogue_defaults_that_need_no_key()
        {
            var check = new DnsblCheck(new NullResolver(), new DnsblOptions());
            var names = check.Plans.Select(p => p.DisplayName).ToList();
            Assert.Contains("zen.spamhaus.org", names);
            Assert.Contains("dbl.spamhaus.org", names);
            Assert.DoesNotContain("zrd.spamhaus.org", names);                 // DQS only
            Assert.DoesNotContain("combined.mail.abusix.zone", names);        // needs a key
            Assert.DoesNotContain("dnsbl-3.uceprotect.net", names);           // not a default
            var dqs = new DnsblCheck(new NullResolver(), new DnsblOptions { DqsKey = "k1" });
            Assert.Contains("zrd.dq.spamhaus.net", dqs.Plans.Select(p => p.DisplayName));
            Assert.Contains("k1.zen.dq.spamhaus.net", dqs.Plans.Select(p => p.QueryZone));
            Assert.DoesNotContain("zen.spamhaus.org", dqs.Plans.Select(p => p.QueryZone));
        }

        [Theory]
        [InlineData("dnsbl.sorbs.net", "decommissioned")]
        [InlineData("ix.dnsbl.manitu.net", "ceased")]
        [InlineData("zrd.spamhaus.org", "DQS key")]
        [InlineData("combined.mail.abusix.zone", "<key>.combined.mail.abusix.zone")]
        [InlineData("bad..zone", "not a valid zone name")]
        public void Invalid_zone_choices_are_rejected_before_any_query(string zone, string expected)
        {
            var ex = Assert.Throws<DnsblZoneException>(() => new DnsblCheck(new NullResolver(), new DnsblOptions { Zones = new[] { zone } }));
            Assert.Contains(expected, ex.Message);
            Assert.Equal(zone == "bad..zone" ? DnsblZoneProblem.InvalidName : zone.StartsWith("zrd") ? DnsblZoneProblem.NeedsDqsKey
                : zone.StartsWith("combined") ? DnsblZoneProblem.NeedsAbusixKey : DnsblZoneProblem.Retired, ex.Problem);
        }

        [Fact]
        public void Keyed_abusix_zone_is_matched_to_its_catalogue_entry_and_the_key_is_masked()
        {
            var check = new DnsblCheck(new NullResolver(), new DnsblOptions { Zones = new[] { "abc123.combined.mail.abusix.zone" } });
            var plan = check.Plans.Single();
            Assert.Equal("combined.mail.abusix.zone", plan.DisplayName);
            Assert.Equal("abc123.combined.mail.abusix.zone", plan.QueryZone);
            Assert.True(plan.Zone.InCatalogue);
            Assert.True(plan.AppliesTo(Ip("2001:db8::1")));
        }

        [Fact]
        public void Ipv6_targets_skip_default_zones_that_do_not_list_ipv6()
        {
            var check = new DnsblCheck(new NullResolver(), new DnsblOptions());
            var v6 = check.Plans.Where(p => p.AppliesTo(Ip("2001:db8::1"))).Select(p => p.DisplayName).ToList();
            Assert.Contains("zen.spamhaus.org", v6);
            Assert.DoesNotContain("bl.spamcop.net", v6);
            var named = new DnsblCheck(new NullResolver(), new DnsblOptions { Zones = new[] { "bl.spamcop.net" } });
            Assert.True(named.Plans.Single().AppliesTo(Ip("2001:db8::1")));
        }

        private sealed class NullResolver : IDnsResolver
        {
            public Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken) =>
                throw new InvalidOperationException("no query expected");
        }

        private sealed class GaugeResolver : IDnsResolver
        {
            private readonly IDnsResolver _inner;
            private int _now, _max;

            public GaugeResolver(IDnsResolver inner) => _inner = inner;

            public int MaxInFlight => _max;

            public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken ct)
            {
                var test = name.EndsWith(".0.0.127.zen.spamhaus.org", StringComparison.Ordinal);
                if (!test)
                {
                    var n = Interlocked.Increment(ref _now);
                    int m;
                    while (n > (m = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, n, m) != m) { }
                }
                try
                {
                    await Task.Delay(20, ct);
                    return await _inner.QueryAsync(name, type, ct);
                }
                finally
                {
                    if (!test) Interlocked.Decrement(ref _now);
                }
            }
        }
    }
}
