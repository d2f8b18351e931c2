using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MailOps.Bounces;
using MailOps.Logs;

namespace MailOps.Warmup
{
    /// <summary>OnTrack, OverPlan, Hold or StepBack (docs/monitoring.md, "Warm-up verdicts").</summary>
    public enum WarmupVerdict
    {
        /// <summary>Within the plan and the rates are low: go on.</summary>
        OnTrack,
        /// <summary>More was sent than the day's maximum.</summary>
        OverPlan,
        /// <summary>Deferral or bounce rate too high: do not grow.</summary>
        Hold,
        /// <summary>Blocks seen: fix the cause and send less.</summary>
        StepBack,
    }

    /// <summary>One day and provider of a warm-up, actual against plan.</summary>
    public sealed class WarmupDayResult
    {
        internal WarmupDayResult(WarmupPlanDay plan, DeliveryCounts c, WarmupVerdict verdict, string reason, string nextStep, string? remedyCommand)
        {
            Day = plan.Day;
            Date = plan.Date;
            Provider = plan.Provider;
            Planned = plan.MaxMessages;
            Sent = c.Sent;
            Deferred = c.Deferred;
            Bounced = c.Bounced + c.Expired;
            Blocks = c.Blocks;
            DeferralRate = MailDeliveryStat.Percent(c.Deferred, c.Attempts);
            BounceRate = MailDeliveryStat.Percent(c.Failed, c.Final);
            Verdict = verdict.ToString();
            Reason = reason;
            NextStep = nextStep;
            RemedyCommand = remedyCommand;
        }

        public int Day { get; }
        /// <summary>yyyy-MM-dd.</summary>
        public string Date { get; }
        public string Provider { get; }
        /// <summary>The plan's maximum for the day.</summary>
        public int Planned { get; }
        public long Sent { get; }
        public long Deferred { get; }
        /// <summary>Bounced and expired.</summary>
        public long Bounced { get; }
        public long Blocks { get; }
        /// <summary>Percent of attempts deferred.</summary>
        public double DeferralRate { get; }
        /// <summary>Percent of final outcomes that failed.</summary>
        public double BounceRate { get; }
        /// <summary>OnTrack, OverPlan, Hold or StepBack.</summary>
        public string Verdict { get; }
        /// <summary>Why the verdict.</summary>
        public string Reason { get; }
        /// <summary>What to do next.</summary>
        public string NextStep { get; }
        /// <summary>The MailOps command that proves or fixes a block, if any.</summary>
        public string? RemedyCommand { get; }

        public override string ToString() => $"{Date} {Provider}: {Sent}/{Planned} {Verdict}";
    }

    /// <summary>Counts delivery observations per plan day and provider (counts only) and judges each day.</summary>
    public sealed class WarmupTracker
    {
        private readonly WarmupPlan _plan;
        private readonly DeliveryStatistics _providers = new DeliveryStatistics();
        private readonly Dictionary<(DateTime, string), DeliveryCounts> _counts = new Dictionary<(DateTime, string), DeliveryCounts>();
        private DateTime? _lastDate;

        private readonly HashSet<DateTime> _dates;
        private readonly HashSet<string> _planned;

        public WarmupTracker(WarmupPlan plan)
        {
            _plan = plan ?? throw new ArgumentNullException(nameof(plan));
            _dates = new HashSet<DateTime>(plan.Plan.Select(p => p.DateValue));
            _planned = new HashSet<string>(plan.Providers, StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>Observations outside the plan's dates, or without a time (not counted).</summary>
        public long Outside { get; private set; }

        /// <summary>Counts one observation; false when it is outside the plan (or has no status or time).</summary>
        public bool Add(DeliveryObservation o)
        {
            if (o == null || o.Status == null) return false;
            if (!o.Time.HasValue) { Outside++; return false; }
            var date = o.Time.Value.Date;
            if (!_dates.Contains(date)) { Outside++; return false; }
            Count(date, WarmupPlanner.All, o);
            var provider = _providers.ProviderOf(o);
            if (_planned.Contains(provider)) Count(date, provider, o);
            if (!_lastDate.HasValue || date > _lastDate) _lastDate = date;
            return true;
        }

        private void Count(DateTime date, string provider, DeliveryObservation o)
        {
            var key = (date, provider.ToLowerInvariant());
            if (!_counts.TryGetValue(key, out var c)) _counts[key] = c = new DeliveryCounts();
            c.Add(o);
        }

        /// <summary>One result per plan day and provider, from the first plan day to the last day seen in the log.</summary>
        public IReadOnlyList<WarmupDayResult> Results()
        {
            var results = new List<WarmupDayResult>();
            if (!_lastDate.HasValue) return results;
            foreach (var p in _plan.Plan.Where(p => p.DateValue <= _lastDate.Value))
            {
                _counts.TryGetValue((p.DateValue, p.Provider.ToLowerInvariant()), out var c);
                results.Add(Judge(p, c ?? new DeliveryCounts()));
            }
            return results;
        }

        private WarmupDayResult Judge(WarmupPlanDay p, DeliveryCounts c)
        {
            var next = _plan.Find(p.DateValue.AddDays(1), p.Provider);
            var nextMax = next?.MaxMessages;
            var deferral = MailDeliveryStat.Percent(c.Deferred, c.Attempts);
            var bounce = MailDeliveryStat.Percent(c.Failed, c.Final);
            var sentToday = c.Sent;
            var who = p.Provider == WarmupPlanner.All ? "overall" : "to " + p.Provider;
            if (c.Blocks > 0)
            {
                var reason = c.DominantBlockReason;
                var info = DeliveryFailureClassifier.GetReason(reason);
                var list = c.DominantBlocklist;
                var half = Math.Max(1, (int)Math.Ceiling(Math.Max(sentToday, 1) / 2.0));
                return new WarmupDayResult(p, c, WarmupVerdict.StepBack,
                    $"{c.Blocks} attempt(s) {who} refused for the sender ({reason}" + (list != null ? $", {list}" : "") + ").",
                    $"Stop growing. Fix the cause first ({(Strings.IsNullOrEmpty(info?.RemedyCommand) ? "see Remedy of the bounces" : info.RemedyCommand)}), then send at most {half} {who} the next day (half of {sentToday}) and climb again.",
                    Strings.IsNullOrEmpty(info?.RemedyCommand) ? null : info.RemedyCommand);
            }
            if ((deferral >= WarmupPlanner.HoldDeferralRate && c.Deferred >= 2) || (bounce >= WarmupPlanner.HoldBounceRate && c.Failed >= 2))
            {
                var which = deferral >= WarmupPlanner.HoldDeferralRate && c.Deferred >= 2
                    ? string.Format(CultureInfo.InvariantCulture, "deferral rate {0:0.##}% ({1} of {2}, mostly {3})", deferral, c.Deferred, c.Attempts, c.DominantDeferralReason)
                    : string.Format(CultureInfo.InvariantCulture, "bounce rate {0:0.##}% ({1} of {2}, mostly {3})", bounce, c.Failed, c.Final, c.DominantBounceReason);
                return new WarmupDayResult(p, c, WarmupVerdict.Hold, $"{Cap(which)} {who}: at or above the hold threshold ({WarmupPlanner.HoldDeferralRate}% deferred, {WarmupPlanner.HoldBounceRate}% bounced).",
                    $"Hold: send no more than {sentToday} {who} the next day" + (nextMax.HasValue ? $" (not the planned {nextMax})" : "") + " until the rate falls; remove hard bounces.", null);
            }
            if (sentToday > p.MaxMessages)
                return new WarmupDayResult(p, c, WarmupVerdict.OverPlan, $"Sent {sentToday} {who} against a maximum of {p.MaxMessages}.",
                    nextMax.HasValue ? $"Keep to the plan: at most {nextMax} {who} the next day; a new IP's reputation is built by steady growth." : "Keep to the plan's volume.", null);
            return new WarmupDayResult(p, c, WarmupVerdict.OnTrack,
                sentToday == 0 ? "Nothing sent." : string.Format(CultureInfo.InvariantCulture, "Sent {0} of {1}; deferrals {2:0.##}%, bounces {3:0.##}%.", sentToday, p.MaxMessages, deferral, bounce),
                nextMax.HasValue ? $"Go on: at most {nextMax} {who} the next day." : "The plan is done: keep the volume steady and keep watching (Get-MailDeliveryStat).", null);
        }

        private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1);
    }
}
