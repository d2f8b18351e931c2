using System;
using System.Collections.Generic;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Get-MailDeliveryLog and Get-MailDeliveryStat, as a user types them, on a log written by a real Postfix
    /// relaying to loopback sinks (<see cref="PostfixDeliveryScenario"/>: accept, greylist, 421 until expiry, 550s).</summary>
    public sealed class RealPostfixLogTests
    {
        [PostfixLogFact]
        public void A_real_Postfix_log_reads_into_one_classified_record_per_attempt_and_counts_per_day()
        {
            using var s = new PostfixDeliveryScenario();
            Assert.True(s.Elapsed < TimeSpan.FromSeconds(60), $"The Postfix run took {s.Elapsed}.");
            var run = ModuleHost.Run(@"
$r = Get-MailDeliveryLog -LiteralPath $log
$r | ForEach-Object { '{0}|{1}|{2}|{3}|{4}|{5}' -f $_.To, $_.Status, $_.Dsn, $_.Reason, $_.Provider, $_.HardBounce }
'--'
[System.IO.File]::ReadAllLines($log) | Get-MailDeliveryLog | ForEach-Object { '{0}|{1}' -f $_.To, $_.Status }
'--'
$r | Get-MailDeliveryStat | Where-Object { $_ -is [MailOps.Logs.MailDeliveryStat] } | ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.Sent, $_.Deferred, $_.Bounced, $_.Expired, $_.HardBounces }",
                new Dictionary<string, object?> { ["log"] = s.LogPath });
            Assert.Empty(run.Errors);
            var lines = run.Output.Select(o => o.ToString()).ToList();
            var first = lines.IndexOf("--");
            var second = lines.LastIndexOf("--");
            var records = lines.Take(first).ToList();
            var piped = lines.Skip(first + 1).Take(second - first - 1).ToList();
            var stats = lines.Skip(second + 1).ToList();

            Assert.Contains("a@accept.test|sent|2.0.0|||False", records);
            Assert.Contains("d@greylist.test|sent|2.0.0|||False", records);
            Assert.Contains("c@yahoo.test|deferred|4.7.0|badreputation|Yahoo/AOL|False", records);
            Assert.Equal("c@yahoo.test|expired|4.7.0|badreputation|Yahoo/AOL|False", Assert.Single(records, l => l.Contains("|expired|")));
            Assert.Contains("e@outlook.test|bounced|5.7.606|blocked|Microsoft|False", records);
            Assert.Contains("f@gmail.test|bounced|5.7.26|authfailure|Gmail|False", records);
            Assert.DoesNotContain(records, l => l.StartsWith("d@greylist.test|deferred|", StringComparison.Ordinal) && l.EndsWith("|True", StringComparison.Ordinal));
            // Piped lines give the same records as the file.
            Assert.Equal(records.Select(l => string.Join("|", l.Split('|').Take(2))), piped);

            // Per day (the run may cross midnight): sent 7 (4 recipients, 3 notifications), bounced 2, expired 1.
            var totals = stats.Select(l => l.Split('|').Select(long.Parse).ToArray()).Aggregate(new long[5], (a, b) => a.Zip(b, (x, y) => x + y).ToArray());
            Assert.Equal(7L, totals[0]);
            Assert.Equal(records.Count(l => l.Contains("|deferred|")), totals[1]);
            Assert.Equal(2L, totals[2]);
            Assert.Equal(1L, totals[3]);
            Assert.Equal(0L, totals[4]);
        }
    }
}
