using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailServer as a user types it: PTR, blocklists, /24 neighbourhood and origin AS against the fixture DNS server on loopback.</summary>
    [Collection("Runspace")]
    public sealed class MailServerTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public MailServerTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in new[] { "server/bl.spamcop.net.zone", "server/asn.cymru.com.zone", "dnsbl/ptr-reverse.zone", "dnsbl/ptr-forward.example.org.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture(z));
            _vars = new Dictionary<string, object?> { ["srv"] = _dns.ServerSpec };
        }

        public void Dispose() => _dns.Dispose();

        private static IEnumerable<string> Codes(PSObject r) =>
            ((IEnumerable<object>)r.Properties["Findings"].Value).Select(f => (string)PSObject.AsPSObject(f).Properties["Code"].Value);

        [Fact]
        public void Ptr_blocklists_and_origin_as_in_one_object_per_address_in_input_order()
        {
            var run = ModuleHost.Run("'198.51.100.15', '198.51.100.10' | Test-MailServer -Server $srv -Zone bl.spamcop.net -HeloName mail.example.org", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { "198.51.100.15", "198.51.100.10" }, run.Output.Select(o => o.Properties["IPAddress"].Value));
            var listed = run.Output[1];
            Assert.Equal("Fail", listed.Properties["Status"].Value);
            Assert.Equal("bl.spamcop.net", listed.Properties["ListedOn"].Value!.ToString());
            Assert.Contains("Blocklisted", Codes(listed));
            Assert.Equal(true, PSObject.AsPSObject(listed.Properties["Ptr"].Value).Properties["ForwardConfirmed"].Value);
            var asn = PSObject.AsPSObject(listed.Properties["Asn"].Value);
            Assert.Equal(64496, asn.Properties["Asn"].Value);
            Assert.Equal("198.51.100.0/24", asn.Properties["Prefix"].Value);
            Assert.Equal("EXAMPLE-HOSTING - Example Hosting Inc., US", asn.Properties["AsName"].Value);
            // The dynamic-looking address in a broadband AS: both the PTR and the AS say so.
            var dsl = run.Output[0];
            Assert.Contains("ResidentialNetwork", Codes(dsl));
            Assert.Equal(64497, PSObject.AsPSObject(dsl.Properties["Asn"].Value).Properties["Asn"].Value);
            Assert.Equal("Warning", dsl.Properties["Status"].Value);
        }

        [Fact]
        public void Neighborhood_counts_the_listed_addresses_of_the_24_only_for_public_ipv4()
        {
            var run = ModuleHost.Run("'198.51.100.12', '10.0.0.5' | Test-MailServer -Server $srv -Zone bl.spamcop.net -Neighborhood -NoAsn", _vars);
            var hood = PSObject.AsPSObject(run.Prop(0, "Neighborhood"));
            Assert.Equal("198.51.100.0/24", hood.Properties["Prefix"].Value);
            Assert.Equal(254, hood.Properties["Checked"].Value);
            Assert.Equal(4, hood.Properties["ListedCount"].Value);
            Assert.Contains("NeighborhoodListed", Codes(run.Output[0]));
            Assert.Null(run.Prop(1, "Neighborhood"));
            // Every address of the /24 was asked once, for the two inputs together (one cache per pipeline).
            Assert.Equal(1, _dns.QueryCount("200.100.51.198.bl.spamcop.net"));
            Assert.Equal(0, _dns.QueryCount("6.0.0.10.bl.spamcop.net"));
        }

        [Fact]
        public void An_unanswered_asn_question_is_an_error_and_the_address_is_Incomplete()
        {
            _dns.SetFault("10.100.51.198.origin.asn.cymru.com", FixtureDnsServer.Fault.ServFail);
            var run = ModuleHost.Run("'198.51.100.10', '198.51.100.12' | Test-MailServer -Server $srv -Zone bl.spamcop.net", _vars);
            Assert.Equal("DnsServerFailure", Assert.Single(run.ErrorIds));
            Assert.Equal("Incomplete", run.Prop(0, "Status"));
            Assert.Contains("Asn:", run.Prop(0, "CouldNotCheck")!.ToString());
            Assert.NotEqual("Incomplete", run.Prop(1, "Status"));
        }

        [Fact]
        public void A_host_name_is_resolved_and_used_as_the_helo_name_and_Quiet_is_one_boolean()
        {
            var run = ModuleHost.Run("Test-MailServer mail.example.org -Server $srv -Zone bl.spamcop.net", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("198.51.100.10", run.Prop(0, "IPAddress"));
            Assert.Equal("mail.example.org", run.Prop(0, "HeloName"));
            var quiet = ModuleHost.Run("'198.51.100.12', '198.51.100.10' | Test-MailServer -Server $srv -Zone bl.spamcop.net -Quiet", _vars);
            Assert.Equal(new object[] { false }, quiet.Output.Select(o => o.BaseObject));
        }
    }
}
