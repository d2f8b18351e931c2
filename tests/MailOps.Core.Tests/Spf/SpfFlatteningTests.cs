using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;

namespace MailOps.Tests.Spf
{
    /// <summary>The SPF flattening proposal: which includes become ip4/ip6 terms, the record split for TXT, the lookups after.</summary>
    public sealed class SpfFlatteningTests
    {
        private static IDnsResolver Dns(params string[] extraZoneTexts) => new CachingDnsResolver(new ZoneFileResolver(
            new[] { MasterFileParser.ParseFile(Paths.DnsFixture("spf.example.org.zone")) }.Concat(extraZoneTexts.Select(t => MasterFileParser.Parse(t, "extra.zone"))),
            new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        [Fact]
        public async Task Flattens_the_costliest_include_until_the_record_fits_and_keeps_the_rest()
        {
            var dns = Dns();
            var audit = (await SpfAudit.RunAsync(dns, "toomany.example.org", CancellationToken.None)).Result;
            Assert.Equal(13, audit.LookupCount);
            var p = await SpfFlattening.ProposeAsync(dns, audit, CancellationToken.None);
            Assert.NotNull(p);
            Assert.Equal(new[] { "include:big1.example.org" }, p!.FlattenedTerms);
            Assert.Equal(new[] { "big2.example.org" }, p.KeptIncludes);
            Assert.Equal(7, p.LookupsAfter);
            Assert.Equal(new[] { "toomany.example.org. IN TXT \"v=spf1 ip4:192.0.2.101 ip4:192.0.2.102 ip4:192.0.2.103 ip4:192.0.2.104 ip4:192.0.2.105 include:big2.example.org a mx -all\"" }, p.Records);
            Assert.Empty(p.VolatileProviders);
            Assert.Contains("Nothing was published", p.Warning);
        }

        [Fact]
        public async Task A_record_under_the_limit_gets_no_proposal()
        {
            var dns = Dns();
            var audit = (await SpfAudit.RunAsync(dns, "good.example.org", CancellationToken.None)).Result;
            Assert.Null(await SpfFlattening.ProposeAsync(dns, audit, CancellationToken.None));
        }

        [Fact]
        public async Task A_long_result_goes_into_include_sub_records_of_at_most_255_byte_strings_and_names_volatile_providers()
        {
            var sb = new System.Text.StringBuilder();
            sb.AppendLine("flat.test. 3600 IN SOA ns.flat.test. h.flat.test. 1 7200 3600 1209600 300");
            // 11 lookups: one include (with 60 addresses under _spf.google.com) plus ten a: terms.
            sb.AppendLine("flat.test. 3600 IN TXT \"v=spf1 include:_spf.google.com " + string.Join(" ", Enumerable.Range(1, 10).Select(i => $"a:h{i}.flat.test")) + " -all\"");
            for (var i = 1; i <= 10; i++) sb.AppendLine($"h{i}.flat.test. 3600 IN A 198.51.100.{i}");
            // A stand-in for Google's include, served from a zone file on the test's side (no network).
            var ips = string.Join(" ", Enumerable.Range(1, 60).Select(i => $"ip4:203.0.113.{i}"));
            var google = "_spf.google.com. 3600 IN SOA ns.google.test. h.google.test. 1 7200 3600 1209600 300\n"
                + "_spf.google.com. 3600 IN TXT \"" + SplitQuoted("v=spf1 " + ips + " ~all") + "\"\n";
            var dns = Dns(sb.ToString(), google);
            var audit = (await SpfAudit.RunAsync(dns, "flat.test", CancellationToken.None)).Result;
            Assert.Equal(11, audit.LookupCount);
            var p = await SpfFlattening.ProposeAsync(dns, audit, CancellationToken.None);
            Assert.NotNull(p);
            var all = string.Join("\n", p!.Records);
            Assert.True(p.Records.Count >= 3, all);
            Assert.Equal("include:_spf.google.com", p.FlattenedTerms[0]);
            Assert.Contains("include:_spf1.flat.test include:_spf2.flat.test", p.Records[0]);
            Assert.StartsWith("_spf1.flat.test. IN TXT \"v=spf1 ip4:203.0.113.1 ", p.Records[1]);
            Assert.All(p.Records, r => Assert.All(System.Text.RegularExpressions.Regex.Matches(r, "\"([^\"]*)\"").Select(m => m.Groups[1].Value), s => Assert.True(s.Length <= 255)));
            // What is left: the a: terms not flattened plus one include per sub-record, within the limit.
            var aLeft = System.Text.RegularExpressions.Regex.Matches(p.Records[0], " a:h").Count;
            Assert.Equal(aLeft + p.Records.Count - 1, p.LookupsAfter);
            Assert.True(p.LookupsAfter <= 10, all);
            Assert.Contains("Google Workspace", p.VolatileProviders);
        }

        private static string SplitQuoted(string text)
        {
            var parts = Enumerable.Range(0, (text.Length + 254) / 255).Select(i => text.Substring(i * 255, Math.Min(255, text.Length - i * 255)));
            return string.Join("\" \"", parts);
        }
    }
}
