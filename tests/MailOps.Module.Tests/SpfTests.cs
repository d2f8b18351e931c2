using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailSpf as a user types it, against the fixture DNS server on loopback and against -ZoneFile.</summary>
    [Collection("Runspace")]
    public sealed class SpfTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public SpfTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in new[] { "spf.example.org.zone", "reverse.zone", "reverse6.zone" })
                _dns.LoadMasterFileFromPath(Paths.DnsFixture(z));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["zones"] = new[] { Paths.DnsFixture("spf.example.org.zone"), Paths.DnsFixture("reverse.zone"), Paths.DnsFixture("reverse6.zone") },
                ["dead"] = Paths.DeadServer,
            };
        }

        public void Dispose() => _dns.Dispose();

        [Fact]
        public void Strings_from_the_pipeline_are_audited()
        {
            var run = ModuleHost.Run("'good.example.org','toomany.example.org','none.example.org' | Test-MailSpf -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(3, run.Output.Count);
            Assert.Equal("MailOps.Spf.SpfAuditResult", run.Output[0].TypeNames[0]);
            Assert.Equal("Pass", run.Prop(0, "Status"));
            Assert.Equal(3, run.Prop(0, "LookupCount"));
            Assert.Equal("Fail", run.Prop(1, "Status"));
            Assert.Equal(13, run.Prop(1, "LookupCount"));
            Assert.Equal("Fail", run.Prop(2, "Status"));
            Assert.Equal("", run.Prop(2, "Record"));
        }

        [Fact]
        public void Import_Csv_style_objects_bind_by_property_name_and_aliases()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ Domain = 'plusall.example.org'; Owner = 'x' },
  [pscustomobject]@{ Name = 'qall.example.org' },
  [pscustomobject]@{ DomainName = 'voids.example.org' }) | Test-MailSpf -Server $srv | ForEach-Object { '{0}|{1}|{2}' -f $_.Domain, $_.Status, $_.Findings[0].Code }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "plusall.example.org|Fail|AllowAll", "qall.example.org|Warning|NeutralAll", "voids.example.org|Fail|TooManyVoidLookups" },
                run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Get_MailMx_output_binds_and_each_domain_is_audited_once()
        {
            var run = ModuleHost.Run("$mx = Get-MailMx good.example.org -Server $srv; $mx.Count; $mx | Test-MailSpf -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, (int)run.Output[0].BaseObject);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("good.example.org", run.Prop(1, "Domain"));
        }

        [Fact]
        public void Terms_are_a_tree_with_costs()
        {
            var run = ModuleHost.Run(@"$r = Test-MailSpf toomany.example.org -Server $srv
$r.Terms | ForEach-Object { '{0}={1}/{2}' -f $_.Term, $_.LookupCost, $_.SubtreeLookupCost }
$r.Terms[0].Children.Count
$r.ToTreeString()", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("include:big1.example.org=1/6", run.Output[0].ToString());
            Assert.Equal("include:big2.example.org=1/5", run.Output[1].ToString());
            Assert.Equal(6, (int)run.Output[5].BaseObject);
            Assert.Contains("toomany.example.org  [lookups 13/10, void 0/2]", run.Output[6].ToString());
        }

        [Fact]
        public void Evaluation_gives_rfc_results_with_explanation_and_trace()
        {
            var run = ModuleHost.Run(@"
Test-MailSpf good.example.org -IPAddress 192.0.2.200,203.0.113.9,2001:db8:100::1 -Sender bob@good.example.org -Server $srv |
  ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.IPAddress, $_.Result, $_.MatchedTerm, $_.Explanation, $_.Trace.Count }", _vars);
            Assert.Empty(run.Errors);
            var lines = run.Output.Select(o => o.ToString()!.Split('|')).ToList();
            Assert.Equal(new[] { "192.0.2.200", "pass", "mx" }, lines[0].Take(3));
            Assert.Equal(new[] { "203.0.113.9", "fail", "-all", "203.0.113.9 is not allowed to send mail for good.example.org" }, lines[1].Take(4));
            Assert.Equal(new[] { "2001:db8:100::1", "pass", "include:_spf.provider.example.org" }, lines[2].Take(3));
            Assert.True(int.Parse(lines[2][4]) >= 6);
        }

        [Fact]
        public void Evaluation_binds_IPAddress_Sender_and_Helo_by_property_name()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ Domain = 'macro.example.org'; IPAddress = '192.0.2.77' },
  [pscustomobject]@{ DomainName = 'helo.example.org'; Address = '192.0.2.44'; HeloName = 'helo.example.org' },
  [pscustomobject]@{ Domain = 'good.example.org'; IP4Address = '203.0.113.7'; MailFrom = 'x@good.example.org' }) | Test-MailSpf -Server $srv |
  ForEach-Object { '{0}|{1}|{2}' -f $_.Domain, $_.Result, $_.Sender }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "macro.example.org|pass|postmaster@macro.example.org", "helo.example.org|pass|postmaster@helo.example.org", "good.example.org|fail|x@good.example.org" },
                run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Quiet_returns_booleans()
        {
            var run = ModuleHost.Run(@"
Test-MailSpf good.example.org -Quiet -Server $srv
Test-MailSpf plusall.example.org -Quiet -Server $srv
Test-MailSpf good.example.org -IPAddress 192.0.2.1 -Quiet -Server $srv
Test-MailSpf good.example.org -IPAddress 203.0.113.1 -Quiet -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { true, false, true, false }, run.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void Audit_timeout_is_an_error_record_and_the_pipeline_goes_on()
        {
            _dns.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'good.example.org','slow.example.org','qall.example.org' | Test-MailSpf -Server $srv -TimeoutSec 1", _vars);
            var error = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout,MailOps.Commands.TestMailSpfCommand", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
            Assert.Equal("slow.example.org", error.TargetObject);
            Assert.Contains("slow.example.org TXT", error.ToString());
            Assert.Equal(new[] { "good.example.org", "qall.example.org" }, run.Output.Select(o => o.Properties["Domain"].Value));
        }

        [Theory]
        [InlineData(FixtureDnsServer.Fault.ServFail, "DnsServerFailure")]
        [InlineData(FixtureDnsServer.Fault.Refused, "DnsRefused")]
        public void Servfail_and_refused_are_errors_not_missing_records(FixtureDnsServer.Fault fault, string errorId)
        {
            _dns.SetFault("none.example.org", fault);
            var run = ModuleHost.Run("Test-MailSpf none.example.org -Server $srv", _vars);
            Assert.Empty(run.Output);
            Assert.Equal(errorId, Assert.Single(run.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }

        [Fact]
        public void Unanswered_include_is_a_finding_and_a_warning()
        {
            _dns.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Test-MailSpf slowinc.example.org -Server $srv -TimeoutSec 1", _vars);
            Assert.Empty(run.Errors);
            var result = Assert.Single(run.Output);
            Assert.Contains("IncludeUnanswered", result.Properties["Findings"].Value!.ToString());
            Assert.Contains(run.Warnings, w => w.Message.Contains("slow.example.org TXT") && w.Message.Contains("timed out"));
        }

        [Fact]
        public void Evaluation_timeout_is_temperror_with_a_warning()
        {
            _dns.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Test-MailSpf slowinc.example.org -IPAddress 203.0.113.5 -Server $srv -TimeoutSec 1", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("temperror", run.Prop(0, "Result"));
            Assert.Contains("slow.example.org TXT", (string)run.Prop(0, "Explanation")!);
            Assert.Contains(run.Warnings, w => w.Message.Contains("slow.example.org TXT") && w.Message.Contains("temperror"));
        }

        [Fact]
        public void Bad_ip_and_bad_domain_are_errors_for_that_item_only()
        {
            var run = ModuleHost.Run("Test-MailSpf good.example.org -IPAddress 'not-an-ip',192.0.2.200 -Server $srv; 'bad..name','good.example.org' | Test-MailSpf -Server $srv", _vars);
            Assert.Equal(new[] { "InvalidIPAddress", "InvalidDomainName" }, run.ErrorIds);
            Assert.Equal(ErrorCategory.InvalidArgument, run.Errors[0].CategoryInfo.Category);
            Assert.Equal(2, run.Output.Count);
        }

        [Fact]
        public void ZoneFile_gives_the_same_results_offline()
        {
            const string script = @"'good.example.org','two.example.org','syntax.example.org','toomany.example.org','voids.example.org','loop.example.org','incnone.example.org','manymx.example.org','long.example.org','obsolete.example.org','redirect.example.org' | Test-MailSpf {0} |
  ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}' -f $_.Domain, $_.Status, $_.LookupCount, $_.VoidLookupCount, $_.Findings }}
Test-MailSpf good.example.org -IPAddress 192.0.2.200,203.0.113.9,198.51.100.9 {0} | ForEach-Object {{ '{{0}}|{{1}}|{{2}}' -f $_.Result, $_.MatchedTerm, $_.Explanation }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zones -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Empty(offline.Warnings);
            Assert.Equal(14, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Findings_export_as_text_and_the_table_view_shows_the_first_finding()
        {
            // Format-Table/Out-String are not in the hosted runspace: read the view from the format file and run its
            // FirstFinding column the way the formatter does, against a real result.
            var xml = System.Xml.Linq.XDocument.Load(System.IO.Path.Combine(Paths.RepoRoot, "src", "MailOps", "Formats", "MailOps.Spf.Format.ps1xml"));
            var view = xml.Descendants("View").Single(v => v.Element("Name")!.Value == "MailOps.Spf.SpfAuditResult");
            Assert.Equal(new[] { "Domain", "Status", "Lookups", "Void", "Findings", "FirstFinding" }, view.Descendants("Label").Select(l => l.Value));
            var firstFinding = view.Descendants("TableColumnItem").Last().Element("ScriptBlock")!.Value;
            var vars = new Dictionary<string, object?>(_vars) { ["column"] = firstFinding };
            var run = ModuleHost.Run(@"$r = Test-MailSpf plusall.example.org, good.example.org -Server $srv
$r[0].Findings.ToString()
$r | ForEach-Object ([scriptblock]::Create($column))
(Get-Module MailOps).ExportedFormatFiles | ForEach-Object { [System.IO.Path]::GetFileName($_) }", vars);
            Assert.Empty(run.Errors);
            Assert.StartsWith("Fail AllowAll:", run.Output[0].ToString());
            Assert.StartsWith("AllowAll: '+all' in the record of plusall.example.org", run.Output[1].ToString());
            Assert.Contains("MailOps.Spf.Format.ps1xml", run.Output.Skip(2).Select(o => o.ToString()));
        }

        [Fact]
        public void Verbose_shows_the_queries()
        {
            var run = ModuleHost.Run("Test-MailSpf good.example.org -Server $srv -Verbose", _vars);
            Assert.Contains(run.Verbose, v => v.Message.StartsWith($"DNS {_dns.ServerSpec}: _spf.provider.example.org TXT -> 1 record(s)"));
        }
    }
}
