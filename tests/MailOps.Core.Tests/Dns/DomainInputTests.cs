using MailOps.Dns;

namespace MailOps.Tests.Dns
{
    /// <summary>DnsName.TryNormalizeInput: the one reader of domains as people paste them, behind every domain-taking cmdlet.</summary>
    public sealed class DomainInputTests
    {
        [Theory]
        [InlineData("example.com", "example.com")]
        [InlineData("  Example.COM.  ", "example.com")]
        [InlineData("user@example.com", "example.com")]
        [InlineData("<user@Example.com>", "example.com")]
        [InlineData("mailto:user@example.com", "example.com")]
        [InlineData("https://example.com/", "example.com")]
        [InlineData("http://example.com/path?q=1#x", "example.com")]
        [InlineData("https://user@mail.example.com:8443/", "mail.example.com")]
        [InlineData("bücher.example", "xn--bcher-kva.example")]
        [InlineData("https://BÜCHER.example/", "xn--bcher-kva.example")]
        [InlineData("_dmarc.example.com", "_dmarc.example.com")]
        [InlineData("_25._tcp.mx.example.com", "_25._tcp.mx.example.com")]
        [InlineData("localhost", "localhost")]
        public void Pasted_forms_give_the_domain(string input, string expected)
        {
            Assert.Null(DnsName.TryNormalizeInput(input, out var domain));
            Assert.Equal(expected, domain);
        }

        [Theory]
        [InlineData("", "empty")]
        [InlineData("   ", "empty")]
        [InlineData("@", "empty")]
        [InlineData("user@", "empty")]
        [InlineData(".", "root")]
        [InlineData("exa mple.com", "white space")]
        [InlineData("a..b", "empty label")]
        [InlineData(".example.com", "empty label")]
        [InlineData("x/y.com", "'/'")]
        [InlineData("example.com/", "'/'")]
        [InlineData("*.example.com", "'*'")]
        [InlineData("exa\u0000mple.com", "contains")]
        [InlineData("https:///", "no host")]
        public void Anything_else_says_what_is_wrong(string input, string why)
        {
            var problem = DnsName.TryNormalizeInput(input, out var domain);
            Assert.NotNull(problem);
            Assert.Contains(why, problem);
            Assert.Null(domain);
        }

        [Fact]
        public void Length_limits_are_those_of_DNS()
        {
            Assert.Contains("63", DnsName.TryNormalizeInput(new string('a', 64) + ".com", out _));
            Assert.Null(DnsName.TryNormalizeInput(new string('a', 63) + ".com", out _));
            var name = string.Join(".", new[] { new string('b', 63), new string('b', 63), new string('b', 63), new string('b', 62) }); // 254
            Assert.Contains("253", DnsName.TryNormalizeInput(name, out _));
            Assert.Null(DnsName.TryNormalizeInput(name.Substring(2), out _));
            // An IDN label that becomes longer than 63 octets as an A-label is refused too.
            Assert.NotNull(DnsName.TryNormalizeInput(new string('ü', 60) + ".example", out var idn));
            Assert.Null(idn);
        }
    }
}
