using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Asn;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Asn
{
    /// <summary>The IP-to-ASN lookup through Team Cymru's DNS format, against the fixture DNS server on loopback.</summary>
    public sealed class AsnLookupTests : IDisposable
    {
        private readonly FixtureDnsServer _server;

        public AsnLookupTests()
        {
            _server = FixtureDnsServer.Start();
            _server.LoadMasterFileFromPath(Paths.DnsFixture("server/asn.cymru.com.zone"));
        }

        public void Dispose() => _server.Dispose();

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0));

        [Fact]
        public void Names_follow_the_service_layout_for_ipv4_and_ipv6()
        {
            Assert.Equal("10.100.51.198.origin.asn.cymru.com", AsnLookup.OriginName(IPAddress.Parse("198.51.100.10")));
            Assert.Equal("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com", AsnLookup.OriginName(IPAddress.Parse("2001:db8::1")));
        }

        [Fact]
        public async Task Origin_and_name_are_parsed_and_the_first_of_several_origins_is_taken()
        {
            var a = await AsnLookup.LookupAsync(Dns(), IPAddress.Parse("198.51.100.15"), CancellationToken.None);
            Assert.NotNull(a);
            Assert.Equal(64497, a!.Asn);
            Assert.Equal("198.51.100.0/28", a.Prefix);
            Assert.Equal("DE", a.Country);
            Assert.Equal("ripencc", a.Registry);
            Assert.Equal("EXAMPLE-BB - Example Residential Broadband GmbH, DE", a.AsName);
            Assert.Equal("broadband", AsnLookup.ResidentialHint(a.AsName));
            Assert.Null(AsnLookup.ResidentialHint("EXAMPLE-HOSTING - Example Hosting Inc., US"));
        }

        [Fact]
        public async Task No_data_is_null_and_an_unanswered_question_throws()
        {
            Assert.Null(await AsnLookup.LookupAsync(Dns(), IPAddress.Parse("198.51.100.11"), CancellationToken.None));
            _server.SetFault("12.100.51.198.origin.asn.cymru.com", FixtureDnsServer.Fault.ServFail);
            await Assert.ThrowsAsync<DnsQueryFailedException>(() => AsnLookup.LookupAsync(Dns(), IPAddress.Parse("198.51.100.12"), CancellationToken.None));
        }
    }
}
