using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MailOps.Logs;
using MailOps.Warmup;
using Xunit;

namespace MailOps.Core.Tests.Warmup
{
    public sealed class WarmupTests
    {
        private static readonly DateTime Start = new DateTime(2026, 12, 1);

        [Theory]
        [InlineData(5000, 28)]
        [InlineData(2000, 21)]
        [InlineData(100000, 42)]
        public void The_curve_starts_at_20_is_about_100_in_week_2_and_reaches_the_target_on_the_last_day(int target, int days)
        {
            var c = WarmupPlanner.Curve(target, days);
            Assert.Equal(days, c.Length);
            Assert.Equal(20, c[0]);
            Assert.Equal(50, c[6]);
            Assert.InRange(c.Skip(7).Take(7).Average(), 90, 110);
            Assert.Equal(target, c[days - 1]);
            for (int i = 1; i < c.Length; i++)
            {
                Assert.True(c[i] >= c[i - 1], $"day {i + 1} below day {i}");
                Assert.True(c[i] <= 2 * c[i - 1] + 1, $"day {i + 1} more than double day {i}");
            }
        }

        [Fact]
        public void A_small_target_caps_the_curve_and_an_unreachable_one_is_said_so()
        {
            var small = WarmupPlanner.Curve(60, 14);
            Assert.Equal(60, small.Max());
            Assert.Equal(20, small[0]);
            // 1,000,000 a day after 14 days of ramp plus 2 more: growth is capped at double a day.
            var plan = WarmupPlanner.Build(Start, 1_000_000, 16);
            Assert.False(plan.ReachesTarget);
            Assert.Equal(600, plan.Plan.Last(p => p.Provider == "All").MaxMessages);
            Assert.True(WarmupPlanner.Build(Start, 5000, 28).ReachesTarget);
            Assert.Throws<ArgumentOutOfRangeException>(() => WarmupPlanner.Curve(5000, 7));
        }

        [Fact]
        public void Each_large_provider_gets_its_own_ramp_of_at_most_half_the_day_once_past_40()
        {
            var plan = WarmupPlanner.Build(Start, 5000, 28);
            Assert.Equal(new[] { "Gmail", "Microsoft", "Yahoo/AOL" }, plan.Providers);
            Assert.Equal(28 * 4, plan.Plan.Count);
            var day1 = plan.Plan.Where(p => p.Day == 1).ToList();
            Assert.Equal(new[] { "All", "Gmail", "Microsoft", "Yahoo/AOL" }, day1.Select(p => p.Provider));
            Assert.All(day1, p => Assert.Equal(20, p.MaxMessages));
            Assert.Equal("2026-12-01", day1[0].Date);
            Assert.Equal(1, day1[0].Week);
            var last = plan.Plan.Where(p => p.Day == 28).ToList();
            Assert.Equal(5000, last[0].MaxMessages);
            Assert.Equal(2500, last[1].MaxMessages);
            Assert.Equal(4, last[0].Week);
            Assert.Contains("Week 1", day1[0].Guidance);
            Assert.Contains(plan.Rules, r => r.Contains("engaged recipients first"));
            Assert.Contains(plan.Rules, r => r.StartsWith("Hold", StringComparison.Ordinal));
            Assert.Contains(plan.Rules, r => r.StartsWith("Step back", StringComparison.Ordinal));
        }

        [Fact]
        public void The_JSON_file_round_trips_and_bad_files_say_what_is_wrong()
        {
            var plan = WarmupPlanner.Build(Start, 3000, 21, new[] { "Gmail", "GMX/Web.de" });
            var json = plan.ToJson();
            var back = WarmupPlan.ParseJson(new StringReader(json));
            Assert.Equal(plan.Plan.Select(p => p.ToString()), back.Plan.Select(p => p.ToString()));
            Assert.Equal(plan.Plan.Select(p => p.Guidance), back.Plan.Select(p => p.Guidance));
            Assert.Equal(3000, back.TargetDailyVolume);
            Assert.Equal(new[] { "Gmail", "GMX/Web.de" }, back.Providers);
            Assert.Equal(plan.Rules, back.Rules);
            Assert.Equal(Start, back.StartDate);

            Assert.Contains("not a MailOps warm-up plan", Assert.Throws<FormatException>(() => WarmupPlan.ParseJson(new StringReader("{\"a\":1}"))).Message);
            Assert.Contains("plan entry 1 has no valid \"date\"", Assert.Throws<FormatException>(() =>
                WarmupPlan.ParseJson(new StringReader("{\"mailopsWarmupPlan\":1,\"plan\":[{\"day\":1,\"date\":\"01/12/2026\",\"maxMessages\":20}]}"))).Message);
            Assert.Contains("twice", Assert.Throws<FormatException>(() =>
                WarmupPlan.ParseJson(new StringReader("{\"mailopsWarmupPlan\":1,\"plan\":[{\"day\":1,\"date\":\"2026-12-01\",\"maxMessages\":20},{\"day\":1,\"date\":\"2026-12-01\",\"maxMessages\":30}]}"))).Message);
            Assert.ThrowsAny<FormatException>(() => WarmupPlan.ParseJson(new StringReader("{\"mailopsWarmupPlan\":1,\"plan\":[")));
        }

        private static IEnumerable<DeliveryObservation> On(int day, int n, string status, string to = "u@gmail.com", string? reason = null, string? blocklist = null) =>
            Enumerable.Range(0, n).Select(i => new DeliveryObservation(new DateTimeOffset(Start.AddDays(day - 1).AddHours(9).AddMinutes(i)), to, status, reason, null, null, false, blocklist));

        private static IReadOnlyList<WarmupDayResult> Track(WarmupPlan plan, IEnumerable<DeliveryObservation> obs)
        {
            var t = new WarmupTracker(plan);
            foreach (var o in obs) t.Add(o);
            return t.Results();
        }

        [Fact]
        public void Verdicts_per_day_and_provider_OnTrack_OverPlan_Hold_StepBack()
        {
            var plan = WarmupPlanner.Build(Start, 5000, 28, new[] { "Gmail" });
            var obs = On(1, 15, "sent").Concat(On(1, 3, "sent", "x@example.org"))            // day 1: 18 of 20: on track
                .Concat(On(2, 30, "sent", "x@example.org"))                                     // day 2: 30 of 23 overall: over plan; Gmail 0
                .Concat(On(3, 18, "sent")).Concat(On(3, 2, "deferred", reason: "toomanyconn"))    // day 3: 10% deferred at Gmail: hold
                .Concat(On(4, 10, "sent")).Concat(On(4, 1, "bounced", reason: "blocked", blocklist: "Spamhaus")); // day 4: a block: step back
            var r = Track(plan, obs).ToDictionary(x => (x.Day, x.Provider), x => x);
            Assert.Equal(8, r.Count); // days 1-4 (the last day in the log), All and Gmail
            Assert.Equal("OnTrack", r[(1, "All")].Verdict);
            Assert.Equal(18, r[(1, "All")].Sent);
            Assert.Equal(15, r[(1, "Gmail")].Sent);
            Assert.Contains("at most 23 overall the next day", r[(1, "All")].NextStep);
            Assert.Equal("OverPlan", r[(2, "All")].Verdict);
            Assert.Contains("Sent 30 overall against a maximum of 23", r[(2, "All")].Reason);
            Assert.Equal("OnTrack", r[(2, "Gmail")].Verdict);
            Assert.Equal("Nothing sent.", r[(2, "Gmail")].Reason);
            Assert.Equal("Hold", r[(3, "Gmail")].Verdict);
            Assert.Equal(10.0, r[(3, "Gmail")].DeferralRate);
            Assert.Contains("Deferral rate 10% (2 of 20, mostly toomanyconn) to Gmail", r[(3, "Gmail")].Reason);
            Assert.Contains("send no more than 18 to Gmail the next day (not the planned", r[(3, "Gmail")].NextStep);
            Assert.Equal("StepBack", r[(4, "Gmail")].Verdict);
            Assert.Equal("StepBack", r[(4, "All")].Verdict);
            Assert.Contains("blocked, Spamhaus", r[(4, "Gmail")].Reason);
            Assert.Contains("at most 5 to Gmail the next day", r[(4, "Gmail")].NextStep);
            Assert.Equal("Get-DnsblListing", r[(4, "Gmail")].RemedyCommand);
        }

        [Fact]
        public void One_deferral_of_a_handful_is_no_hold_and_mail_outside_the_plan_is_not_counted()
        {
            var plan = WarmupPlanner.Build(Start, 5000, 28, new[] { "Gmail" });
            var t = new WarmupTracker(plan);
            foreach (var o in On(1, 4, "sent").Concat(On(1, 1, "deferred", reason: "toomanyconn")).Concat(On(0, 5, "sent")).Concat(On(40, 5, "sent"))) t.Add(o);
            Assert.Equal(10, t.Outside);
            Assert.All(t.Results(), x => Assert.Equal("OnTrack", x.Verdict));
        }
    }
}
