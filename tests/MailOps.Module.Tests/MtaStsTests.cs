using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MtaSts, Test-TlsRpt and New-MtaStsPolicy as a user types them: DNS from the fixture server (or -ZoneFile),
    /// the policy from a real Kestrel HTTPS server on 127.0.0.1 with a test CA.</summary>
    [Collection("Runspace")]
    public sealed class MtaStsTests : IDisposable
    {
        private static readonly Lazy<MtaStsTestSite> SharedSite = new(() => new MtaStsTestSite());
        private readonly MtaStsTestSite _site = SharedSite.Value;
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public MtaStsTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("mtasts.example.zone"));
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["zones"] = Paths.DnsFixture("mtasts.example.zone"),
                ["dead"] = Paths.DeadServer,
                ["port"] = _site.Port,
                ["ca"] = _site.CaPemPath,
            };
        }

        public void Dispose() => _dns.Dispose();

        private const string Sts = "Test-MtaSts -Server $srv -HttpsPort $port -TrustedCaCertificatePath $ca";

        private static string Codes(PSObject o) =>
            string.Join(",", ((System.Collections.IEnumerable)o.Properties["Findings"].Value).Cast<object>().Select(f => PSObject.AsPSObject(f).Properties["Code"].Value));

        [Fact]
        public void Good_domain_from_the_pipeline_passes_with_the_policy_details()
        {
            var run = ModuleHost.Run($"'good.mtasts.example' | {Sts}", _vars);
            Assert.Empty(run.Errors);
            var o = Assert.Single(run.Output);
            Assert.Equal("MailOps.MtaSts.MtaStsResult", o.TypeNames[0]);
            Assert.Equal("Pass", o.Properties["Status"].Value);
            Assert.Equal("enforce", o.Properties["Mode"].Value);
            Assert.Equal("20261123000000", o.Properties["Id"].Value);
            Assert.Equal(604800L, o.Properties["MaxAge"].Value);
            Assert.Equal(200, o.Properties["HttpStatus"].Value);
            Assert.Equal(true, o.Properties["PolicyValid"].Value);
            Assert.Equal("mx1.good.mtasts.example; a.backup.mtasts.example", o.Properties["MxHost"].Value.ToString());
        }

        [Fact]
        public void Csv_style_objects_bind_by_property_name_and_every_fault_is_a_finding()
        {
            var run = ModuleHost.Run($@"
@([pscustomobject]@{{ Domain = 'redirect.mtasts.example' }},
  [pscustomobject]@{{ Name = 'ctype.mtasts.example' }},
  [pscustomobject]@{{ DomainName = 'big.mtasts.example' }},
  [pscustomobject]@{{ Domain = 'expired.mtasts.example' }},
  [pscustomobject]@{{ Domain = 'untrusted.mtasts.example' }},
  [pscustomobject]@{{ Domain = 'wrongname.mtasts.example' }},
  [pscustomobject]@{{ Domain = 'wildcard.mtasts.example' }},
  [pscustomobject]@{{ Domain = 'none.mtasts.example' }}) | {Sts}", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(8, run.Output.Count);
            Assert.Equal("PolicyRedirect", Codes(run.Output[0]));
            Assert.Equal("PolicyContentType", Codes(run.Output[1]));
            Assert.Equal("PolicyTooLarge", Codes(run.Output[2]));
            Assert.Equal("PolicyCertificateExpired", Codes(run.Output[3]));
            Assert.Equal("PolicyCertificateUntrusted", Codes(run.Output[4]));
            Assert.Equal("PolicyCertificateNameMismatch", Codes(run.Output[5]));
            Assert.Equal("MxNotInPolicy,MxNotInPolicy", Codes(run.Output[6]));
            Assert.Equal("x.y.backup.mtasts.example; backup.mtasts.example", run.Prop(6, "UnmatchedMxHost")!.ToString());
            Assert.Equal("NoMtaStsRecord", Codes(run.Output[7]));
            Assert.All(run.Output.Take(7), o => Assert.Equal("Fail", o.Properties["Status"].Value));
        }

        [Fact]
        public void Quiet_returns_booleans()
        {
            var run = ModuleHost.Run($"'good.mtasts.example' | {Sts} -Quiet; 'good.mtasts.example','wildcard.mtasts.example' | {Sts} -Quiet; 'none.mtasts.example' | {Sts} -Quiet; 'expired.mtasts.example' | {Sts} -Quiet", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { true, false, false, false }, run.Output.Select(o => o.BaseObject)); // one per invocation
        }

        [Fact]
        public void Refused_connection_is_an_error_and_the_pipeline_goes_on()
        {
            _vars["closed"] = SilentListener.ClosedPort();
            var run = ModuleHost.Run("'good.mtasts.example','none.mtasts.example' | Test-MtaSts -Server $srv -HttpsPort $closed -TrustedCaCertificatePath $ca", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("MtaStsPolicyConnectionRefused,MailOps.Commands.TestMtaStsCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
            Assert.Equal("good.mtasts.example", e.TargetObject);
            Assert.Contains("refused", e.ToString());
            Assert.False(string.IsNullOrEmpty(e.ErrorDetails.RecommendedAction));
            // Never silent: the unreachable policy server still gives the domain a row, for tables and Export-Csv.
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("good.mtasts.example", run.Prop(0, "Domain"));
            Assert.Equal("Unreachable", run.Prop(0, "Status"));
            Assert.Equal(false, run.Prop(0, "PolicyValid"));
            Assert.Contains("refused", (string)run.Prop(0, "CouldNotCheck")!);
            Assert.Equal("none.mtasts.example", run.Prop(1, "Domain"));
        }

        [Fact]
        public void Hung_policy_server_is_a_timeout_error_not_a_certificate_or_policy_finding()
        {
            using var silent = new SilentListener();
            _vars["silent"] = silent.Port;
            var sw = Stopwatch.StartNew();
            var run = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -HttpsPort $silent -TimeoutSec 1", _vars);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), sw.Elapsed.ToString());
            Assert.Equal("Unreachable", Assert.Single(run.Output).Properties["Status"].Value);
            var e = Assert.Single(run.Errors);
            Assert.Equal("MtaStsPolicyTimeout", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
        }

        [Fact]
        public void Dns_timeout_is_a_dns_error_never_no_record()
        {
            _dns.SetFault("_mta-sts.good.mtasts.example", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run($"{Sts} -Domain good.mtasts.example -TimeoutSec 1", _vars);
            Assert.Empty(run.Output);
            Assert.Equal("DnsTimeout", Assert.Single(run.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }

        [Fact]
        public void Trusted_certificate_objects_work_like_the_pem_file()
        {
            _vars["cert"] = _site.Pki.CaPublic;
            var withObject = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -HttpsPort $port -TrustedCertificate $cert", _vars);
            var withNothing = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -HttpsPort $port", _vars);
            Assert.Equal("Pass", withObject.Prop(0, "Status"));
            Assert.Equal("PolicyCertificateUntrusted", Codes(withNothing.Output[0]));
        }

        [Fact]
        public void Transport_cmdlets_share_one_trusted_certificate_parameter_and_keep_the_old_name_as_alias()
        {
            var run = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -HttpsPort $port -TrustedCertificatePath $ca | ForEach-Object Status\n" +
                "foreach ($c in 'Test-MtaSts','Test-SmtpService') { (Get-Command $c).Parameters.ContainsKey('TrustedCertificatePath') }\n" +
                "(Get-Command Test-MtaSts).Parameters['TrustedCertificatePath'].Aliases -contains 'TrustedCaCertificatePath'", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { "Pass", true, true, true }, run.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void Missing_or_bad_ca_file_stops_before_any_query()
        {
            var missing = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -TrustedCaCertificatePath ./no/such.pem", _vars);
            Assert.Equal("CertificateFileNotFound", missing.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            var bad = Path.Combine(Path.GetTempPath(), $"mailops-bad-{Guid.NewGuid():N}.pem");
            File.WriteAllText(bad, "not a certificate");
            try
            {
                _vars["bad"] = bad;
                var run = ModuleHost.Run("Test-MtaSts good.mtasts.example -Server $srv -TrustedCaCertificatePath $bad", _vars);
                Assert.Equal("InvalidCertificateFile", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Equal(ErrorCategory.InvalidData, run.StatementTerminating!.CategoryInfo.Category);
            }
            finally { File.Delete(bad); }
            Assert.Equal(0, _dns.QueryCount("_mta-sts.good.mtasts.example"));
        }

        [Fact]
        public void ZoneFile_gives_the_same_results_offline()
        {
            const string script = "'good.mtasts.example','wildcard.mtasts.example','testing.mtasts.example','badtxt.mtasts.example','twotxt.mtasts.example','none.mtasts.example','cname.mtasts.example' | Test-MtaSts {0} -HttpsPort $port -TrustedCaCertificatePath $ca | ForEach-Object {{ '{{0}}|{{1}}|{{2}}|{{3}}|{{4}}' -f $_.Domain, $_.Mode, $_.MxHost, $_.Status, $_.Findings }}";
            var wire = ModuleHost.Run(string.Format(script, "-Server $srv"), _vars);
            var offline = ModuleHost.Run(string.Format(script, "-ZoneFile $zones -Server $dead"), _vars);
            Assert.Empty(wire.Errors);
            Assert.Empty(offline.Errors);
            Assert.Equal(7, wire.Output.Count);
            Assert.EndsWith("|Pass|", wire.Output[6].ToString());
            Assert.Equal(wire.Output.Select(o => o.ToString()), offline.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Verbose_shows_the_policy_host_lookup()
        {
            var run = ModuleHost.Run($"{Sts} good.mtasts.example -Verbose", _vars);
            Assert.Contains(run.Verbose, v => v.Message.Contains("mta-sts.good.mtasts.example A -> 1 record(s)"));
            Assert.Contains(run.Verbose, v => v.Message.StartsWith("Trusting, besides the system roots:") && v.Message.Contains("MailOps Test Root CA"));
            Assert.Contains(run.Verbose, v => v.Message.StartsWith("HTTPS GET https://mta-sts.good.mtasts.example/.well-known/mta-sts.txt via 127.0.0.1:") && v.Message.Contains("200 text/plain"));
        }

        [Fact]
        public void Ctrl_C_stops_a_hung_fetch_within_a_second()
        {
            using var silent = new SilentListener();
            var iss = InitialSessionState.CreateDefault2();
            using var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript($"Import-Module '{Paths.ModuleManifest}'; Test-MtaSts good.mtasts.example -Server {_dns.ServerSpec} -HttpsPort {silent.Port} -TimeoutSec 60");
            var handle = ps.BeginInvoke();
            System.Threading.Thread.Sleep(1500); // module loaded, fetch hanging
            var sw = Stopwatch.StartNew();
            ps.Stop();
            sw.Stop();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), sw.Elapsed.ToString());
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        }

        [Fact]
        public void Test_TlsRpt_binds_by_value_and_property_name_and_reports_findings()
        {
            var run = ModuleHost.Run(@"
'good.mtasts.example' | Test-TlsRpt -Server $srv
[pscustomobject]@{ Name = 'http.mtasts.example' } | Test-TlsRpt -Server $srv
[pscustomobject]@{ DomainName = 'none.mtasts.example' } | Test-TlsRpt -Server $srv", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("MailOps.MtaSts.TlsRptResult", run.Output[0].TypeNames[0]);
            Assert.Equal("Pass", run.Prop(0, "Status"));
            Assert.Equal("mailto:tlsrpt@good.mtasts.example", run.Prop(0, "ReportUri")!.ToString());
            Assert.Equal("TlsRptInsecureRua", Codes(run.Output[1]));
            Assert.Equal("NoTlsRptRecord", Codes(run.Output[2]));
        }

        [Fact]
        public void Test_TlsRpt_quiet_zonefile_and_errors()
        {
            _dns.SetFault("_smtp._tls.slow.mtasts.example", FixtureDnsServer.Fault.Timeout);
            var run = ModuleHost.Run("'good.mtasts.example' | Test-TlsRpt -Server $srv -Quiet; 'good.mtasts.example','slow.mtasts.example','norua.mtasts.example' | Test-TlsRpt -Server $srv -TimeoutSec 1 -Quiet; 'slow.mtasts.example' | Test-TlsRpt -Server $srv -TimeoutSec 1 | Out-Null", _vars);
            Assert.Equal(new object[] { true, false }, run.Output.Select(o => o.BaseObject)); // one per invocation; unsure is $false
            var e = Assert.Single(run.Errors);
            Assert.Equal("DnsTimeout,MailOps.Commands.TestTlsRptCommand", e.FullyQualifiedErrorId);
            Assert.Equal("slow.mtasts.example", e.TargetObject);
            var offline = ModuleHost.Run("'https.mtasts.example','tworpt.mtasts.example' | Test-TlsRpt -ZoneFile $zones -Server $dead | ForEach-Object { '{0}|{1}' -f $_.Status, $_.Findings[0].Code }", _vars);
            Assert.Empty(offline.Errors);
            Assert.Equal(new[] { "Pass|TlsRptExternalDestination", "Fail|MultipleTlsRptRecords" }, offline.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void New_MtaStsPolicy_returns_the_policy_and_record()
        {
            var run = ModuleHost.Run("New-MtaStsPolicy -Domain example.com -MxHost mail.example.com,'*.mx.example.net' -Mode enforce -MaxAgeDays 14");
            Assert.Empty(run.Errors);
            var o = Assert.Single(run.Output);
            Assert.Equal("MailOps.MtaSts.MtaStsPolicyTemplate", o.TypeNames[0]);
            Assert.Equal("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 1209600\r\n", o.Properties["Policy"].Value);
            var id = (string)o.Properties["Id"].Value;
            Assert.Matches("^20[0-9]{12}$", id);
            Assert.Equal($"_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id={id};\"", o.Properties["TxtRecord"].Value);
            Assert.Equal("https://mta-sts.example.com/.well-known/mta-sts.txt", o.Properties["PolicyUrl"].Value);
            Assert.Null(o.Properties["Path"].Value);
        }

        [Fact]
        public void New_MtaStsPolicy_defaults_to_testing_and_binds_by_property_name()
        {
            var run = ModuleHost.Run("[pscustomobject]@{ Name = 'example.org'; Mx = 'mx1.example.org','mx2.example.org' } | New-MtaStsPolicy");
            Assert.Empty(run.Errors);
            Assert.Equal("testing", run.Prop(0, "Mode"));
            Assert.Equal(604800L, run.Prop(0, "MaxAge"));
            Assert.Equal("mx1.example.org; mx2.example.org", run.Prop(0, "MxHost")!.ToString());
        }

        [Fact]
        public void New_MtaStsPolicy_rejects_a_bad_pattern_before_anything()
        {
            var run = ModuleHost.Run("New-MtaStsPolicy -Domain example.com -MxHost 'mail.*.example.com'");
            Assert.Empty(run.Output);
            Assert.Equal("InvalidMtaStsPolicy", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidArgument, run.StatementTerminating!.CategoryInfo.Category);
        }

        [Fact]
        public void New_MtaStsPolicy_writes_with_ShouldProcess_and_Force()
        {
            var dir = Path.Combine(Path.GetTempPath(), $"mailops-sts-{Guid.NewGuid():N}");
            var file = Path.Combine(dir, ".well-known", "mta-sts.txt");
            var vars = new Dictionary<string, object?> { ["file"] = file };
            try
            {
                var whatIf = ModuleHost.Run("New-MtaStsPolicy example.com -MxHost mail.example.com -Path $file -WhatIf", vars);
                Assert.Empty(whatIf.Errors);
                Assert.False(File.Exists(file));
                Assert.Null(whatIf.Prop(0, "Path"));

                var write = ModuleHost.Run("New-MtaStsPolicy example.com -MxHost mail.example.com -Path $file", vars);
                Assert.Empty(write.Errors);
                Assert.Equal(file, write.Prop(0, "Path"));
                Assert.Equal(write.Prop(0, "Policy"), File.ReadAllText(file));

                var again = ModuleHost.Run("New-MtaStsPolicy example.com -MxHost mx.example.com -Path $file", vars);
                var e = Assert.Single(again.Errors);
                Assert.Equal("MtaStsPolicyFileExists", e.FullyQualifiedErrorId.Split(',')[0]);
                Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);
                Assert.Contains("mx: mail.example.com", File.ReadAllText(file));

                var force = ModuleHost.Run("New-MtaStsPolicy example.com -MxHost mx.example.com -Path $file -Force", vars);
                Assert.Empty(force.Errors);
                Assert.Contains("mx: mx.example.com", File.ReadAllText(file));
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        }
    }
}
