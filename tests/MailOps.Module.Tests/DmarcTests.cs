using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Management.Automation;
using System.Text;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailDmarc, Import-DmarcReport and Import-TlsRptReport as a user types them.</summary>
    [Collection("Runspace")]
    public sealed class DmarcTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-dmarc-" + Guid.NewGuid().ToString("N"));

        public DmarcTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("dmarc.example.zone"));
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["zone"] = Paths.DnsFixture("dmarc.example.zone"),
                ["dead"] = Paths.DeadServer,
                ["tmp"] = _tmp,
            };
        }

        public void Dispose()
        {
            _dns.Dispose();
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        private string Write(string relative, byte[] data)
        {
            var p = Path.Combine(_tmp, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, data);
            return p;
        }

        private static string Report(string id, int rows)
        {
            var sb = new StringBuilder($"<?xml version=\"1.0\"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>{id}</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>");
            for (int i = 1; i <= rows; i++)
                sb.Append($"<record><row><source_ip>192.0.2.{i}</source_ip><count>{i}</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim><spf><domain>bounce.example.com</domain><result>fail</result></spf></auth_results></record>");
            return sb.Append("</feedback>").ToString();
        }

        private static byte[] Gzip(string text)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, true)) gz.Write(Encoding.UTF8.GetBytes(text));
            return ms.ToArray();
        }

        // ---- Test-MailDmarc ----

        [Fact]
        public void Test_MailDmarc_binds_strings_and_objects_and_writes_the_result_fields()
        {
            var run = ModuleHost.Run(@"
'good.example' | Test-MailDmarc -Server $srv
[pscustomobject]@{ DomainName = 'a.b.sub.good.example' } | Test-MailDmarc -Server $srv
[pscustomobject]@{ Name = 'shop.brand.psd.example' } | Test-MailDmarc -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(3, run.Output.Count);
            Assert.Equal("MailOps.Dmarc.MailDmarcResult", run.Output[0].TypeNames[0]);
            foreach (var p in new[] { "Domain", "Record", "PolicyDomain", "DiscoveryMethod", "Policy", "SubdomainPolicy", "NonExistentPolicy", "Alignment", "ReportUris", "Status", "Findings" })
                Assert.NotNull(run.Output[0].Properties[p]);
            Assert.Equal("reject", run.Prop(0, "Policy"));
            Assert.Equal("adkim=s; aspf=r", run.Prop(0, "Alignment"));
            Assert.Equal("Pass", run.Prop(0, "Status"));
            Assert.Equal("good.example", run.Prop(1, "PolicyDomain"));
            Assert.Equal("TreeWalk", run.Prop(1, "DiscoveryMethod"));
            Assert.Equal("psd.example", run.Prop(2, "PolicyDomain"));
            Assert.Equal("brand.psd.example", run.Prop(2, "OrganizationalDomain"));
        }

        [Fact]
        public void Test_MailDmarc_zone_file_gives_the_same_findings_offline()
        {
            const string script = "'good.example','monitor.example','multi.example','legacy.example','weak.example','badsyntax.example','badversion.example','baduri.example','testing.example','external.example','nodmarc.example','x.team.org.example' | Test-MailDmarc {0} | ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}' -f $_.Domain, $_.PolicyDomain, $_.Policy, $_.Status, (@($_.Findings | ForEach-Object Code) -join ',') }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zone -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Equal(12, wire.Output.Count);
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
            Assert.Contains("monitor.example|monitor.example|none|Warning|MonitoringOnly,NoAggregateReports", wire.Output.Select(o => o.ToString()));
            Assert.Contains("external.example|external.example|reject|Warning|ExternalDestinationAuthorized,ExternalDestinationNotAuthorized", wire.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Test_MailDmarc_psl_mode_and_quiet()
        {
            var run = ModuleHost.Run(@"
(Test-MailDmarc shop.brand.psd.example -DiscoveryMethod PublicSuffixList -Server $srv).OrganizationalDomain
Test-MailDmarc good.example -Quiet -Server $srv
Test-MailDmarc nodmarc.example -Quiet -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("psd.example", run.Output[0].BaseObject);
            Assert.Equal(true, run.Output[1].BaseObject);
            Assert.Equal(false, run.Output[2].BaseObject);
        }

        [Fact]
        public void Test_MailDmarc_timeout_is_an_error_and_the_pipeline_goes_on()
        {
            _dns.SetFault("_dmarc.slow.example", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'good.example','slow.example','monitor.example' | Test-MailDmarc -Server $srv -TimeoutSec 1", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout,MailOps.Commands.TestMailDmarcCommand", e.FullyQualifiedErrorId);
            Assert.Equal("slow.example", e.TargetObject);
            Assert.Equal(new[] { "good.example", "monitor.example" }, run.Output.Select(o => o.Properties["Domain"].Value));
        }

        [Fact]
        public void Test_MailDmarc_unanswered_authorization_lookup_warns()
        {
            _dns.SetFault("external.example._report._dmarc.unauth.example", FixtureDnsServer.Fault.ServFail);
            var run = ModuleHost.Run("Test-MailDmarc external.example -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Contains(run.Warnings, w => w.Message.Contains("external.example._report._dmarc.unauth.example"));
        }

        // ---- Import-DmarcReport ----

        [Fact]
        public void Import_DmarcReport_from_Get_ChildItem_streams_rows_and_keeps_going_past_bad_files()
        {
            Write("a.xml", Encoding.UTF8.GetBytes(Report("A", 2)));
            Write("b.bin", Gzip(Report("B", 3)));
            Write("c-empty.xml", Array.Empty<byte>());
            Write("d-dtd.xml", Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x \"y\">]><feedback>&x;</feedback>"));
            Write("e.xml", Encoding.UTF8.GetBytes(Report("E", 1)));
            // Get-ChildItem is not in the hosted runspace: objects with a PSPath property (what Get-ChildItem adds to each
            // FileInfo, in the provider-qualified form) stand in for its output. The order is the file system's.
            var run = ModuleHost.Run("[System.IO.Directory]::GetFiles($tmp) | ForEach-Object { [pscustomobject]@{ PSPath = 'Microsoft.PowerShell.Core\\FileSystem::' + $_ } } | Import-DmarcReport", _vars);
            Assert.Equal(new[] { "A", "A", "B", "B", "B", "E" }, run.Output.Select(o => (string)o.Properties["ReportId"].Value).OrderBy(x => x));
            Assert.Equal("MailOps.Reports.DmarcReportRow", run.Output[0].TypeNames[0]);
            Assert.Equal(Path.Combine(_tmp, "b.bin"), run.Output.First(o => (string)o.Properties["ReportId"].Value == "B").Properties["SourceFile"].Value);
            Assert.Equal(new[] { "ReportDtdProhibited", "ReportNotRecognized" }, run.ErrorIds.OrderBy(x => x));
            var empty = run.Errors.Single(e => e.FullyQualifiedErrorId.StartsWith("ReportNotRecognized"));
            Assert.Equal(Path.Combine(_tmp, "c-empty.xml"), empty.TargetObject);
            Assert.Contains("c-empty.xml", empty.ToString());
            var dtd = run.Errors.Single(e => e.FullyQualifiedErrorId.StartsWith("ReportDtdProhibited"));
            Assert.Equal(ErrorCategory.SecurityError, dtd.CategoryInfo.Category);
            Assert.False(string.IsNullOrEmpty(dtd.ErrorDetails.RecommendedAction));
        }

        [Fact]
        public void Import_DmarcReport_takes_folders_wildcards_and_recurse()
        {
            Write("top.xml", Encoding.UTF8.GetBytes(Report("T", 1)));
            Write("sub/deep.xml.gz", Gzip(Report("D", 2)));
            var run = ModuleHost.Run(@"
@(Import-DmarcReport -Path $tmp).Count
@(Import-DmarcReport -Path $tmp -Recurse).Count
@(Import-DmarcReport -Path ([System.IO.Path]::Combine($tmp, 't*.xml'))).Count
@([System.IO.DirectoryInfo]::new($tmp).GetFiles() | Import-DmarcReport).Count
Import-DmarcReport -Path ([System.IO.Path]::Combine($tmp, 'nothing-here.xml'))", _vars);
            Assert.Equal(new object[] { 1, 3, 1, 1 }, run.Output.Select(o => o.BaseObject));
            Assert.Equal("ReportFileNotFound", Assert.Single(run.ErrorIds));
        }

        [Fact]
        public void Import_DmarcReport_bomb_is_a_limits_error()
        {
            var data = new byte[16 << 20];
            Array.Fill(data, (byte)'a');
            Encoding.ASCII.GetBytes("<feedback><report_metadata><org_name>").CopyTo(data, 0);
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, true)) gz.Write(data);
            Write("bomb.gz", ms.ToArray());
            Write("ok.xml", Encoding.UTF8.GetBytes(Report("OK", 1)));
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -MaxDecompressedSize 1MB", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("ReportTooLarge", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.LimitsExceeded, e.CategoryInfo.Category);
            Assert.Equal("OK", run.Prop(0, "ReportId"));
        }

        [Fact]
        public void Import_DmarcReport_parsedmarc_format_has_exactly_parsedmarcs_columns()
        {
            Write("a.xml", Encoding.UTF8.GetBytes(Report("A", 2)));
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -NoEnrichment | ForEach-Object { $_.PSObject.Properties.Name -join ',' ; '{0}|{1}|{2}|{3}|{4}' -f $_.begin_date, $_.dkim_aligned, $_.spf_scopes, $_.envelope_from, $_.sp }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("xml_schema,org_name,org_email,org_extra_contact_info,report_id,begin_date,end_date,normalized_timespan,errors,domain,adkim,aspf,p,sp,np,pct,fo,testing,discovery_method,source_ip_address,source_country,source_reverse_dns,source_base_domain,source_name,source_type,source_asn,source_as_name,source_as_domain,count,spf_aligned,dkim_aligned,dmarc_aligned,disposition,policy_override_reasons,policy_override_comments,envelope_from,header_from,envelope_to,dkim_domains,dkim_selectors,dkim_results,spf_domains,spf_scopes,spf_results",
                run.Output[0].BaseObject);
            Assert.Equal("2023-11-14 22:13:20|True|mfrom|bounce.example.com|reject", run.Output[1].BaseObject);
            var typed = ModuleHost.Run("Import-DmarcReport -Path $tmp -Format Parsedmarc -NoEnrichment", _vars);
            Assert.Equal("MailOps.Reports.ParsedmarcRow", typed.Output[0].TypeNames[0]);
        }

        [Fact]
        public void Verbose_shows_every_dmarc_query_and_every_imported_file()
        {
            Write("a.xml", Encoding.UTF8.GetBytes(Report("A", 2)));
            var run = ModuleHost.Run("Test-MailDmarc a.b.sub.good.example -Server $srv -Verbose | Out-Null; Import-DmarcReport -Path $tmp -Verbose | Out-Null", _vars);
            Assert.Empty(run.Errors);
            var lines = run.Verbose.Select(v => v.Message).ToList();
            foreach (var name in new[] { "_dmarc.a.b.sub.good.example", "_dmarc.b.sub.good.example", "_dmarc.sub.good.example", "_dmarc.good.example", "_dmarc.example" })
                Assert.Contains(lines, l => l.StartsWith($"DNS {_dns.ServerSpec}: {name} TXT"));
            Assert.Contains(lines, l => l == $"{Path.Combine(_tmp, "a.xml")}: 2 row(s).");
        }

        // ---- Import-TlsRptReport ----

        [Fact]
        public void Import_TlsRptReport_reads_json_and_gzip_from_the_pipeline()
        {
            const string json = "{\"organization-name\":\"Org\",\"date-range\":{\"start-datetime\":\"2026-11-01T00:00:00Z\",\"end-datetime\":\"2026-11-01T23:59:59Z\"},\"contact-info\":\"tls@org.example\",\"report-id\":\"r1\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\",\"mode: enforce\"],\"policy-domain\":\"example.com\",\"mx-host\":[\"mail.example.com\"]},\"summary\":{\"total-successful-session-count\":10,\"total-failure-session-count\":2},\"failure-details\":[{\"result-type\":\"certificate-expired\",\"receiving-mx-hostname\":\"mail.example.com\",\"failed-session-count\":2}]}]}";
            Write("t.json", Encoding.UTF8.GetBytes(json));
            Write("t.json.gz", Gzip(json));
            Write("x.json", Encoding.UTF8.GetBytes("{ not json"));
            var run = ModuleHost.Run("[System.IO.DirectoryInfo]::new($tmp).GetFiles() | Import-TlsRptReport -Verbose | ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.OrganizationName, $_.PolicyDomain, $_.SuccessfulSessionCount, $_.FailedSessionCount, $_.FailureDetails }", _vars);
            // t.json and t.json.gz are the same report (report-id r1): imported once, the second copy named in -Verbose.
            Assert.Equal(new[] { "Org|example.com|10|2|certificate-expired x2 (mail.example.com)" }, run.Output.Select(o => o.ToString()));
            Assert.Contains(run.Verbose, v => v.Message.Contains("SMTP TLS report 'r1'") && v.Message.Contains("already imported from"));
            Assert.Contains("x.json", run.Errors[0].ToString());
            var e = Assert.Single(run.Errors);
            Assert.Equal("ReportMalformed,MailOps.Commands.ImportTlsRptReportCommand", e.FullyQualifiedErrorId);
        }
    }
}
