using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MailOps.Logs;
using MailOps.Testing;
using Xunit;

namespace MailOps.Core.Tests.Logs
{
    public sealed class DeliveryStatisticsTests
    {
        private static readonly DateTimeOffset Day0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        /// <summary>n observations to a Gmail address on day <paramref name="day"/> (hour 10), all with one status and reason.</summary>
        private static IEnumerable<DeliveryObservation> Many(int day, int n, string status, string? reason = null, string to = "u@gmail.com",
            string relay = "gmail-smtp-in.l.google.com", string? blocklist = null, bool hard = false) =>
            Enumerable.Range(0, n).Select(i => new DeliveryObservation(Day0.AddDays(day).AddHours(10).AddSeconds(i), to, status, reason, null, relay, hard, blocklist));

        private static DeliveryStatistics Stats(IEnumerable<DeliveryObservation> all, DeliveryStatGrouping by = DeliveryStatGrouping.Day)
        {
            var s = new DeliveryStatistics(new DeliveryStatOptions { By = by });
            foreach (var o in all) s.Add(o);
            return s;
        }

        /// <summary>A week of normal traffic to Gmail: 99 sent and 1 bounce (userunknown) a day, and 2 deferrals.</summary>
        private static IEnumerable<DeliveryObservation> NormalWeek() =>
            Enumerable.Range(0, 7).SelectMany(d => Many(d, 99, "sent").Concat(Many(d, 1, "bounced", "userunknown", hard: true)).Concat(Many(d, 2, "deferred", "toomanyconn")));

        [Fact]
        public void Counts_and_rates_per_day_follow_the_documented_formulas()
        {
            var s = Stats(Many(0, 90, "sent").Concat(Many(0, 6, "bounced", "userunknown", hard: true)).Concat(Many(0, 4, "expired", "expired"))
                .Concat(Many(0, 25, "deferred", "toomanyconn")).Concat(Many(1, 10, "sent")));
            var rows = s.Rows();
            Assert.Equal(new[] { "2026-11-01", "2026-11-02" }, rows.Select(r => r.Key));
            var d = rows[0];
            Assert.Equal(125, d.Attempts);
            Assert.Equal(90, d.Sent);
            Assert.Equal(25, d.Deferred);
            Assert.Equal(6, d.Bounced);
            Assert.Equal(4, d.Expired);
            Assert.Equal(6, d.HardBounces);
            Assert.Equal(10.0, d.BounceRate);     // (6 + 4) / (90 + 6 + 4)
            Assert.Equal(20.0, d.DeferralRate);   // 25 / 125
            Assert.Equal("toomanyconn", d.TopReason);
            Assert.Equal("toomanyconn 25; userunknown 6; expired 4", d.TopReasons);
            Assert.Equal(Day0, d.Period);
        }

        [Fact]
        public void Providers_come_from_the_MX_host_not_only_the_recipient_domain()
        {
            // A Google Workspace domain (its MX is Google's) counts as Gmail; an unknown domain counts under its own name.
            var s = Stats(Many(0, 3, "sent", to: "a@gmail.com").Concat(Many(0, 2, "sent", to: "b@company.example", relay: "aspmx.l.google.com"))
                .Concat(Many(0, 4, "sent", to: "c@example.org", relay: "mx.example.org"))
                .Concat(Many(0, 1, "sent", to: "d@corp.example", relay: "corp-example.mail.protection.outlook.com")), DeliveryStatGrouping.Provider);
            var rows = s.Rows().ToDictionary(r => r.Key, r => r.Attempts);
            Assert.Equal(5, rows["Gmail"]);
            Assert.Equal(4, rows["example.org"]);
            Assert.Equal(1, rows["Microsoft"]);
            var byDomain = Stats(Many(0, 3, "sent", to: "a@gmail.com").Concat(Many(0, 2, "sent", to: "b@Company.example", relay: "aspmx.l.google.com")), DeliveryStatGrouping.Domain)
                .Rows().Select(r => r.Key).ToList();
            Assert.Equal(new[] { "gmail.com", "company.example" }, byDomain);
        }

        [Fact]
        public void By_reason_counts_failures_only_and_rates_are_shares_of_all()
        {
            var rows = Stats(Many(0, 90, "sent").Concat(Many(0, 10, "bounced", "blocked")).Concat(Many(0, 20, "deferred", "toomanyconn")), DeliveryStatGrouping.Reason).Rows();
            Assert.Equal(new[] { "toomanyconn", "blocked" }, rows.Select(r => r.Key));
            Assert.Equal(10.0, rows[1].BounceRate); // 10 of 100 final outcomes
            Assert.Equal(16.67, rows[0].DeferralRate); // 20 of 120 attempts
            Assert.Equal("Get-DnsblListing", rows[1].RemedyCommand);
        }

        [Fact]
        public void A_bounce_spike_against_the_trailing_week_is_found_with_its_dominant_reason_and_remedy()
        {
            var day7 = Many(7, 80, "sent").Concat(Many(7, 15, "bounced", "spamdetected")).Concat(Many(7, 5, "bounced", "userunknown", hard: true));
            var f = Stats(NormalWeek().Concat(day7)).Findings();
            var spike = Assert.Single(f);
            Assert.Equal("BounceSpike", spike.Kind);
            Assert.Equal("Gmail", spike.Provider);
            Assert.Equal("2026-11-08", spike.PeriodText);
            Assert.Equal(20.0, spike.Rate);
            Assert.Equal(1.0, spike.BaselineRate);
            Assert.Equal(20, spike.Count);
            Assert.Equal("spamdetected", spike.Reason);
            Assert.Equal("Test-MailDmarc", spike.RemedyCommand);
            Assert.Contains("20% (20 of 100) against 1% over the previous 7 day(s); mostly spamdetected", spike.Message);
        }

        [Fact]
        public void A_deferral_spike_is_found_too()
        {
            var day7 = Many(7, 70, "sent").Concat(Many(7, 30, "deferred", "speeding"));
            var spike = Assert.Single(Stats(NormalWeek().Concat(day7)).Findings());
            Assert.Equal("DeferralSpike", spike.Kind);
            Assert.Equal(30.0, spike.Rate);
            Assert.Equal(1.96, spike.BaselineRate); // 14 of 714 attempts
            Assert.Equal("speeding", spike.Reason);
        }

        [Theory]
        // 1 bounce of 2: below the minimum volume.
        [InlineData(1, 1, 0)]
        // 2 bounces of 40 (5%): 5x the baseline but fewer than 3 failures.
        [InlineData(38, 2, 0)]
        // 2.5% against 1%: 2.5x the baseline, under 3x.
        [InlineData(195, 5, 0)]
        // 3 of 100 (3%) against 1%: 3x but only 2 points: the rule is >= on both, so this is a spike.
        [InlineData(97, 3, 1)]
        public void The_spike_rule_needs_volume_failures_factor_and_points(int sent, int bounced, int expected)
        {
            var f = Stats(NormalWeek().Concat(Many(7, sent, "sent")).Concat(Many(7, bounced, "bounced", "mailboxfull"))).Findings();
            Assert.Equal(expected, f.Count);
        }

        [Fact]
        public void A_small_rise_over_a_busy_baseline_is_no_spike_and_no_baseline_means_no_judgement()
        {
            // 2.9 points but only 2x.
            var f = Stats(Enumerable.Range(0, 7).SelectMany(d => Many(d, 97, "sent").Concat(Many(d, 3, "bounced", "mailboxfull")))
                .Concat(Many(7, 94, "sent")).Concat(Many(7, 6, "bounced", "mailboxfull"))).Findings();
            Assert.Empty(f);
            // The first day of a log has no baseline: high rates alone are not a spike (blocks still are findings).
            Assert.Empty(Stats(Many(0, 50, "sent").Concat(Many(0, 50, "bounced", "mailboxfull"))).Findings());
        }

        [Fact]
        public void Blocks_are_findings_at_any_volume_and_name_the_blocklist()
        {
            var f = Stats(Many(0, 1, "bounced", "blocked", blocklist: "Spamhaus").Concat(Many(0, 1, "sent"))).Findings();
            var block = Assert.Single(f);
            Assert.Equal("Block", block.Kind);
            Assert.Equal("Spamhaus", block.Blocklist);
            Assert.Equal("blocked", block.Reason);
            Assert.Equal("Get-DnsblListing", block.RemedyCommand);
            Assert.Contains("1 of 2 attempt(s) refused for the sender (blocked 1), blocklist Spamhaus", block.Message);
        }

        [Fact]
        public void Hourly_grouping_uses_hours_for_periods_and_baselines()
        {
            var baseline = Enumerable.Range(0, 7).SelectMany(h => Enumerable.Range(0, 50).Select(i =>
                new DeliveryObservation(Day0.AddHours(h).AddSeconds(i), "u@gmail.com", i == 0 ? "deferred" : "sent", "toomanyconn")));
            var spike = Enumerable.Range(0, 50).Select(i => new DeliveryObservation(Day0.AddHours(7).AddSeconds(i), "u@gmail.com", i < 10 ? "deferred" : "sent", "toomanyconn"));
            var s = Stats(baseline.Concat(spike), DeliveryStatGrouping.Hour);
            Assert.Equal(8, s.Rows().Count);
            Assert.Equal("2026-11-01 07:00", s.Rows()[7].Key);
            var f = Assert.Single(s.Findings());
            Assert.Equal("DeferralSpike", f.Kind);
            Assert.Contains("previous 7 hour(s)", f.Message);
        }

        [Fact]
        public void Records_from_the_log_reader_feed_the_statistics()
        {
            var reader = new PostfixLogReader(new MailLogReadOptions { YearReference = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero) });
            var s = new DeliveryStatistics(new DeliveryStatOptions { By = DeliveryStatGrouping.Provider });
            foreach (var r in reader.ReadFile(Paths.Fixture("maillog", "mail.log"))) s.Add(DeliveryObservation.From(r));
            // pflogsumm's totals on this file: delivered 2, deferrals 2, bounced 3 (PostfixLogReaderTests).
            Assert.Equal(2, s.Total.Sent);
            Assert.Equal(2, s.Total.Deferred);
            Assert.Equal(3, s.Total.Bounced);
        }

        [Fact]
        public void Memory_stays_with_the_groups_not_the_records()
        {
            var s = new DeliveryStatistics();
            for (int i = 0; i < 200_000; i++) s.Add(new DeliveryObservation(Day0.AddSeconds(i), "u@gmail.com", i % 10 == 0 ? "deferred" : "sent", "toomanyconn"));
            Assert.Equal(200_000, s.Count);
            Assert.Equal(3, s.Rows().Count); // 200,000 s is 2.3 days
        }

        [Fact]
        public void Unknown_statuses_are_not_counted()
        {
            var s = new DeliveryStatistics();
            Assert.False(s.Add(new DeliveryObservation(Day0, "a@b.example", "auto-replied")));
            Assert.True(s.Add(new DeliveryObservation(Day0, "a@b.example", "Delivered")));
            Assert.Equal(1, s.Count);
        }
    }
}
