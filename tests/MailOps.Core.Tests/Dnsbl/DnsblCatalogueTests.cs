using System;
using System.IO;
using System.Linq;
using System.Net;
using MailOps.Dnsbl;
using MailOps.Testing;

namespace MailOps.Tests.Dnsbl
{
    /// <summary>The catalogue data file: complete entries, no dead zones, and a parser that says what is wrong.</summary>
    public sealed class DnsblCatalogueTests
    {
        private static readonly DnsblCatalogue C = DnsblCatalogue.Default;

        [Fact]
        public void Embedded_catalogue_is_the_data_file_in_the_repository()
        {
            var file = DnsblCatalogue.Parse(File.ReadAllText(Path.Combine(Paths.RepoRoot, "src", "MailOps.Core", "Data", "dnsbl-zones.json")));
            Assert.Equal(file.Zones.Select(z => z.Name), C.Zones.Select(z => z.Name));
            Assert.Equal(file.Version, C.Version);
        }

        [Fact]
        public void Every_zone_has_sources_a_delist_url_a_review_date_and_documented_codes()
        {
            Assert.True(C.Zones.Count >= 15, $"only {C.Zones.Count} zones");
            foreach (var z in C.Zones)
            {
                Assert.True(z.Sources.Count > 0, z.Name + " has no source");
                Assert.All(z.Sources, s => Assert.StartsWith("http", s));
                Assert.False(string.IsNullOrEmpty(z.DelistUrl), z.Name + " has no delist URL");
                Assert.Matches(@"^20\d\d-\d\d$", z.Checked);
                Assert.True(z.ReturnCodes.Count > 0, z.Name + " has no return code");
                Assert.All(z.ReturnCodes, c => Assert.StartsWith("127.", c.Code));
                Assert.Contains(z.Type, new[] { "IP", "Domain" });
                Assert.Empty(z.ReturnCodes.Select(c => c.Code).Intersect(z.ErrorCodes.Select(c => c.Code)));
            }
            Assert.Contains(C.Zones, z => z.Type == "Domain");
        }

        [Theory]
        [InlineData("sorbs")]
        [InlineData("manitu")]
        [InlineData("abuseat")]
        [InlineData("njabl")]
        [InlineData("dsbl.org")]
        public void Dead_blocklists_are_not_in_the_catalogue(string fragment)
        {
            Assert.DoesNotContain(C.Zones, z => z.Name.Contains(fragment));
        }

        [Fact]
        public void Sorbs_is_recorded_as_retired_with_a_source()
        {
            var sorbs = C.FindRetired("dnsbl.sorbs.net.");
            Assert.NotNull(sorbs);
            Assert.Contains("2024", sorbs!.Why);
            Assert.NotEmpty(sorbs.Sources);
        }

        [Fact]
        public void Spamhaus_zones_carry_every_error_code_and_their_dqs_names()
        {
            var zen = C.Find("zen.spamhaus.org", out _)!;
            Assert.Equal(new[] { "127.255.255.252", "127.255.255.254", "127.255.255.255" }, zen.ErrorCodes.Select(e => e.Code));
            Assert.Equal(new[] { "TypoInZoneName", "PublicResolverRefused", "QuotaExceeded" }, zen.ErrorCodes.Select(e => e.Kind.ToString()));
            Assert.True(zen.RefusesPublicResolvers);
            Assert.Equal("{key}.zen.dq.spamhaus.net", zen.KeyedZone);
            var dbl = C.Find("dbl.spamhaus.org", out _)!;
            Assert.Contains(dbl.ErrorCodes, e => e.Code == "127.0.1.255" && e.Kind == DnsblErrorKind.IpQueryNotAllowed);
            Assert.Equal("{key}.dbl.dq.spamhaus.net", dbl.KeyedZone);
            Assert.Equal("dbltest.com", dbl.TestListed);
        }

        [Fact]
        public void Keyed_zone_names_find_their_catalogue_entry()
        {
            Assert.Equal("zen.spamhaus.org", C.Find("mykey.zen.dq.spamhaus.net", out var key)!.Name);
            Assert.Equal("mykey", key);
            Assert.Null(C.Find("a.b.zen.dq.spamhaus.net", out _));
            Assert.Null(C.Find("bl.example.net", out _));
        }

        [Fact]
        public void Bitmask_zone_decodes_each_bit()
        {
            var surbl = C.Find("multi.surbl.org", out _)!;
            var meanings = surbl.MeaningsFor(IPAddress.Parse("127.0.0.24")).ToList(); // 8 + 16
            Assert.Equal(new[] { "PH: phishing", "MW: malware" }, meanings);
        }

        [Theory]
        [InlineData("{\"zones\": [ { \"name\": \"x.example\", \"type\": \"IP\" } ]}", "x.example", "source")]
        [InlineData("{\"zones\": [ { \"name\": \"x.example\", \"type\": \"Url\", \"sources\": [\"https://a\"] } ]}", "x.example", "'type'")]
        [InlineData("{\"zones\": [ { \"name\": \"x.example\", \"type\": \"IP\", \"sources\": [\"https://a\"], \"returnCodes\": [ { \"code\": \"nope\", \"meaning\": \"m\" } ] } ]}", "x.example", "nope")]
        [InlineData("{\"zones\": [ { \"name\": \"x.example\", \"type\": \"IP\", \"sources\": [\"https://a\"] } ], \"retired\": [ { \"name\": \"x.example\", \"why\": \"dead\" } ]}", "x.example", "retired")]
        [InlineData("{\"zones\": [ ", "line 1", "end")]
        public void Bad_catalogue_data_is_rejected_naming_the_zone(string json, string where, string what)
        {
            var ex = Assert.Throws<FormatException>(() => DnsblCatalogue.Parse(json));
            Assert.Contains(where, ex.Message);
            Assert.Contains(what, ex.Message);
        }
    }
}
