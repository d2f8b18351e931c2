using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Get-DnsblListing and Get-DnsblZone as a user types them, against the loopback fixture server and -ZoneFile.</summary>
    [Collection("Runspace")]
    public sealed class DnsblTests : IDisposable
    {
        private readonly List<FixtureDnsServer> _servers = new();

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
        }

        private static string F(string file) => Paths.DnsFixture("dnsbl/" + file);

        private Dictionary<string, object?> Vars(params string[] files)
        {
            var s = FixtureDnsServer.Start();
            foreach (var f in files) s.LoadMasterFileFromPath(F(f));
            _servers.Add(s);
            return new Dictionary<string, object?>
            {
                ["srv"] = s.ServerSpec,
                ["dead"] = Paths.DeadServer,
            };
        }

        private FixtureDnsServer Server => _servers.Last();

        private static string Status(PSObject o) => (string)o.Properties["Status"].Value;

        private static string Prop(PSObject o, string name) => o.Properties[name].Value?.ToString() ?? "";

        [Fact]
        public void Strings_from_the_pipeline_are_checked_as_addresses()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            var run = ModuleHost.Run("'192.0.2.10','192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org -Server $srv", vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            var byTarget = run.Output.ToDictionary(o => Prop(o, "Target"));
            Assert.Equal("Listed", Status(byTarget["192.0.2.10"]));
            Assert.Equal("NotListed", Status(byTarget["192.0.2.20"]));
            Assert.Equal("IPv4", Prop(byTarget["192.0.2.10"], "TargetType"));
            Assert.Equal("MailOps.Dnsbl.DnsblResult", run.Output[0].TypeNames[0]);
            Assert.Equal(new[] { "127.0.0.10", "127.0.0.4" }, Prop(byTarget["192.0.2.10"], "ReturnCodes").Split("; ").OrderBy(x => x, StringComparer.Ordinal));
        }

        [Fact]
        public void Objects_bind_by_property_name_and_aliases()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone", "dnsbl-dbl.spamhaus.org.zone");
            var ips = ModuleHost.Run(@"
@([pscustomobject]@{ IPAddress = '192.0.2.10' }, [pscustomobject]@{ IP4Address = '192.0.2.20' }, [pscustomobject]@{ Address = '2001:db8::25' }) |
    Get-DnsblListing -Zone zen.spamhaus.org -Server $srv", vars);
            var domains = ModuleHost.Run(@"
@([pscustomobject]@{ Domain = 'spam-domain.example' }, [pscustomobject]@{ Name = 'clean.example' }, [pscustomobject]@{ DomainName = 'phish.example' }) |
    Get-DnsblListing -Zone dbl.spamhaus.org -Server $srv", vars);
            Assert.Empty(ips.Errors);
            Assert.Empty(domains.Errors);
            var statuses = ips.Output.Concat(domains.Output).ToDictionary(o => Prop(o, "Target"), Status);
            Assert.True(statuses.Count == 6, string.Join(",", statuses.Keys) + " / " + string.Join(",", ips.Output.Concat(domains.Output).Select(o => o.ToString())));
            Assert.Equal("Listed", statuses["192.0.2.10"]);
            Assert.Equal("NotListed", statuses["192.0.2.20"]);
            Assert.Equal("Listed", statuses["2001:db8::25"]);
            Assert.Equal("Listed", statuses["spam-domain.example"]);
            Assert.Equal("NotListed", statuses["clean.example"]);
            Assert.Equal("Listed", statuses["phish.example"]);
        }

        [Fact]
        public void Domain_lists_come_as_a_parameter_and_ip_strings_given_as_domains_are_addresses()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone", "dnsbl-dbl.spamhaus.org.zone");
            var run = ModuleHost.Run("Get-DnsblListing -Domain 'spam-domain.example', '192.0.2.10' -Zone dbl.spamhaus.org, zen.spamhaus.org -Server $srv", vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "192.0.2.10@zen.spamhaus.org:Listed", "spam-domain.example@dbl.spamhaus.org:Listed" },
                run.Output.Select(o => Prop(o, "Target") + "@" + Prop(o, "Zone") + ":" + Status(o)).OrderBy(x => x));
        }

        [Fact]
        public void Public_resolver_refusal_is_an_error_row_per_target_and_one_error_record()
        {
            var vars = Vars("dnsbl-zen-public-resolver.zone");
            var run = ModuleHost.Run("'192.0.2.10','192.0.2.20','192.0.2.30' | Get-DnsblListing -Zone zen.spamhaus.org -Server $srv", vars);
            Assert.Equal(3, run.Output.Count);
            Assert.All(run.Output, o =>
            {
                Assert.Equal("Error", Status(o));
                Assert.Equal("PublicResolverRefused", Prop(o, "ErrorKind"));
                Assert.Equal("", Prop(o, "ReturnCodes")); // the targets were not asked: the zone failed its test
                Assert.Contains("127.255.255.254", Prop(o, "Message"));
            });
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsblListError,MailOps.Commands.GetDnsblListingCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category);
            Assert.Contains("127.255.255.254", e.ToString());
            // The advice (the catalogue's action for this error code) is the record's RecommendedAction, not the engine's message.
            Assert.Contains("-DqsKey", e.ErrorDetails.RecommendedAction);
            Assert.Contains("-Server", e.ErrorDetails.RecommendedAction);
            Assert.Contains("own recursive resolver", e.ErrorDetails.RecommendedAction);
            Assert.DoesNotContain("-DqsKey", Prop(run.Output[0], "Message"));
        }

        [Theory]
        [InlineData("'192.0.2.20'", "dnsbl-zen.spamhaus.org.zone", true)]
        [InlineData("'192.0.2.20','192.0.2.10'", "dnsbl-zen.spamhaus.org.zone", false)]
        [InlineData("'192.0.2.20','192.0.2.254'", "dnsbl-zen.spamhaus.org.zone", false)]
        [InlineData("'192.0.2.20'", "dnsbl-zen-public-resolver.zone", false)]
        public void Quiet_is_true_only_when_every_check_answered_not_listed(string targets, string zone, bool expected)
        {
            var vars = Vars(zone);
            var run = ModuleHost.Run($"{targets} | Get-DnsblListing -Zone zen.spamhaus.org -Server $srv -Quiet", vars);
            var o = Assert.Single(run.Output);
            Assert.Equal(expected, o.BaseObject);
            Assert.Empty(run.Errors); // the -Quiet rule: a check that could not run is $false, not an error record
        }

        [Fact]
        public void Timeout_is_an_error_row_and_a_DnsTimeout_record_and_the_rest_goes_on()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            Server.SetFault("10.2.0.192.zen.spamhaus.org", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'192.0.2.10','192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org -Server $srv -TimeoutSec 1", vars);
            var rows = run.Output.ToDictionary(o => Prop(o, "Target"));
            Assert.Equal("Error", Status(rows["192.0.2.10"]));
            Assert.Equal("Timeout", Prop(rows["192.0.2.10"], "ErrorKind"));
            Assert.Equal("NotListed", Status(rows["192.0.2.20"]));
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
            Assert.Equal("192.0.2.10", e.TargetObject);
        }

        [Fact]
        public void Dead_zone_from_a_zone_file_is_unusable_for_every_target()
        {
            var vars = Vars();
            vars["deadzone"] = F("dnsbl-dead.zone");
            var run = ModuleHost.Run("'192.0.2.10','192.0.2.20' | Get-DnsblListing -Zone dead.dnsbl.example -ZoneFile $deadzone -Server $dead; " +
                "Get-DnsblListing -Domain example.com -Zone dead.dnsbl.example -ZoneFile $deadzone -Server $dead", vars);
            Assert.Equal(3, run.Output.Count);
            Assert.Equal(2, run.Errors.Count); // one per zone and kind per invocation, not one per target
            Assert.All(run.Output, o => Assert.Equal("ZoneTestFailed", Prop(o, "ErrorKind")));
            Assert.Equal(new[] { "DnsblZoneUnusable" }, run.ErrorIds.Distinct());
            Assert.Equal(ErrorCategory.ResourceUnavailable, run.Errors[0].CategoryInfo.Category);
        }

        [Fact]
        public void Dqs_key_switches_zone_names_and_keeps_the_key_out_of_results()
        {
            var vars = Vars("dnsbl-dqs.zone");
            var run = ModuleHost.Run("Get-DnsblListing 192.0.2.10 -Zone zen.spamhaus.org -DqsKey testkey123 -Server $srv", vars);
            Assert.Empty(run.Errors);
            var o = Assert.Single(run.Output);
            Assert.Equal("Listed", Status(o));
            Assert.Equal("zen.dq.spamhaus.net", Prop(o, "Zone"));
            Assert.Equal("10.2.0.192.<key>.zen.dq.spamhaus.net", Prop(o, "QueryName"));
            Assert.Equal(0, Server.QueryCount("10.2.0.192.zen.spamhaus.org"));
        }

        [Fact]
        public void A_list_error_code_gets_the_catalogues_action_as_advice()
        {
            var vars = Vars("dnsbl-dbl.spamhaus.org.zone");
            var run = ModuleHost.Run("Get-DnsblListing -Domain ipquery.example -Zone dbl.spamhaus.org -Server $srv", vars);
            Assert.Equal("IpQueryNotAllowed", Prop(Assert.Single(run.Output), "ErrorKind"));
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsblListError", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("Query domain names in dbl.spamhaus.org and IP addresses in zen.spamhaus.org.", e.ErrorDetails.RecommendedAction);
        }

        [Theory]
        [InlineData("dnsbl.sorbs.net", "decommissioned", "Remove it from -Zone")]
        [InlineData("zrd.spamhaus.org", "DQS key", "-DqsKey")]
        [InlineData("combined.mail.abusix.zone", "Abusix key", "-Zone <key>.combined.mail.abusix.zone")]
        public void Dead_or_keyless_zone_stops_before_any_query(string zone, string text, string advice)
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            var run = ModuleHost.Run("Get-DnsblListing 192.0.2.10 -Zone $z -Server $srv", new Dictionary<string, object?>(vars) { ["z"] = zone });
            Assert.Empty(run.Output);
            Assert.Equal("InvalidDnsblZone", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains(text, run.StatementTerminating!.ToString());
            Assert.Contains(advice, run.StatementTerminating!.ErrorDetails.RecommendedAction);
            Assert.Equal(0, Server.TotalQueries);
        }

        [Fact]
        public void ZoneFile_gives_the_same_results_as_the_wire()
        {
            const string script = "'192.0.2.10','192.0.2.20','192.0.2.99','192.0.2.252','192.0.2.254','192.0.2.255','2001:db8::25' | Get-DnsblListing -Zone zen.spamhaus.org {0} | "
                + "ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}|{{5}}' -f $_.Target, $_.Status, $_.ReturnCodes.Count, $_.ErrorKind, $_.QueryName, $_.Reason }}";
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            vars["zen"] = F("dnsbl-zen.spamhaus.org.zone");
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zen -Server $dead"), vars);
            Assert.Equal(7, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()).OrderBy(x => x), offline.Output.Select(o => o.ToString()).OrderBy(x => x));
            Assert.Equal(wire.ErrorIds.OrderBy(x => x), offline.ErrorIds.OrderBy(x => x));
            Assert.Contains(wire.Output, o => o.ToString()!.StartsWith("192.0.2.254|Error|1|PublicResolverRefused|"));
            Assert.Contains(wire.Output, o => o.ToString() == "192.0.2.10|Listed|2||10.2.0.192.zen.spamhaus.org|https://check.spamhaus.org/query/ip/192.0.2.10");
        }

        [Fact]
        public void Verbose_shows_the_zone_test_and_every_query()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            var run = ModuleHost.Run("Get-DnsblListing 192.0.2.10 -Zone zen.spamhaus.org -Server $srv -Verbose", vars);
            var lines = run.Verbose.Select(v => v.Message).ToList();
            Assert.Contains(lines, l => l.Contains("zen.spamhaus.org passed its RFC 5782 test"));
            Assert.Contains(lines, l => l.StartsWith($"DNS {Server.ServerSpec}: 10.2.0.192.zen.spamhaus.org A -> 2 record(s)"));
        }

        [Fact]
        public void Ipv6_address_only_goes_to_zones_that_list_ipv6()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone", "dnsbl-spamcop.zone");
            var run = ModuleHost.Run("Get-DnsblListing 2001:db8::25, 192.0.2.10 -Zone zen.spamhaus.org, bl.spamcop.net -Server $srv", vars);
            Assert.Empty(run.Errors);
            var pairs = run.Output.Select(o => Prop(o, "Target") + "@" + Prop(o, "Zone")).OrderBy(x => x).ToList();
            // bl.spamcop.net was named with -Zone, so it is asked about the IPv6 address too.
            Assert.Equal(new[] { "192.0.2.10@bl.spamcop.net", "192.0.2.10@zen.spamhaus.org", "2001:db8::25@bl.spamcop.net", "2001:db8::25@zen.spamhaus.org" }, pairs);
        }

        [Fact]
        public void Zone_names_tab_complete_from_the_catalogue()
        {
            var run = ModuleHost.Run("$s = 'Get-DnsblListing 192.0.2.1 -Zone zen'; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches | ForEach-Object CompletionText");
            Assert.Empty(run.Errors);
            Assert.Contains("zen.spamhaus.org", run.Output.Select(o => o.ToString()));
            var all = ModuleHost.Run("$s = 'Get-DnsblZone '; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches | ForEach-Object CompletionText");
            Assert.Contains("multi.uribl.com", all.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Get_DnsblZone_lists_filters_and_explains_retired_zones()
        {
            var run = ModuleHost.Run(@"
(Get-DnsblZone).Count
(Get-DnsblZone -Type Domain | ForEach-Object Name) -join ','
(Get-DnsblZone *spamhaus* | ForEach-Object Name) -join ','
(Get-DnsblZone zen.spamhaus.org).ErrorCodes.Count
Get-DnsblZone dnsbl.sorbs.net
Get-DnsblZone no.such.zone");
            Assert.True((int)run.Output[0].BaseObject >= 15);
            Assert.Equal("dbl.spamhaus.org,zrd.spamhaus.org,multi.uribl.com,multi.surbl.org", run.Output[1].ToString());
            Assert.Equal("zen.spamhaus.org,dbl.spamhaus.org,zrd.spamhaus.org", run.Output[2].ToString());
            Assert.Equal(3, (int)run.Output[3].BaseObject);
            Assert.Contains(run.Warnings, w => w.Message.Contains("dnsbl.sorbs.net") && w.Message.Contains("2024"));
            Assert.Equal("InvalidDnsblZone", Assert.Single(run.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }

        [Fact]
        public void Progress_reports_checks_done_and_completes()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript("Import-Module $args[0]; '192.0.2.10','192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org -Server $args[1]")
                .AddArgument(Paths.ModuleManifest).AddArgument(vars["srv"]);
            var output = ps.Invoke();
            Assert.Equal(2, output.Count);
            var progress = ps.Streams.Progress.ToList();
            Assert.Contains(progress, p => p.StatusDescription == "2 of 2 done (32 at a time); 1 listed, 0 errors" && p.PercentComplete == 100);
            Assert.Equal(ProgressRecordType.Completed, progress.Last().RecordType);
        }

        [Fact]
        public void Catalogue_data_file_ships_in_the_module_folder()
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Paths.ModuleManifest)!, "Data", "dnsbl-zones.json");
            Assert.True(System.IO.File.Exists(path), path);
        }

        [Fact]
        public void Ctrl_C_stops_a_run_whose_queries_hang_within_a_second()
        {
            var vars = Vars("dnsbl-zen.spamhaus.org.zone");
            Server.SetFault("2.0.0.127.zen.spamhaus.org", FixtureDnsServer.Fault.Timeout);
            // Ctrl+C once the zone test query is really hanging at the server; every input waits on it.
            var took = ModuleHost.RunAndStop("1..50 | ForEach-Object { \"192.0.2.$_\" } | Get-DnsblListing -Zone zen.spamhaus.org -Server $srv -TimeoutSec 30",
                vars, TimeSpan.FromMilliseconds(300), () => Server.QueryCount("2.0.0.127.zen.spamhaus.org") > 0);
            Assert.True(took < TimeSpan.FromSeconds(1), $"Stop took {took.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Test-MailPtr as a user types it.</summary>
    [Collection("Runspace")]
    public sealed class DnsblPtrTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public DnsblPtrTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var f in new[] { "ptr-reverse.zone", "ptr-reverse6.zone", "ptr-forward.example.org.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture("dnsbl/" + f));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["dead"] = Paths.DeadServer,
                ["zones"] = Paths.DnsFixture("dnsbl/ptr-*.zone"),
            };
        }

        public void Dispose() => _dns.Dispose();

        [Fact]
        public void Addresses_from_the_pipeline_with_helo_name()
        {
            var run = ModuleHost.Run("'198.51.100.10','198.51.100.11' | Test-MailPtr -HeloName mail.example.org -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("Pass", run.Prop(0, "Status"));
            Assert.Equal(true, run.Prop(0, "ForwardConfirmed"));
            Assert.Equal(true, run.Prop(0, "HeloMatches"));
            Assert.Equal("Fail", run.Prop(1, "Status"));
            Assert.Equal("MailOps.Ptr.MailPtrResult", run.Output[0].TypeNames[0]);
            Assert.Contains("NoPtr", run.Prop(1, "Findings")!.ToString());
        }

        [Fact]
        public void Objects_bind_by_property_name_including_helo()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ IPAddress = '198.51.100.10'; HeloName = 'other.example.org' },
  [pscustomobject]@{ Address = '198.51.100.13' },
  [pscustomobject]@{ IP4Address = '198.51.100.15' }) | Test-MailPtr -Server $srv | ForEach-Object { '{0}|{1}|{2}' -f $_.IPAddress, $_.Status, (($_.Findings | ForEach-Object Code) -join ',') }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "198.51.100.10|Warning|HeloMismatch", "198.51.100.13|Fail|PtrNotForwardConfirmed", "198.51.100.15|Warning|GenericPtr" },
                run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Quiet_gives_one_boolean_per_invocation_and_false_when_unsure()
        {
            _dns.SetFault("17.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'198.51.100.10' | Test-MailPtr -Server $srv -Quiet; '198.51.100.10','198.51.100.13' | Test-MailPtr -Server $srv -Quiet; '198.51.100.10','198.51.100.17' | Test-MailPtr -Server $srv -TimeoutSec 1 -Quiet", _vars);
            Assert.Equal(new object[] { true, false, false }, run.Output.Select(o => o.BaseObject));
            Assert.Empty(run.Errors); // under -Quiet a check that could not run is $false, not an error record
        }

        [Fact]
        public void Ptr_timeout_is_an_error_record_and_the_pipeline_goes_on()
        {
            _dns.SetFault("17.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'198.51.100.17','198.51.100.10' | Test-MailPtr -Server $srv -TimeoutSec 1", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout,MailOps.Commands.TestMailPtrCommand", e.FullyQualifiedErrorId);
            Assert.Equal("198.51.100.17", e.TargetObject);
            Assert.Equal("198.51.100.10", run.Prop(0, "IPAddress"));
        }

        [Fact]
        public void Forward_timeout_warns_and_leaves_confirmation_unknown()
        {
            _dns.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Test-MailPtr 198.51.100.18 -Server $srv -TimeoutSec 1", _vars);
            Assert.Empty(run.Errors);
            Assert.Null(run.Prop(0, "ForwardConfirmed"));
            Assert.Contains(run.Warnings, w => w.Message.Contains("slow.example.org"));
        }

        [Fact]
        public void ZoneFile_gives_the_same_results_offline()
        {
            const string script = "'198.51.100.10','198.51.100.11','198.51.100.12','198.51.100.13','198.51.100.14','198.51.100.15','198.51.100.16','2001:db8:ab::10' | Test-MailPtr -HeloName mail.example.org {0} | ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}' -f $_.IPAddress, $_.PtrName, $_.ForwardConfirmed, $_.HeloMatches, $_.Findings }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zones -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Equal(8, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Bad_helo_name_stops_before_any_query()
        {
            var run = ModuleHost.Run("Test-MailPtr 198.51.100.10 -HeloName 'bad..name' -Server $srv", _vars);
            Assert.Equal("InvalidDomainName", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(0, _dns.TotalQueries);
        }
    }
}
