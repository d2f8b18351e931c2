#nullable enable
using System.Net;
using System.Threading.Tasks;
using MailOps.Spf;

namespace MailOps.Tests.Spf
{
    /// <summary>RFC 7208 record syntax and macro expansion, without DNS.</summary>
    public sealed class SpfParserTests
    {
        [Theory]
        [InlineData("v=spf1 a mx -all", true)]
        [InlineData("V=SPF1", true)]
        [InlineData("v=spf10 -all", false)]
        [InlineData("v=spf1-all", false)]
        [InlineData("spf2.0/pra -all", false)]
        public void Record_selection_needs_v_spf1_then_space_or_end(string text, bool isSpf) =>
            Assert.Equal(isSpf, SpfParser.IsSpfRecord(text));

        [Theory]
        [InlineData("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.example.com/24//64 mx//64 include:_spf.example.net exists:%{i}.x.example.com ptr ?all redirect=example.net exp=exp.example.net foo-bar=baz")]
        [InlineData("v=spf1   a    -all   ")]
        public void Valid_records_parse(string text)
        {
            var r = SpfParser.Parse(text);
            Assert.True(r.IsValid, r.DescribeError());
        }

        [Theory]
        [InlineData("v=spf1 a:example.com -all moo", 27, "unknown mechanism 'moo'")]
        [InlineData("v=spf1 ip4:1.2.3.4/33", 19, "CIDR length /33")]
        [InlineData("v=spf1 ip4:010.2.3.4", 12, "no leading zeros")]
        [InlineData("v=spf1 a:museum", 10, "at least two labels")]
        [InlineData("v=spf1 a:111.222.33.44", 10, "is an IP address")]
        [InlineData("v=spf1 exists:%{x}.example.com", 15, "not a macro letter")]
        [InlineData("v=spf1 exists:%{c}.example.com", 15, "only in exp=")]
        [InlineData("v=spf1 a:foo%.example.com", 13, "'%.' is not a macro")]
        [InlineData("v=spf1 redirect=a.example.com redirect=b.example.com", 31, "more than once")]
        [InlineData("v=spf1 include", 15, "needs ':' and a domain")]
        [InlineData("v=spf1 -all.", 12, "takes no argument")]
        [InlineData("v=spf1 a/24/64", 9, "unexpected '/24'")]
        [InlineData("v=spf1 ip4:1.2.3.4\ninclude:x.example.com", 19, "control character 0x0A")]
        [InlineData("v=spf1 \u0080a -all", 8, "non-ASCII")]
        [InlineData("v=spf1 redirect:example.com", 8, "is a modifier")]
        public void Syntax_errors_carry_a_position_and_a_reason(string text, int position, string reason)
        {
            var r = SpfParser.Parse(text);
            Assert.False(r.IsValid);
            Assert.Equal(position, r.ErrorPosition + 1);
            Assert.Contains(reason, r.Error);
            Assert.StartsWith($"syntax error at position {position}", r.DescribeError());
        }

        [Fact]
        public void Dual_cidr_and_qualifiers_are_read()
        {
            var r = SpfParser.Parse("v=spf1 ~a:mail.example.com/24//64 -mx//48 ?ptr:example.com");
            Assert.True(r.IsValid);
            Assert.Equal('~', r.Terms[0].Qualifier);
            Assert.Equal(24, r.Terms[0].Cidr4);
            Assert.Equal(64, r.Terms[0].Cidr6);
            Assert.Equal(32, r.Terms[1].Cidr4);
            Assert.Equal(48, r.Terms[1].Cidr6);
            Assert.Equal("neutral", r.Terms[2].QualifierResult);
        }

        private static MacroContext Ctx(string ip) => new MacroContext
        {
            Sender = "strong-bad@email.example.com", LocalPart = "strong-bad", SenderDomain = "email.example.com",
            Domain = "email.example.com", Ip = IPAddress.Parse(ip), Helo = "mx.example.org",
            Now = System.DateTimeOffset.FromUnixTimeSeconds(1000),
        };

        // RFC 7208 §7.4's examples.
        [Theory]
        [InlineData("%{s}", "192.0.2.3", "strong-bad@email.example.com")]
        [InlineData("%{o}", "192.0.2.3", "email.example.com")]
        [InlineData("%{d4}", "192.0.2.3", "email.example.com")]
        [InlineData("%{d2}", "192.0.2.3", "example.com")]
        [InlineData("%{d1}", "192.0.2.3", "com")]
        [InlineData("%{dr}", "192.0.2.3", "com.example.email")]
        [InlineData("%{d2r}", "192.0.2.3", "example.email")]
        [InlineData("%{l}", "192.0.2.3", "strong-bad")]
        [InlineData("%{l-}", "192.0.2.3", "strong.bad")]
        [InlineData("%{lr}", "192.0.2.3", "strong-bad")]
        [InlineData("%{lr-}", "192.0.2.3", "bad.strong")]
        [InlineData("%{l1r-}", "192.0.2.3", "strong")]
        [InlineData("%{ir}.%{v}._spf.%{d2}", "192.0.2.3", "3.2.0.192.in-addr._spf.example.com")]
        [InlineData("%{lr-}.lp._spf.%{d2}", "192.0.2.3", "bad.strong.lp._spf.example.com")]
        [InlineData("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")]
        [InlineData("%{S}", "192.0.2.3", "strong-bad%40email.example.com")]
        [InlineData("%%%_%-", "192.0.2.3", "% %20")]
        [InlineData("%{c} at %{t} by %{r}", "2001:db8::cb01", "2001:db8::cb01 at 1000 by unknown")]
        public async Task Macros_expand_as_RFC_7208_section_7_4_shows(string macro, string ip, string expected)
        {
            var ms = SpfMacro.Parse(macro, explain: true, out var error, out _);
            Assert.True(ms != null, error);
            Assert.Equal(expected, await SpfMacro.ExpandAsync(ms!, Ctx(ip)));
        }

        [Theory]
        [InlineData("a.b.", "a.b")]
        [InlineData("a..b", null)]
        [InlineData("single", null)]
        public void Query_names_drop_the_trailing_dot_and_reject_bad_names(string expanded, string? expected) =>
            Assert.Equal(expected, SpfMacro.ToQueryName(expanded));

        [Fact]
        public void Long_expansions_lose_labels_on_the_left_to_fit_253()
        {
            var name = string.Join(".", System.Linq.Enumerable.Repeat("abcdefghij", 30)) + ".example.com";
            var q = SpfMacro.ToQueryName(name)!;
            Assert.True(q.Length <= 253);
            Assert.EndsWith(".example.com", q);
            Assert.StartsWith("abcdefghij.", q);
        }
    }
}
