#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;
using YamlDotNet.RepresentationModel;

namespace MailOps.Tests.Spf
{
    /// <summary>
    /// The RFC 7208 test suite (pyspf's rfc7208-tests.yml, read from ../shared/corpora/spf): every case through
    /// SpfEvaluator, with each scenario's zone data served by a real DNS server on loopback (TIMEOUT entries are real
    /// timeouts: the server does not reply). A case passes on any of its accepted results; the explanation is checked
    /// where the case gives one.
    /// </summary>
    public sealed class Rfc7208SuiteTests
    {
        public const int ExpectedCases = Rfc7208Suite.ExpectedCases;

        public static IEnumerable<object[]> Cases()
        {
            if (Paths.CorpusMissing("spf") != null) return new[] { new object[] { "(corpus missing)", "(none)" } };
            return Rfc7208Suite.Scenarios.SelectMany(s => s.Cases.Select(c => new object[] { s.Description, c.Name }));
        }

        [CorpusFact("spf")]
        public void The_suite_has_every_case_and_each_runs_as_its_own_test()
        {
            var all = Rfc7208Suite.Scenarios.SelectMany(s => s.Cases).ToList();
            Assert.Equal(16, Rfc7208Suite.Scenarios.Count);
            Assert.Equal(ExpectedCases, all.Count);
            Assert.Equal(ExpectedCases, Cases().Count());
            // Names are unique within a scenario, so (scenario, name) identifies each theory row.
            Assert.Equal(ExpectedCases, all.Select(c => c.Scenario + "/" + c.Name).Distinct().Count());
            Assert.Equal(22, all.Count(c => c.Explanation != null));
            Assert.Equal(6, all.Count(c => c.Results.Count > 1));
        }

        [CorpusTheory("spf"), MemberData(nameof(Cases))]
        public async Task Case_passes(string scenario, string name)
        {
            var s = Rfc7208Suite.Scenarios.Single(x => x.Description == scenario);
            var c = s.Cases.Single(x => x.Name == name);
            using var server = FixtureDnsServer.Start();
            Rfc7208Suite.Serve(server, s.ZoneData);
            // The first answer from a fresh server can take a few hundred ms (JIT, socket set-up); ask once with a long
            // timeout so the short one below measures only the TIMEOUT entries.
            var warm = await new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(5), 1)
                .QueryAsync("warm-up.invalid", DnsRecordType.A, CancellationToken.None);
            Assert.Equal(DnsOutcome.NxDomain, warm.Outcome);
            var dns = new CachingDnsResolver(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromMilliseconds(1000), 0));

            var domain = c.MailFrom.Length == 0 ? c.Helo : c.MailFrom.Substring(c.MailFrom.LastIndexOf('@') + 1);
            var options = new SpfEvaluationOptions { DefaultExplanation = "DEFAULT" };
            var e = await SpfEvaluator.EvaluateAsync(dns, IPAddress.Parse(c.Host), domain, c.MailFrom, c.Helo, options, CancellationToken.None);
            var r = e.Result;
            var trace = string.Join("\n", r.Trace);
            Assert.True(c.Results.Contains(r.Result),
                $"{scenario}/{name}: expected {string.Join(" or ", c.Results)}, got {r.Result} ({r.Explanation})\n{trace}");
            if (c.Explanation != null && r.Result == "fail")
            {
                // Case-insensitive: the suite writes %{ir} of an IPv6 address with upper-case nibbles, RFC 7208 §7.4's
                // example (which MailOps follows) with lower-case ones; DNS names are case-insensitive either way.
                Assert.True(string.Equals(c.Explanation, r.Explanation, StringComparison.OrdinalIgnoreCase),
                    $"{scenario}/{name}: explanation '{r.Explanation}', expected '{c.Explanation}'\n{trace}");
            }
        }
    }
}
