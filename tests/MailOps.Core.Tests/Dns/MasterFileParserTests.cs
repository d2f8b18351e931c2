using System.Linq;
using MailOps.Dns;

namespace MailOps.Tests.Dns
{
    public class MasterFileParserTests
    {
        [Fact]
        public void Reads_dig_answer_lines()
        {
            var z = MasterFileParser.Parse(
                "example.com.\t300\tIN\tMX\t10 mail.example.com.\n" +
                "example.com.\t300\tIN\tTXT\t\"v=spf1 -all\"\n", "dig.txt");
            Assert.Null(z.Apex);
            Assert.Equal(2, z.Records.Count);
            var mx = Assert.IsType<MxRecord>(z.Records[0]);
            Assert.Equal(10, mx.Preference);
            Assert.Equal("mail.example.com", mx.Exchange);
            Assert.Equal(300, mx.Ttl);
        }

        [Fact]
        public void Origin_ttl_relative_names_at_sign_omitted_owner_and_parentheses()
        {
            var z = MasterFileParser.Parse(@"
$ORIGIN example.org.
$TTL 1h30m
@   IN SOA ns1 hostmaster (
        2026112301 ; serial
        2h 1h 2w 5m )
    IN MX 10 mail
mail 60 A 192.0.2.1
     AAAA 2001:db8::1
", "z");
            Assert.Equal("example.org", z.Apex);
            var soa = Assert.IsType<SoaRecord>(z.Records[0]);
            Assert.Equal(5400, soa.Ttl);
            Assert.Equal(7200, soa.Refresh);
            Assert.Equal(1209600, soa.Expire);
            Assert.Equal(300, soa.Minimum);
            Assert.Equal("ns1.example.org", soa.PrimaryServer);
            Assert.Equal("example.org", z.Records[1].Name);
            Assert.Equal("mail.example.org", ((MxRecord)z.Records[1]).Exchange);
            Assert.Equal(60, z.Records[2].Ttl);
            Assert.Equal("mail.example.org", z.Records[3].Name);
            Assert.Equal(DnsRecordType.AAAA, z.Records[3].Type);
        }

        [Fact]
        public void Txt_strings_escapes_and_semicolons_inside_quotes()
        {
            var z = MasterFileParser.Parse("t.example. 60 IN TXT \"a;b\" \"say \\\"hi\\\"\" \"\\065\\\\\" plain\n", "z");
            var txt = Assert.IsType<TxtRecord>(z.Records.Single());
            Assert.Equal(new[] { "a;b", "say \"hi\"", "A\\", "plain" }, txt.Strings);
        }

        [Fact]
        public void Generic_rfc3597_data_and_tlsa()
        {
            var z = MasterFileParser.Parse(
                "x.example. 60 IN TYPE65534 \\# 3 0A0B0C\n" +
                "_25._tcp.mx.example. 60 IN TLSA 3 1 1 ( 0123456789ABCDEF\n 0123456789abcdef )\n", "z");
            Assert.Equal("\\# 3 0A0B0C", z.Records[0].Data);
            var tlsa = Assert.IsType<TlsaRecord>(z.Records[1]);
            Assert.Equal("0123456789ABCDEF0123456789ABCDEF", tlsa.AssociationData);
        }

        [Theory]
        [InlineData("a.example. 60 IN A 300.1.1.1\n", 1, "IPv4")]
        [InlineData("\n\na.example. 60 IN BOGUS x\n", 3, "unknown record type")]
        [InlineData("a.example. 60 IN MX ten mail.example.\n", 1, "preference")]
        [InlineData("relative 60 IN A 192.0.2.1\n", 1, "$ORIGIN")]
        [InlineData("a.example. 60 IN TXT \"unterminated\n", 1, "never closed")]
        [InlineData("a.example. 60 CH TXT \"x\"\n", 1, "class CH")]
        [InlineData("$TTL soon\n", 1, "$TTL")]
        [InlineData("a.example. 60 IN SOA ns. host. 1 2 3\n", 1, "SOA needs")]
        public void Bad_lines_name_the_file_and_line(string text, int line, string fragment)
        {
            var ex = Assert.Throws<ZoneFileException>(() => MasterFileParser.Parse(text, "bad.zone"));
            Assert.Equal("bad.zone", ex.Path);
            Assert.Equal(line, ex.Line);
            Assert.Contains(fragment, ex.Message);
            Assert.StartsWith($"bad.zone:{line}:", ex.Message);
        }

        [Fact]
        public void Over_long_character_string_is_refused()
        {
            var ex = Assert.Throws<ZoneFileException>(() => MasterFileParser.Parse($"a.example. 60 IN TXT \"{new string('x', 256)}\"\n", "z"));
            Assert.Contains("255", ex.Message);
        }

        [Theory]
        [InlineData("3600", 3600)]
        [InlineData("1h", 3600)]
        [InlineData("1W2d", 777600)]
        [InlineData("90s", 90)]
        public void Ttl_units(string text, int seconds)
        {
            Assert.True(MasterFileParser.TryParseTtl(text, out var v));
            Assert.Equal(seconds, v);
        }
    }
}
