using System.Linq;

namespace MailOps.Tests.Common
{
    /// <summary>Addresses and CIDR ranges as users type them for Test-MailPtr and Get-DnsblListing.</summary>
    public sealed class AddressRangeTests
    {
        private static string[] Expand(string text)
        {
            Assert.Null(AddressRange.TryExpand(text, out var list));
            return list.Select(a => a.ToString()).ToArray();
        }

        [Fact]
        public void A_single_address_is_itself()
        {
            Assert.Equal(new[] { "192.0.2.25" }, Expand(" 192.0.2.25 "));
            Assert.Equal(new[] { "2001:db8::25" }, Expand("[2001:db8::25]"));
        }

        [Fact]
        public void A_range_leaves_out_network_and_broadcast_and_keeps_order()
        {
            Assert.Equal(new[] { "192.0.2.9", "192.0.2.10" }, Expand("192.0.2.8/30"));
            Assert.Equal(new[] { "192.0.2.10", "192.0.2.11" }, Expand("192.0.2.10/31"));
            Assert.Equal(new[] { "192.0.2.10" }, Expand("192.0.2.10/32"));
            var all = Expand("198.51.100.77/24");       // host bits in the given address are ignored
            Assert.Equal(254, all.Length);
            Assert.Equal("198.51.100.1", all.First());
            Assert.Equal("198.51.100.254", all.Last());
            Assert.Equal(new[] { "2001:db8::1", "2001:db8::2", "2001:db8::3" }, Expand("2001:db8::/126"));
            Assert.Equal(255, Expand("2001:db8::/120").Length);  // IPv6 has no broadcast: only the all-zeros address is left out
        }

        [Theory]
        [InlineData("192.0.2.0/23", "/24 or smaller")]
        [InlineData("10.0.0.0/8", "/24 or smaller")]
        [InlineData("2001:db8::/119", "/120 or smaller")]
        [InlineData("192.0.2.0/33", "0 to 32")]
        [InlineData("192.0.2.0/-1", "0 to 32")]
        [InlineData("192.0.2.0/", "0 to 32")]
        [InlineData("10.1", "not an IPv4 or IPv6 address")]
        [InlineData("mail.example.com", "not an IPv4 or IPv6 address")]
        [InlineData("192.0.2.256", "not an IPv4 or IPv6 address")]
        [InlineData("", "empty")]
        public void Too_large_or_malformed_says_why(string text, string why)
        {
            var problem = AddressRange.TryExpand(text, out var list);
            Assert.NotNull(problem);
            Assert.Contains(why, problem);
            Assert.Empty(list);
        }
    }
}
