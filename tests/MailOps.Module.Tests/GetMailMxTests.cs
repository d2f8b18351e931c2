using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Get-MailMx as a user types it, against the fixture DNS server on loopback and against -ZoneFile.</summary>
    [Collection("Runspace")]
    public sealed class GetMailMxTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public GetMailMxTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in new[] { "mx.example.com.zone", "reverse.zone", "reverse6.zone", "reverse10.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture(z));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["zones"] = Paths.DnsFixture("*.zone"),
                ["dead"] = Paths.DeadServer,
            };
        }

        public void Dispose() => _dns.Dispose();

        [Fact]
        public void Strings_from_the_pipeline_bind_by_value()
        {
            var run = ModuleHost.Run("'example.com','nullmx.example.com' | Get-MailMx -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(3, run.Output.Count);
            Assert.Equal("mail.example.com", run.Prop(0, "HostName"));
            Assert.Equal(10, run.Prop(0, "Preference"));
            Assert.Equal("backup.example.com", run.Prop(1, "HostName"));
            Assert.Equal(true, run.Prop(2, "IsNullMx"));
            Assert.Equal("MailOps.Mx.MailMxHost", run.Output[0].TypeNames[0]);
        }

        [Fact]
        public void Import_Csv_style_objects_bind_by_property_name_and_aliases()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ Domain = 'nomx.example.com'; Owner = 'x' },
  [pscustomobject]@{ Name = 'nothing.example.com' },
  [pscustomobject]@{ DomainName = 'cname-mx.example.com' }) | Get-MailMx -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "nomx.example.com", "nothing.example.com", "cname-mx.example.com" }, run.Output.Select(o => o.Properties["Domain"].Value));
            Assert.Equal(true, run.Prop(0, "IsImplicit"));
            Assert.Equal("Fail", run.Prop(1, "Status"));
        }

        [Fact]
        public void Timeout_is_an_error_record_and_the_pipeline_goes_on()
        {
            _dns.SetFault("slow.example.com", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'example.com','slow.example.com','nullmx.example.com' | Get-MailMx -Server $srv -TimeoutSec 1", _vars);
            var error = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout,MailOps.Commands.GetMailMxCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
            Assert.Equal("slow.example.com", error.TargetObject);
            Assert.Contains("slow.example.com MX", error.ToString());
            Assert.Contains(_dns.ServerSpec, error.ToString());
            Assert.False(string.IsNullOrEmpty(error.ErrorDetails.RecommendedAction));
            // The domains before and after the failure are both there.
            Assert.Equal(new[] { "example.com", "example.com", "nullmx.example.com" }, run.Output.Select(o => o.Properties["Domain"].Value));
        }

        [Theory]
        [InlineData(FixtureDnsServer.Fault.ServFail, "DnsServerFailure", ErrorCategory.ResourceUnavailable)]
        [InlineData(FixtureDnsServer.Fault.Refused, "DnsRefused", ErrorCategory.ResourceUnavailable)]
        public void Servfail_and_refused_are_errors_not_missing_records(FixtureDnsServer.Fault fault, string errorId, ErrorCategory category)
        {
            _dns.SetFault("broken.example.com", fault);
            var run = ModuleHost.Run("Get-MailMx broken.example.com -Server $srv", _vars);
            Assert.Empty(run.Output);
            var e = Assert.Single(run.Errors);
            Assert.Equal(errorId, e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(category, e.CategoryInfo.Category);
        }

        [Fact]
        public void A_host_lookup_that_times_out_warns_and_keeps_the_rest()
        {
            _dns.SetFault("backup.example.com", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Get-MailMx example.com -Server $srv -TimeoutSec 1", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            Assert.Contains(run.Warnings, w => w.Message.Contains("backup.example.com") && w.Message.Contains("timed out"));
        }

        [Fact]
        public void ZoneFile_gives_the_same_results_offline()
        {
            const string script = "'example.com','nullmx.example.com','nomx.example.com','cname-mx.example.com','literal-mx.example.com','noaddr-mx.example.com','private-mx.example.com','nothing.example.com' | Get-MailMx {0} | ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}|{{5}}|{{6}}' -f $_.Domain, $_.Preference, $_.HostName, $_.IPv4Address, $_.IPv6Address, $_.PtrName, $_.Findings }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zones -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Empty(offline.Warnings);
            Assert.Equal(9, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void ThrottleLimit_asks_for_several_domains_at_once_and_writes_them_in_input_order()
        {
            // Three domains whose questions hang: with -ThrottleLimit 4 all three are asked before the first times out
            // (one after another, the second would be asked only after the first's 2 x 3 s).
            foreach (var d in new[] { "slow1", "slow2", "slow3" }) _dns.SetFault($"{d}.example.com", FixtureDnsServer.Fault.Timeout);
            using var runspace = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(
                System.Management.Automation.Runspaces.InitialSessionState.CreateDefault2());
            runspace.Open();
            runspace.SessionStateProxy.Path.SetLocation(Paths.RepoRoot);
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript($"Import-Module '{Paths.ModuleManifest}'; 'slow1.example.com','example.com','slow2.example.com','slow3.example.com' | " +
                $"Get-MailMx -Server {_dns.ServerSpec} -TimeoutSec 3 -ThrottleLimit 4 | ForEach-Object HostName");
            var async = ps.BeginInvoke();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (_dns.QueryCount("slow1.example.com") == 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) System.Threading.Thread.Sleep(10);
            var asked = System.Diagnostics.Stopwatch.StartNew();
            while (!(_dns.QueryCount("slow2.example.com") > 0 && _dns.QueryCount("slow3.example.com") > 0) && asked.Elapsed < TimeSpan.FromSeconds(2.5))
                System.Threading.Thread.Sleep(10);
            Assert.True(_dns.QueryCount("slow2.example.com") > 0 && _dns.QueryCount("slow3.example.com") > 0,
                "slow2 and slow3 were not asked while slow1 was waiting: the inputs ran one after another");
            var output = ps.EndInvoke(async);
            var alone = ModuleHost.Run("Get-MailMx example.com -Server $srv | ForEach-Object HostName", _vars);
            Assert.Equal(new[] { "mail.example.com", "backup.example.com" }, alone.Output.Select(o => o.ToString()));
            Assert.Equal(alone.Output.Select(o => o.ToString()), output.Select(o => o.ToString()));
            // Errors come in input order too, each naming its domain, and every good domain is still written.
            Assert.Equal(new[] { "slow1.example.com", "slow2.example.com", "slow3.example.com" },
                ps.Streams.Error.Select(e => e.TargetObject?.ToString()));
            Assert.All(ps.Streams.Error, e => Assert.StartsWith("DnsTimeout", e.FullyQualifiedErrorId));
        }

        [Fact]
        public void Results_of_a_fan_out_come_in_input_order_whatever_the_throttle()
        {
            const string script = "'example.com','nomx.example.com','example.com' | Get-MailMx -Server $srv -ThrottleLimit {0} | ForEach-Object HostName";
            var one = ModuleHost.Run(string.Format(script, 1), _vars);
            var many = ModuleHost.Run(string.Format(script, 16), _vars);
            Assert.NotEmpty(one.Output);
            Assert.Equal(one.Output.Select(o => o.ToString()), many.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Ctrl_C_stops_a_hanging_lookup_within_a_second()
        {
            _dns.SetFault("hang.example.com", FixtureDnsServer.Fault.Timeout);
            // Ctrl+C once the query is really hanging at the server (not during Import-Module on a busy machine).
            var took = ModuleHost.RunAndStop("Get-MailMx hang.example.com -Server $srv -TimeoutSec 60", _vars, TimeSpan.FromMilliseconds(300),
                () => _dns.QueryCount("hang.example.com") > 0);
            Assert.True(took < TimeSpan.FromSeconds(1), $"Stop took {took.TotalMilliseconds:0} ms");
        }

        [Fact]
        public void The_bundled_example_zone_runs_offline()
        {
            var run = ModuleHost.Run("Get-MailMx example.com -ZoneFile ./examples/zones/*.zone -Server $dead", _vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal(new[] { "mail.example.com", "mx2.example.com" }, run.Output.Select(o => o.Properties["HostName"].Value));
            Assert.Equal("mail.example.com", run.Prop(0, "PtrName")!.ToString());
            Assert.Equal("mx2.example.com", run.Prop(1, "PtrName")!.ToString());
        }

        /// <summary>The checks build.ps1 -Task Demo runs (examples/demo-checks.ps1), on the bundled example zone with a
        /// dead server: they must all run offline, without an error or a warning, and find the example domain healthy.</summary>
        [Fact]
        public void The_demo_checks_run_offline_on_the_example_zone()
        {
            var run = ModuleHost.Run(@"
$o = @{ ZoneFile = './examples/zones/*.zone'; Server = $dead; TimeoutSec = 1 }
Test-MailSpf -Domain example.com @o
Test-MailSpf -Domain example.com -IPAddress 192.0.2.25 @o
Test-MailDmarc -Domain example.com @o
Test-MailDkim -Domain example.com -Selector mail @o
Test-MailPtr -IPAddress 192.0.2.25 -HeloName mail.example.com @o
Test-TlsRpt -Domain example.com @o", _vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal(6, run.Output.Count);
            Assert.Equal("pass", run.Prop(1, "Result")?.ToString(), ignoreCase: true);
            Assert.Equal("quarantine", run.Prop(2, "Policy")?.ToString(), ignoreCase: true);
        }

        [Fact]
        public void Bad_zone_file_line_stops_with_file_and_line()
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mailops-bad-{Guid.NewGuid():N}.zone");
            System.IO.File.WriteAllText(path, "$ORIGIN bad.example.\n@ 60 IN SOA ns host 1 1 1 1 1\nmail 60 IN A 999.1.1.1\n");
            try
            {
                var run = ModuleHost.Run("Get-MailMx bad.example -ZoneFile $bad", new Dictionary<string, object?> { ["bad"] = path });
                Assert.Empty(run.Output);
                Assert.Equal("InvalidZoneFile", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Contains($"{path}:3:", run.StatementTerminating!.ToString());
            }
            finally { System.IO.File.Delete(path); }
        }

        [Fact]
        public void Missing_zone_file_stops_with_object_not_found()
        {
            var run = ModuleHost.Run("Get-MailMx example.com -ZoneFile ./no/such.zone", _vars);
            Assert.Equal("ZoneFileNotFound", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
        }

        [Theory]
        [InlineData("127.0.0.1:99999")]
        [InlineData("[::1")]
        public void Bad_server_stops_before_any_query(string server)
        {
            var run = ModuleHost.Run("Get-MailMx example.com -Server $s", new Dictionary<string, object?> { ["s"] = server });
            Assert.Equal("InvalidDnsServer", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidArgument, run.StatementTerminating!.CategoryInfo.Category);
        }

        [Fact]
        public void Bad_domain_is_an_error_for_that_item_only()
        {
            var run = ModuleHost.Run("'bad..name','example.com' | Get-MailMx -Server $srv", _vars);
            Assert.Equal("InvalidDomainName", Assert.Single(run.Errors).FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(2, run.Output.Count);
        }

        [Fact]
        public void Verbose_shows_every_query_with_server_outcome_and_time_and_cache_hits()
        {
            var run = ModuleHost.Run("'example.com','mixednull.example.com' | Get-MailMx -Server $srv -Verbose", _vars);
            var lines = run.Verbose.Select(v => v.Message).ToList();
            Assert.Contains(lines, l => l.Contains($"DNS {_dns.ServerSpec}: example.com MX -> 2 record(s)") && l.Contains(" ms)"));
            Assert.Contains(lines, l => l.StartsWith($"DNS {_dns.ServerSpec}: mail.example.com A -> 1 record(s)"));
            // mail.example.com A is needed for example.com and again for mixednull.example.com: the second comes from cache.
            Assert.Contains(lines, l => l.StartsWith("DNS cache: mail.example.com A"));
            Assert.Equal(1, _dns.QueryCount("mail.example.com", ARSoft.Tools.Net.Dns.RecordType.A));
        }

        [Fact]
        public void Findings_export_as_text_and_serialise_as_arrays()
        {
            var run = ModuleHost.Run("$r = Get-MailMx mixednull.example.com -Server $srv; $r[0].Findings.ToString(); $r[0].IPv4Address.GetType().GetInterfaces().Name -contains 'IEnumerable'", _vars);
            Assert.Contains("Info NullMx:", run.Output[0].ToString());
            Assert.Contains("; Fail NullMxWithOtherMx:", run.Output[0].ToString());
            Assert.Equal(true, run.Output[1].BaseObject);
        }
    }
}
