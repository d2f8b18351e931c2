using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Get-MailDeliveryStat, New-MailWarmupPlan and Test-MailWarmup as a user types them.</summary>
    [Collection("Runspace")]
    public sealed class DeliveryStatTests : IDisposable
    {
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-stat-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, object?> _vars;

        public DeliveryStatTests()
        {
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?> { ["tmp"] = _tmp, ["log"] = Paths.Fixture("maillog", "spike.log"), ["fx"] = Paths.Fixture("bounces") };
        }

        public void Dispose()
        {
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        private static string Id(System.Management.Automation.ErrorRecord e) => e.FullyQualifiedErrorId.Split(',')[0];

        [Fact]
        public void Get_MailDeliveryStat_counts_the_log_per_day_then_names_the_spike_and_the_block()
        {
            var run = ModuleHost.Run("Get-MailDeliveryLog -LiteralPath $log | Get-MailDeliveryStat", _vars);
            Assert.Empty(run.Errors);
            var rows = run.Output.Where(o => o.TypeNames[0] == "MailOps.Logs.MailDeliveryStat").ToList();
            var findings = run.Output.Where(o => o.TypeNames[0] == "MailOps.Logs.MailDeliveryFinding").ToList();
            Assert.Equal(8, rows.Count);
            Assert.Equal("2026-11-08", rows[7].Properties["Key"].Value);
            Assert.Equal(12L, rows[7].Properties["Deferred"].Value);
            Assert.Equal(33.33, rows[7].Properties["DeferralRate"].Value);
            Assert.Equal(new[] { "DeferralSpike|Gmail|toomanyconn", "Block|Microsoft|blocked" },
                findings.Select(f => $"{f.Properties["Kind"].Value}|{f.Properties["Provider"].Value}|{f.Properties["Reason"].Value}"));
            Assert.Equal("Microsoft S3140", findings[1].Properties["Blocklist"].Value);
            Assert.Equal(rows.Count + findings.Count, run.Output.Count); // rows first, then findings
        }

        [Fact]
        public void By_provider_groups_hosted_domains_under_their_MX_provider()
        {
            var run = ModuleHost.Run("Get-MailDeliveryLog -LiteralPath $log | Get-MailDeliveryStat -By Provider | Where-Object By | ForEach-Object { '{0}={1}' -f $_.Key, $_.Attempts }", _vars);
            Assert.Empty(run.Errors);
            // hosted.example's MX is Google's: its mail counts as Gmail.
            Assert.Equal(new[] { "Gmail=242", "example.org=40", "Microsoft=1" }, run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void Quiet_is_false_on_a_spike_true_on_the_quiet_week_and_false_without_input()
        {
            var run = ModuleHost.Run(@"
Get-MailDeliveryLog -LiteralPath $log | Get-MailDeliveryStat -Quiet
Get-MailDeliveryLog -LiteralPath $log -Until ([datetime]'2026-11-08') | Get-MailDeliveryStat -Quiet
@() | Get-MailDeliveryStat -Quiet", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { false, true, false }, run.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void Bounce_rows_and_objects_with_the_same_properties_count_and_bad_input_is_handled_one_by_one()
        {
            // (The Export-Csv / Import-Csv round trip is in tests/Pester/DeliveryStat.Tests.ps1: the hosted engine has no Utility module.)
            var run = ModuleHost.Run(@"
Import-MailBounce -LiteralPath ([IO.Path]::Combine($fx, 'postfix-dsn.eml')) | Get-MailDeliveryStat -By Reason | Where-Object By | ForEach-Object { '{0}={1}' -f $_.Key, $_.Bounced }
'a', [pscustomobject]@{ Status = 'weird' }, [pscustomobject]@{ Status = 'sent'; To = 'x@gmail.com'; Time = '2026-11-02T10:00:00Z' } | Get-MailDeliveryStat | ForEach-Object { '{0}={1}' -f $_.Key, $_.Attempts }", _vars);
            Assert.Equal(new[] { "blocked=1", "userunknown=1", "2026-11-02=1" }, run.Output.Select(o => o.ToString()));
            Assert.Equal(2, run.Errors.Count);
            Assert.All(run.Errors, e => Assert.Equal("InvalidDeliveryRecord", Id(e)));
            Assert.Contains("'weird' is not sent, deferred, bounced or expired", run.Errors[1].ErrorDetails.Message);
        }

        [Fact]
        public void New_MailWarmupPlan_writes_days_and_saves_JSON_with_WhatIf_and_Force()
        {
            var file = Path.Combine(_tmp, "plan.json");
            _vars["file"] = file;
            var run = ModuleHost.Run(@"
$days = New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000
$days.Count
$days[0].Date
$days[-4].MaxMessages
New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Path $file -WhatIf
[IO.File]::Exists($file)
New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Path $file
[IO.File]::Exists($file)
New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 900 -Path $file
(New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 900 -Path $file -Force -PassThru -Provider gmail).Count", _vars);
            Assert.Equal(new object[] { 112, "2026-11-01", 5000, false, true, 56 }, run.Output.Select(o => o.BaseObject).ToArray());
            var e = Assert.Single(run.Errors);
            Assert.Equal("WarmupPlanFileExists", Id(e));
            Assert.Contains("\"targetDailyVolume\": 900", File.ReadAllText(file));
            Assert.Contains("\"provider\": \"Gmail\"", File.ReadAllText(file)); // the name as the classifier spells it
        }

        [Fact]
        public void New_MailWarmupPlan_refuses_an_unknown_provider_and_warns_when_the_target_is_out_of_reach()
        {
            var run = ModuleHost.Run("New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Provider Gmial", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("InvalidWarmupPlan", Id(e));
            Assert.Contains("Yahoo/AOL", e.ErrorDetails.RecommendedAction);
            var far = ModuleHost.Run("(New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 1000000 -Days 14).Count", _vars);
            Assert.Contains("too few to reach 1000000", Assert.Single(far.Warnings).Message);
        }

        [Fact]
        public void Test_MailWarmup_judges_each_day_from_a_plan_file_and_log_records()
        {
            var file = Path.Combine(_tmp, "plan.json");
            _vars["file"] = file;
            var run = ModuleHost.Run(@"
New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Provider Gmail, Microsoft -Path $file
Get-MailDeliveryLog -LiteralPath $log | Test-MailWarmup -Plan $file | ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.Date, $_.Provider, $_.Planned, $_.Sent, $_.Verdict }", _vars);
            Assert.Empty(run.Errors);
            var lines = run.Output.Select(o => o.ToString()).ToList();
            Assert.Equal(24, lines.Count); // 8 days x (All, Gmail, Microsoft)
            Assert.Equal("2026-11-01|All|20|35|OverPlan", lines[0]);
            Assert.Equal("2026-11-01|Gmail|20|30|OverPlan", lines[1]);
            Assert.Equal("2026-11-01|Microsoft|20|0|OnTrack", lines[2]);
            Assert.Equal("2026-11-07|All|50|35|OnTrack", lines[18]);
            Assert.Equal("2026-11-08|All|58|23|StepBack", lines[21]);
            Assert.Equal("2026-11-08|Gmail|29|18|Hold", lines[22]);
            Assert.Equal("2026-11-08|Microsoft|29|0|StepBack", lines[23]);
        }

        [Fact]
        public void Test_MailWarmup_reads_log_paths_and_plan_rows_with_text_values_and_Quiet_answers_once()
        {
            // Plan rows as Import-Csv gives them: every value text.
            var run = ModuleHost.Run(@"
$plan = New-MailWarmupPlan -StartDate 2026-11-06 -TargetDailyVolume 5000 -Provider Gmail | ForEach-Object { [pscustomobject]@{ Day = ""$($_.Day)""; Date = $_.Date; Week = ""$($_.Week)""; Provider = $_.Provider; MaxMessages = ""$($_.MaxMessages)"" } }
Test-MailWarmup -Plan $plan -Log $log | ForEach-Object { '{0}|{1}|{2}' -f $_.Date, $_.Provider, $_.Verdict }
Test-MailWarmup -Plan $plan -Log $log -Quiet
Test-MailWarmup -Plan ([pscustomobject]@{ Day = '1'; Date = '2026-11-06'; Provider = 'All'; MaxMessages = '100' }) -Log $log -Quiet
Test-MailWarmup -Plan ([IO.Path]::Combine($tmp, 'nope.json')) -Log $log", _vars);
            Assert.Equal(new object[]
            {
                "2026-11-06|All|OverPlan", "2026-11-06|Gmail|OverPlan", "2026-11-07|All|OverPlan", "2026-11-07|Gmail|OverPlan",
                "2026-11-08|All|StepBack", "2026-11-08|Gmail|Hold", false, true,
            }, run.Output.Select(o => o.BaseObject).ToArray());
            Assert.Equal("WarmupPlanNotFound", Id(Assert.Single(run.Errors)));
        }

        [Fact]
        public void The_new_cmdlets_have_help_with_examples_and_tab_completion()
        {
            // (Format views are checked in Pester: Get-FormatData is in the Utility module.)
            var run = ModuleHost.Run(@"
foreach ($c in 'Get-MailDeliveryStat', 'New-MailWarmupPlan', 'Test-MailWarmup') { @((Get-Help $c -Examples).examples.example).Count -ge 2 }
(TabExpansion2 -inputScript 'New-MailWarmupPlan -Provider Yah' -cursorColumn 32).CompletionMatches[0].CompletionText", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { true, true, true, "'Yahoo/AOL'" }, run.Output.Select(o => o.BaseObject).ToArray());
        }
    }
}
