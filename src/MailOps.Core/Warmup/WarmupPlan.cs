using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace MailOps.Warmup
{
    /// <summary>One day of a warm-up plan for one provider ("All" = every recipient together).</summary>
    public sealed class WarmupPlanDay
    {
        public WarmupPlanDay(int day, DateTime date, string? provider, int maxMessages, string? guidance = null)
        {
            if (day < 1) throw new ArgumentOutOfRangeException(nameof(day), "Days count from 1.");
            if (maxMessages < 0) throw new ArgumentOutOfRangeException(nameof(maxMessages), "A maximum cannot be negative.");
            Day = day;
            DateValue = date.Date;
            Week = (day - 1) / 7 + 1;
            Provider = Strings.IsNullOrWhiteSpace(provider) ? WarmupPlanner.All : provider.Trim();
            MaxMessages = maxMessages;
            Guidance = guidance;
        }

        /// <summary>1 for the first day.</summary>
        public int Day { get; }
        /// <summary>The calendar date, yyyy-MM-dd (text, so that Export-Csv and JSON carry it unchanged in every culture).</summary>
        public string Date => DateValue.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        internal DateTime DateValue { get; }
        public int Week { get; }
        /// <summary>"All" for the day's total, else a provider as the classifier names it (Gmail, Microsoft, Yahoo/AOL, ...).</summary>
        public string Provider { get; }
        /// <summary>The most messages to send that day (to that provider).</summary>
        public int MaxMessages { get; }
        /// <summary>Who to send to and what to watch that day.</summary>
        public string? Guidance { get; }

        public override string ToString() => $"Day {Day} {Date} {Provider}: {MaxMessages}";
    }

    /// <summary>A warm-up plan: the days, and the rules that go with them.</summary>
    public sealed class WarmupPlan
    {
        internal WarmupPlan(DateTime start, int target, int days, IReadOnlyList<string> providers, IReadOnlyList<string> rules, IReadOnlyList<WarmupPlanDay> plan)
        {
            StartDate = start.Date;
            TargetDailyVolume = target;
            Days = days;
            Providers = providers;
            Rules = rules;
            Plan = plan;
        }

        public DateTime StartDate { get; }
        public int TargetDailyVolume { get; }
        public int Days { get; }
        public IReadOnlyList<string> Providers { get; }
        public IReadOnlyList<string> Rules { get; }
        public IReadOnlyList<WarmupPlanDay> Plan { get; }

        /// <summary>True when the last day's overall maximum reaches the target (growth is capped at double per day).</summary>
        public bool ReachesTarget => Plan.Where(p => p.Provider == WarmupPlanner.All).Select(p => p.MaxMessages).DefaultIfEmpty(0).Max() >= TargetDailyVolume;

        /// <summary>The plan entry for a date and provider, or null.</summary>
        public WarmupPlanDay Find(DateTime date, string provider) =>
            Plan.FirstOrDefault(p => p.DateValue == date.Date && string.Equals(p.Provider, provider, StringComparison.OrdinalIgnoreCase));

        /// <summary>A plan from its days alone (objects from New-MailWarmupPlan or rows from Import-Csv of them).</summary>
        public static WarmupPlan FromDays(IEnumerable<WarmupPlanDay> days)
        {
            var list = days.OrderBy(d => d.DateValue).ThenBy(d => d.Provider == WarmupPlanner.All ? 0 : 1).ThenBy(d => d.Provider, StringComparer.OrdinalIgnoreCase).ToList();
            if (list.Count == 0) throw new FormatException("The plan has no days.");
            var dup = list.GroupBy(d => (d.DateValue, d.Provider.ToLowerInvariant())).FirstOrDefault(g => g.Count() > 1);
            if (dup != null) throw new FormatException($"The plan has {dup.Key.DateValue:yyyy-MM-dd} {dup.First().Provider} twice.");
            var all = list.Where(d => d.Provider == WarmupPlanner.All).ToList();
            return new WarmupPlan(list[0].DateValue, all.Count > 0 ? all.Max(d => d.MaxMessages) : list.Max(d => d.MaxMessages),
                list.Max(d => d.Day), list.Select(d => d.Provider).Where(p => p != WarmupPlanner.All).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                WarmupPlanner.StandardRules, list);
        }

        // ---- JSON -------------------------------------------------------------------------------------------------------

        /// <summary>The plan as JSON (the file New-MailWarmupPlan -Path writes and Test-MailWarmup -Plan reads).</summary>
        public string ToJson()
        {
            var sb = new StringBuilder();
            sb.Append("{\n  \"mailopsWarmupPlan\": 1,\n");
            sb.Append("  \"startDate\": ").Append(Str(StartDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))).Append(",\n");
            sb.Append("  \"targetDailyVolume\": ").Append(TargetDailyVolume.ToString(CultureInfo.InvariantCulture)).Append(",\n");
            sb.Append("  \"days\": ").Append(Days.ToString(CultureInfo.InvariantCulture)).Append(",\n");
            sb.Append("  \"providers\": [").Append(string.Join(", ", Providers.Select(Str))).Append("],\n");
            sb.Append("  \"rules\": [\n").Append(string.Join(",\n", Rules.Select(r => "    " + Str(r)))).Append("\n  ],\n");
            sb.Append("  \"plan\": [\n");
            sb.Append(string.Join(",\n", Plan.Select(p => string.Format(CultureInfo.InvariantCulture,
                "    {{ \"day\": {0}, \"date\": {1}, \"week\": {2}, \"provider\": {3}, \"maxMessages\": {4}, \"guidance\": {5} }}",
                p.Day, Str(p.Date), p.Week, Str(p.Provider), p.MaxMessages, p.Guidance == null ? "null" : Str(p.Guidance)))));
            sb.Append("\n  ]\n}\n");
            return sb.ToString();
        }

        private static string Str(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }

        /// <summary>Reads a plan file written by <see cref="ToJson"/> (at most 4 MiB). FormatException says what is wrong.</summary>
        public static WarmupPlan ParseJson(TextReader reader)
        {
            var root = MiniJson.Parse(reader, new JsonLimits { MaxValues = 200_000, MaxStringChars = 64 * 1024 }) as Dictionary<string, object>;
            if (root == null || !root.ContainsKey("mailopsWarmupPlan") || !(root.TryGetValue("plan", out var p) && p is List<object> items))
                throw new FormatException("it is not a MailOps warm-up plan (no \"mailopsWarmupPlan\" and \"plan\" members)");
            var days = new List<WarmupPlanDay>();
            int i = 0;
            foreach (var item in items)
            {
                i++;
                if (!(item is Dictionary<string, object> d)) throw new FormatException($"plan entry {i} is not an object");
                if (!(d.TryGetValue("day", out var dayV) && dayV is long day && day >= 1 && day <= 10_000))
                    throw new FormatException($"plan entry {i} has no valid \"day\"");
                if (!(d.TryGetValue("date", out var dateV) && dateV is string ds &&
                      DateTime.TryParseExact(ds, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)))
                    throw new FormatException($"plan entry {i} has no valid \"date\" (yyyy-MM-dd)");
                if (!(d.TryGetValue("maxMessages", out var maxV) && maxV is long max && max >= 0 && max <= int.MaxValue))
                    throw new FormatException($"plan entry {i} has no valid \"maxMessages\"");
                d.TryGetValue("provider", out var prov);
                d.TryGetValue("guidance", out var guidance);
                days.Add(new WarmupPlanDay((int)day, date, prov as string, (int)max, guidance as string));
            }
            var plan = FromDays(days);
            var rules = root.TryGetValue("rules", out var r) && r is List<object> rl ? rl.OfType<string>().ToList() : null;
            var target = root.TryGetValue("targetDailyVolume", out var t) && t is long tl && tl > 0 && tl <= int.MaxValue ? (int)tl : plan.TargetDailyVolume;
            return new WarmupPlan(plan.StartDate, target, plan.Days, plan.Providers, rules != null && rules.Count > 0 ? rules : plan.Rules, plan.Plan);
        }
    }

    /// <summary>
    /// Builds warm-up plans for a new sending IP (docs/monitoring.md, "Warm-up"): week 1 grows from 20 to 50 messages a day,
    /// week 2 from about 60 to 150 (about 100 a day), then geometric growth to the target on the last day, never more than
    /// double from one day to the next. Each large provider gets its own ramp: at most half of the day's total once the
    /// total passes 40, so no single provider sees your new IP's whole volume.
    /// </summary>
    public static class WarmupPlanner
    {
        public const string All = "All";
        public const int StartVolume = 20;
        public const int MinDays = 14;
        public const int MaxDays = 180;
        /// <summary>Once the day's total passes 2 × StartVolume, one provider gets at most this share of it.</summary>
        public const double ProviderShare = 0.5;
        /// <summary>Hold thresholds (Test-MailWarmup), percent.</summary>
        public const double HoldDeferralRate = 5.0, HoldBounceRate = 3.0;

        /// <summary>The large providers planned by default.</summary>
        public static readonly IReadOnlyList<string> DefaultProviders = new[] { "Gmail", "Microsoft", "Yahoo/AOL" };

        public static readonly IReadOnlyList<string> StandardRules = new[]
        {
            "Before day 1: PTR (forward-confirmed), SPF, DKIM and DMARC are in place for the sending IP and domain (Test-MailPtr, Test-MailDomain).",
            "Send to engaged recipients first: people who will open and reply (recent correspondents, those who opened or clicked in the last 30 days). No old, bought or scraped lists during warm-up.",
            "Never send more than the day's maximum, overall or to one provider; spread the day's mail over working hours rather than in one burst.",
            "Hold when a provider's deferral rate reaches 5% or its bounce rate 3% for a day (at least 2 such failures): send no more than that day's volume to it until the rate falls (Test-MailWarmup verdict Hold).",
            "Step back when blocks appear (blocked, badreputation, requireptr or authfailure replies): fix the cause first (Get-DnsblListing, Test-MailPtr, Test-MailSpf/Test-MailDkim/Test-MailDmarc), then send half the previous day's volume to that provider and climb again (verdict StepBack).",
            "Remove hard bounces (unknown users, domains without mail) at once; they count against you at every provider.",
        };

        /// <summary>The day's overall maximum for each day 1..days.</summary>
        public static int[] Curve(int target, int days)
        {
            if (days < MinDays || days > MaxDays) throw new ArgumentOutOfRangeException(nameof(days), $"A warm-up takes {MinDays} to {MaxDays} days.");
            if (target < 1) throw new ArgumentOutOfRangeException(nameof(target), "The target must be at least 1 message a day.");
            var v = new double[days + 1];
            for (int d = 1; d <= days; d++)
            {
                if (d <= 7) v[d] = 20 * Math.Pow(50.0 / 20, (d - 1) / 6.0);
                else if (d <= 14) v[d] = 50 * Math.Pow(3.0, (d - 7) / 7.0);
                else
                {
                    var rest = days - 14;
                    var factor = Math.Min(2.0, Math.Pow(Math.Max(1.0, target / 150.0), 1.0 / rest));
                    v[d] = v[d - 1] * factor;
                }
            }
            var result = new int[days];
            int last = 0;
            for (int d = 1; d <= days; d++)
            {
                var x = (int)Math.Min(target, Math.Round(v[d], MidpointRounding.AwayFromZero));
                if (d == days && days > 14 && v[d] >= target * 0.999) x = target; // rounding of the geometric steps
                last = Math.Max(last, x);
                result[d - 1] = last;
            }
            return result;
        }

        /// <summary>The per-provider maximum for a day whose overall maximum is <paramref name="overall"/>.</summary>
        public static int ProviderMax(int overall) =>
            overall <= 2 * StartVolume ? overall : Math.Max(StartVolume, (int)Math.Ceiling(overall * ProviderShare));

        public static WarmupPlan Build(DateTime startDate, int targetDailyVolume, int days = 28, IEnumerable<string>? providers = null)
        {
            var curve = Curve(targetDailyVolume, days);
            var provs = (providers ?? DefaultProviders).Where(p => !Strings.IsNullOrWhiteSpace(p)).Select(p => p.Trim())
                .Where(p => !string.Equals(p, All, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var list = new List<WarmupPlanDay>();
            for (int d = 1; d <= days; d++)
            {
                var date = startDate.Date.AddDays(d - 1);
                var guidance = Guidance(d, days, curve[d - 1], targetDailyVolume);
                list.Add(new WarmupPlanDay(d, date, All, curve[d - 1], guidance));
                foreach (var p in provs)
                    list.Add(new WarmupPlanDay(d, date, p, ProviderMax(curve[d - 1]), guidance));
            }
            return new WarmupPlan(startDate, targetDailyVolume, days, provs, StandardRules, list);
        }

        private static string Guidance(int day, int days, int max, int target)
        {
            if (day <= 7)
                return "Week 1: only recipients who know you and will reply. Check Test-MailWarmup every evening; any block means stop and fix.";
            if (day <= 14)
                return "Week 2: engaged recipients only (opened or replied in the last 30 days). Hold at the first rise in deferrals.";
            if (max >= target)
                return "At the target: keep the volume steady and keep watching deferrals and bounces (Get-MailDeliveryStat).";
            return day == days
                ? "Last planned day, below the target: keep growing by at most double a day while the rates stay low."
                : "Grow only while each provider's deferral rate stays under 5% and bounce rate under 3%; most engaged recipients first.";
        }
    }
}
