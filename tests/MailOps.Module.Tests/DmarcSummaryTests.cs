using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Import-DmarcReport -Format Parsedmarc enrichment and Get-DmarcSummary as a user types them, DNS from the
    /// fixture server on loopback (PTR zone for 198.51.100.0/24, Team Cymru's TXT answers).</summary>
    [Collection("Runspace")]
    public sealed class DmarcSummaryTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-dmarcsum-" + Guid.NewGuid().ToString("N"));

        public DmarcSummaryTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("server/asn.cymru.com.zone"));
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("dnsbl/ptr-reverse.zone"));
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?> { ["srv"] = _dns.ServerSpec, ["tmp"] = _tmp };
        }

        public void Dispose()
        {
            _dns.Dispose();
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        /// <summary>A report whose records are (ip, count, dkim pass, spf pass, disposition).</summary>
        private void WriteReport(string file, string id, string domain, string p, params (string Ip, int Count, bool Dkim, bool Spf, string Disposition)[] records)
        {
            var sb = new StringBuilder($"<?xml version=\"1.0\"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>{id}</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>{domain}</domain><p>{p}</p></policy_published>");
            foreach (var r in records)
                sb.Append($"<record><row><source_ip>{r.Ip}</source_ip><count>{r.Count}</count><policy_evaluated><disposition>{r.Disposition}</disposition><dkim>{(r.Dkim ? "pass" : "fail")}</dkim><spf>{(r.Spf ? "pass" : "fail")}</spf></policy_evaluated></row><identifiers><header_from>{domain}</header_from></identifiers><auth_results><spf><domain>{domain}</domain><result>{(r.Spf ? "pass" : "fail")}</result></spf></auth_results></record>");
            File.WriteAllText(Path.Combine(_tmp, file), sb.Append("</feedback>").ToString());
        }

        private void ThreeSources() =>
            WriteReport("a.xml", "A", "example.com", "none",
                ("198.51.100.10", 5, true, true, "none"),
                ("198.51.100.15", 40, false, false, "none"),
                ("198.51.100.11", 2, true, true, "none"),
                ("198.51.100.10", 7, false, true, "none"));

        [Fact]
        public void Parsedmarc_format_fills_the_source_columns_once_per_address_in_row_order()
        {
            ThreeSources();
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal(new object[] { "198.51.100.10", "198.51.100.15", "198.51.100.11", "198.51.100.10" }, run.Output.Select(o => o.Properties["source_ip_address"].Value));
            Assert.Equal("mail.example.org", run.Prop(0, "source_reverse_dns"));
            Assert.Equal("example.org", run.Prop(0, "source_base_domain"));
            Assert.Equal("64496", run.Prop(0, "source_asn"));
            Assert.Equal("EXAMPLE-HOSTING - Example Hosting Inc., US", run.Prop(0, "source_as_name"));
            Assert.Equal("US", run.Prop(0, "source_country"));
            Assert.Equal("dsl-15.cust.example.org", run.Prop(1, "source_reverse_dns"));
            Assert.Equal("DE", run.Prop(1, "source_country"));
            // 198.51.100.11 has no PTR and no origin data: empty, and that is an answer, not a problem.
            Assert.Equal("", run.Prop(2, "source_reverse_dns"));
            Assert.Equal("", run.Prop(2, "source_asn"));
            Assert.Equal("mail.example.org", run.Prop(3, "source_reverse_dns"));
            Assert.Equal(1, _dns.QueryCount("10.100.51.198.in-addr.arpa"));
            Assert.Equal(1, _dns.QueryCount("10.100.51.198.origin.asn.cymru.com"));
        }

        [Fact]
        public void A_ptr_timeout_leaves_the_column_empty_with_one_warning_and_no_error()
        {
            ThreeSources();
            _dns.SetFault("15.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -Server $srv -TimeoutSec 1; $?", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(true, run.Output.Last().BaseObject);
            Assert.Equal("", run.Prop(1, "source_reverse_dns"));
            Assert.Equal("64497", run.Prop(1, "source_asn"));
            var w = Assert.Single(run.Warnings).Message;
            Assert.Contains("1 of 3 source address(es) could not be fully enriched (PTR timed out: 1)", w);
            Assert.Contains("not because there is no record", w);
        }

        [Fact]
        public void No_enrichment_asks_no_dns_and_the_default_format_never_does()
        {
            ThreeSources();
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -NoEnrichment -Server $srv; Import-DmarcReport -Path $tmp -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(8, run.Output.Count);
            Assert.Equal("", run.Prop(0, "source_reverse_dns"));
            Assert.Equal(0, _dns.TotalQueries);
        }

        [Fact]
        public void Import_DmarcReport_declares_server_timeout_and_zonefile_as_the_dns_cmdlets_do()
        {
            var run = ModuleHost.Run(@"
foreach ($c in 'Test-MailPtr', 'Import-DmarcReport', 'Get-DmarcSummary') {
    foreach ($name in 'Server', 'TimeoutSec', 'ZoneFile') {
        $p = (Get-Command $c).Parameters[$name]
        [string[]]$attrs = foreach ($a in $p.Attributes) {
            $a.GetType().Name + $(if ($a -is [System.Management.Automation.ValidateRangeAttribute]) { ""($($a.MinRange)..$($a.MaxRange))"" })
        }
        [array]::Sort($attrs)
        '{0} {1} [{2}] {3}' -f $p.Name, $p.ParameterType.Name, ($p.Aliases -join ','), ($attrs -join ',')
    }
    '--'
}", _vars);
            Assert.Empty(run.Errors);
            var blocks = string.Join("\n", run.Output.Select(o => o.BaseObject.ToString())).Split("--", StringSplitOptions.RemoveEmptyEntries).Select(b => b.Trim()).ToList();
            Assert.Equal(3, blocks.Count);
            Assert.Contains("Server String[] [NameServer]", blocks[0]);
            Assert.Contains("TimeoutSec Int32 [TimeoutSeconds]", blocks[0]);
            Assert.Contains("ValidateRangeAttribute(1..3600)", blocks[0]);
            Assert.Equal(blocks[0], blocks[1]);
            Assert.Equal(blocks[0], blocks[2]);
        }

        [Theory]
        [InlineData("Import-DmarcReport -Path $tmp -Format Parsedmarc -Server $srv -TimeoutSec 30")]
        [InlineData("Import-DmarcReport -Path $tmp | Get-DmarcSummary -Server $srv -TimeoutSec 30")]
        public void Ctrl_C_stops_an_enrichment_whose_queries_hang_within_a_second(string script)
        {
            ThreeSources();
            _dns.SetFault("15.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var took = ModuleHost.RunAndStop(script, _vars, TimeSpan.FromMilliseconds(300), () => _dns.QueryCount("15.100.51.198.in-addr.arpa") > 0);
            Assert.True(took < TimeSpan.FromSeconds(1), $"Stop took {took.TotalMilliseconds:0} ms");
        }

        [Fact]
        public void A_bad_server_ends_a_parsedmarc_import_before_any_file_is_read()
        {
            ThreeSources();
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -Server 'not a server:x'", _vars);
            Assert.Empty(run.Output);
            Assert.Equal("InvalidDnsServer", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidArgument, run.StatementTerminating.CategoryInfo.Category);
        }

        [Fact]
        public void Summary_by_source_is_enriched_and_carries_findings()
        {
            ThreeSources();
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp | Get-DmarcSummary -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal("MailOps.Reports.DmarcSourceSummary", run.Output[0].TypeNames[0]);
            Assert.Equal(new object[] { "198.51.100.15", "198.51.100.10", "198.51.100.11" }, run.Output.Select(o => o.Properties["SourceIP"].Value));
            Assert.Equal(40L, run.Prop(0, "Messages"));
            Assert.Equal("dsl-15.cust.example.org", run.Prop(0, "ReverseDns"));
            Assert.Equal(64497, run.Prop(0, "Asn"));
            Assert.Equal("Fail", run.Prop(0, "Status"));
            Assert.Equal("UnauthenticatedSource", run.Prop(0, "FindingCodes"));
            Assert.Equal(12L, run.Prop(1, "Messages"));
            Assert.Equal(12L, run.Prop(1, "SpfAligned"));
            Assert.Equal(5L, run.Prop(1, "DkimAligned"));
            Assert.Equal("r.example", run.Prop(1, "Reporters")!.ToString());
            Assert.Equal(1, _dns.QueryCount("10.100.51.198.in-addr.arpa"));
            Assert.Contains(run.Progress, p => p.Activity == "Summarising DMARC report rows");
            Assert.Contains(run.Progress, p => p.Activity == "Looking up DMARC report sources" && p.StatusDescription == "3 of 3 address(es)");
            Assert.Equal(ProgressRecordType.Completed, run.Progress.Last().RecordType);
        }

        [Fact]
        public void Summary_timeout_fills_enrichment_problem_and_warns_once()
        {
            ThreeSources();
            _dns.SetFault("15.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp | Get-DmarcSummary -Server $srv -TimeoutSec 1", _vars);
            Assert.Empty(run.Errors);
            Assert.Null(run.Prop(0, "ReverseDns"));
            Assert.Equal("PTR timed out", run.Prop(0, "EnrichmentProblem"));
            Assert.Null(run.Prop(2, "EnrichmentProblem"));
            Assert.Single(run.Warnings);
        }

        [Fact]
        public void Summary_by_domain_baseline_and_thresholds()
        {
            ThreeSources();
            WriteReport("b.xml", "B", "example.net", "reject", ("198.51.100.10", 3, true, true, "none"));
            var run = ModuleHost.Run(@"
$base = [pscustomobject]@{ Domain = 'example.com'; SourceIP = '198.51.100.10' }, [pscustomobject]@{ Domain = 'EXAMPLE.com'; SourceIP = '198.51.100.15' }
Import-DmarcReport -Path $tmp | Get-DmarcSummary -NoEnrichment -Baseline $base -MinimumMessages 1 -FailureThreshold 0.5
'--'
Import-DmarcReport -Path $tmp | Get-DmarcSummary -NoEnrichment -By Domain", _vars);
            Assert.Empty(run.Errors);
            var split = run.Output.Select((o, i) => (o, i)).First(x => x.o.BaseObject is string s && s == "--").i;
            var sources = run.Output.Take(split).ToDictionary(o => o.Properties["Domain"].Value + "|" + o.Properties["SourceIP"].Value);
            Assert.Equal("UnauthenticatedSource", sources["example.com|198.51.100.15"].Properties["FindingCodes"].Value);
            Assert.Equal("DkimNotAligned", sources["example.com|198.51.100.10"].Properties["FindingCodes"].Value);
            // The advice names the domain to look up, not a placeholder.
            var dkimFinding = ((System.Collections.IEnumerable)sources["example.com|198.51.100.10"].Properties["Findings"].Value).Cast<object>().Single();
            var remedy = (string)System.Management.Automation.PSObject.AsPSObject(dkimFinding).Properties["Remedy"].Value;
            Assert.Contains("Find-DkimSelector -Domain example.com ", remedy);
            Assert.DoesNotContain("<domain>", remedy);
            Assert.Equal("NewSource", sources["example.com|198.51.100.11"].Properties["FindingCodes"].Value);
            Assert.Equal("NewSource", sources["example.net|198.51.100.10"].Properties["FindingCodes"].Value);
            var domains = run.Output.Skip(split + 1).ToList();
            Assert.Equal(new object[] { "example.com", "example.net" }, domains.Select(d => d.Properties["Domain"].Value));
            Assert.Equal("MailOps.Reports.DmarcDomainSummary", domains[0].TypeNames[0]);
            Assert.Equal(54L, domains[0].Properties["Messages"].Value);
            Assert.Equal(3, domains[0].Properties["Sources"].Value);
            Assert.Equal("none", domains[0].Properties["Policy"].Value);
            Assert.Equal("UnauthenticatedSource", domains[0].Properties["FindingCodes"].Value);
            Assert.Equal(0, _dns.TotalQueries);
        }

        [Fact]
        public void Input_that_is_not_a_report_row_is_one_error_and_the_summary_goes_on()
        {
            ThreeSources();
            var run = ModuleHost.Run("@('not a row') + @(Import-DmarcReport -Path $tmp) | Get-DmarcSummary -NoEnrichment", _vars);
            Assert.Equal(new[] { "ReportInputNotRecognized" }, run.ErrorIds);
            Assert.Equal(ErrorCategory.InvalidType, run.Errors[0].CategoryInfo.Category);
            Assert.Equal(3, run.Output.Count);
        }

        [Fact]
        public void Parsedmarc_rows_summarise_like_the_default_rows_and_keep_their_enrichment()
        {
            ThreeSources();
            var run = ModuleHost.Run(@"
$a = Import-DmarcReport -Path $tmp | Get-DmarcSummary -NoEnrichment
$b = Import-DmarcReport -Path $tmp -Format Parsedmarc -Server $srv | Get-DmarcSummary -NoEnrichment
foreach ($i in 0..2) { '{0}|{1}|{2}|{3}' -f $a[$i].SourceIP, $a[$i].Messages, $a[$i].DkimAligned, $a[$i].FindingCodes; '{0}|{1}|{2}|{3}' -f $b[$i].SourceIP, $b[$i].Messages, $b[$i].DkimAligned, $b[$i].FindingCodes }
$b[0].ReverseDns", _vars);
            Assert.Empty(run.Errors);
            for (int i = 0; i < 6; i += 2) Assert.Equal(run.Output[i].BaseObject, run.Output[i + 1].BaseObject);
            Assert.Equal("dsl-15.cust.example.org", run.Output[6].BaseObject);
        }

        [Fact]
        public void Summary_objects_render_in_convertto_mailopshtml()
        {
            ThreeSources();
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp | Get-DmarcSummary -NoEnrichment -By Domain | ConvertTo-MailOpsHtml", _vars);
            Assert.Empty(run.Errors);
            var html = (string)run.Output.Single().BaseObject;
            Assert.Contains("example.com", html);
            Assert.Contains("DmarcReports/UnauthenticatedSource", html);
        }

        [CorpusFact("dmarc-aggregate")]
        public void Summary_over_the_shared_corpus_matches_an_independent_count()
        {
            var corpus = Path.Combine(Paths.Corpora!, "dmarc-aggregate");
            _vars["corpus"] = corpus;
            var run = ModuleHost.Run(@"
$rows = @(Import-DmarcReport -Path $corpus -Recurse -ErrorAction SilentlyContinue)
$expect = @{}
foreach ($r in $rows) {
    $d = if ($r.HeaderFrom) { $r.HeaderFrom.ToLowerInvariant() } else { $r.Domain.ToLowerInvariant() }
    $k = $d + '|' + $r.SourceIP
    if (-not $expect.ContainsKey($k)) { $expect[$k] = [long[]]@(0, 0, 0, 0, 0) }
    $e = $expect[$k]
    $e[0] += $r.Count
    if ($r.DmarcResult -eq 'pass') { $e[1] += $r.Count }
    if ($r.SpfAligned) { $e[2] += $r.Count }
    if ($r.DkimAligned) { $e[3] += $r.Count }
    if ($r.Disposition -eq 'reject') { $e[4] += $r.Count }
}
$got = $rows | Get-DmarcSummary -NoEnrichment
'rows={0} sources={1} expected={2}' -f $rows.Count, @($got).Count, $expect.Count
foreach ($s in $got) {
    $e = $expect[$s.Domain + '|' + $s.SourceIP]
    if ($null -eq $e) { 'unexpected ' + $s.Domain + '|' + $s.SourceIP; continue }
    $g = [long[]]@($s.Messages, $s.DmarcPass, $s.SpfAligned, $s.DkimAligned, $s.DispositionReject)
    if (($g -join ',') -ne ($e -join ',')) { 'mismatch {0}|{1}: {2} vs {3}' -f $s.Domain, $s.SourceIP, ($g -join ','), ($e -join ',') }
}", _vars);
            var lines = run.Output.Select(o => o.BaseObject.ToString()!).ToList();
            var head = lines[0];
            Assert.Matches(@"^rows=\d+ sources=(\d+) expected=\1$", head);
            Assert.DoesNotMatch(@"^rows=0 ", head);
            Assert.Equal(new[] { head }, lines);
        }
    }
}
