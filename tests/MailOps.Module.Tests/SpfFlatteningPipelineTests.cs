using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailSpf's flattening proposal as a user sees it: present only above 10 lookups, never published.</summary>
    [Collection("Runspace")]
    public sealed class SpfFlatteningPipelineTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public SpfFlatteningPipelineTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("spf.example.org.zone"));
            _vars = new Dictionary<string, object?> { ["srv"] = _dns.ServerSpec };
        }

        public void Dispose() => _dns.Dispose();

        [Fact]
        public void A_record_over_ten_lookups_carries_a_proposal_that_fits_and_one_under_carries_none()
        {
            var run = ModuleHost.Run("'toomany.example.org', 'good.example.org' | Test-MailSpf -Server $srv", _vars);
            Assert.Empty(run.Errors);
            var p = PSObject.AsPSObject(run.Prop(0, "FlatteningProposal"));
            Assert.Equal(13, p.Properties["LookupsBefore"].Value);
            Assert.Equal(7, p.Properties["LookupsAfter"].Value);
            Assert.Contains("ip4:192.0.2.101", p.Properties["Records"].Value!.ToString());
            Assert.Null(run.Prop(1, "FlatteningProposal"));
        }
    }
}
