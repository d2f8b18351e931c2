using System;
using System.Linq;
using System.Net;
using MailOps.Dns;

namespace MailOps.Tests.Dns
{
    public class ServerSpecTests
    {
        [Theory]
        [InlineData("192.0.2.53", "192.0.2.53", 53)]
        [InlineData("127.0.0.1:5353", "127.0.0.1", 5353)]
        [InlineData("2001:db8::53", "2001:db8::53", 53)]
        [InlineData("[2001:db8::53]:5353", "2001:db8::53", 5353)]
        [InlineData("[::1]", "::1", 53)]
        public void Parses_addresses_and_ports(string text, string address, int port)
        {
            var s = ServerSpec.Parse(text);
            var ep = s.Resolve().Single();
            Assert.Equal(IPAddress.Parse(address), ep.Address);
            Assert.Equal(port, ep.Port);
        }

        [Fact]
        public void Host_names_resolve_through_the_operating_system()
        {
            var s = ServerSpec.Parse("localhost:5353");
            Assert.Equal("localhost", s.Host);
            Assert.All(s.Resolve(), ep => { Assert.True(IPAddress.IsLoopback(ep.Address)); Assert.Equal(5353, ep.Port); });
        }

        [Theory]
        [InlineData("", "empty")]
        [InlineData("127.0.0.1:0", "port")]
        [InlineData("127.0.0.1:99999", "port")]
        [InlineData("[2001:db8::53", "']'")]
        [InlineData("[192.0.2.1]:53", "not an IPv6")]
        [InlineData("2001:db8::53:zz", "not an IPv6")]
        [InlineData("bad name..", "neither")]
        public void Bad_servers_say_what_is_wrong(string text, string fragment)
        {
            var ex = Assert.Throws<FormatException>(() => ServerSpec.Parse(text));
            Assert.Contains(fragment, ex.Message);
        }
    }
}
