using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MailOps.Bounces;

namespace MailOps.Logs
{
    /// <summary>How Get-MailDeliveryStat groups its rows.</summary>
    public enum DeliveryStatGrouping
    {
        /// <summary>One row per calendar day (in the records' own time offset).</summary>
        Day,
        /// <summary>One row per hour.</summary>
        Hour,
        /// <summary>One row per mailbox provider (recognised from the MX/relay host, the reply text or the recipient domain).</summary>
        Provider,
        /// <summary>One row per recipient domain.</summary>
        Domain,
        /// <summary>One row per failure reason (deferrals and bounces only).</summary>
        Reason,
    }

    /// <summary>One delivery outcome as the statistics see it: from a Get-MailDeliveryLog record, an Import-MailBounce row,
    /// or built directly (tests, CSV round trips).</summary>
    public sealed class DeliveryObservation
    {
        public DeliveryObservation(DateTimeOffset? time, string? recipient, string status, string? reason = null, string? provider = null,
            string? relayHost = null, bool hardBounce = false, string? blocklist = null)
        {
            Time = time;
            Recipient = recipient;
            Status = NormaliseStatus(status);
            Reason = Strings.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
            Provider = Strings.IsNullOrWhiteSpace(provider) ? null : provider.Trim();
            RelayHost = Strings.IsNullOrWhiteSpace(relayHost) ? null : relayHost.Trim();
            HardBounce = hardBounce;
            Blocklist = Strings.IsNullOrWhiteSpace(blocklist) ? null : blocklist.Trim();
        }

        public DateTimeOffset? Time { get; }
        public string? Recipient { get; }
        /// <summary>sent, deferred, bounced or expired; null when the status is not one of these (the observation is not counted).</summary>
        public string? Status { get; }
        public string? Reason { get; }
        public string? Provider { get; }
        public string? RelayHost { get; }
        public bool HardBounce { get; }
        public string? Blocklist { get; }

        /// <summary>The recipient's domain, lower case, or null.</summary>
        public string? Domain
        {
            get
            {
                if (Strings.IsNullOrEmpty(Recipient)) return null;
                var at = Recipient.LastIndexOf('@');
                return at >= 0 && at < Recipient.Length - 1 ? Recipient.Substring(at + 1).Trim().TrimEnd('>', '.').ToLowerInvariant() : null;
            }
        }

        private static string? NormaliseStatus(string? status)
        {
            switch ((status ?? "").Trim().ToLowerInvariant())
            {
                case "sent": case "delivered": case "relayed": return "sent";
                case "deferred": case "delay": case "delayed": return "deferred";
                case "bounced": case "bounce": case "failed": return "bounced";
                case "expired": return "expired";
                default: return null;
            }
        }

        /// <summary>A Get-MailDeliveryLog record.</summary>
        public static DeliveryObservation From(MailDeliveryRecord r) =>
            new DeliveryObservation(r.Time, r.To, r.Status, r.Reason, r.Provider, r.RelayHost, r.HardBounce, r.Blocklist);

        /// <summary>An Import-MailBounce row: Bounce is bounced, Delay deferred, Delivered sent; auto-replies and feedback
        /// reports are not delivery outcomes (null).</summary>
        public static DeliveryObservation? From(BounceRecord b)
        {
            string status;
            switch (b.Kind)
            {
                case "Bounce": status = "bounced"; break;
                case "Delay": status = "deferred"; break;
                case "Delivered": status = "sent"; break;
                default: return null;
            }
            return new DeliveryObservation(b.Date, b.Recipient, status, b.Reason, b.Provider, b.RemoteMta, b.HardBounce, b.Blocklist);
        }
    }

    /// <summary>Options of the statistics and of spike detection (docs/monitoring.md, "Spike rule").</summary>
    public sealed class DeliveryStatOptions
    {
        public DeliveryStatGrouping By { get; set; } = DeliveryStatGrouping.Day;
        /// <summary>How many periods before a period form its baseline (days, or hours with -By Hour). Default 7.</summary>
        public int BaselinePeriods { get; set; } = 7;
        /// <summary>A spike is a rate at least this many times its baseline rate. Default 3.</summary>
        public double SpikeFactor { get; set; } = 3.0;
        /// <summary>... and at least this many percentage points above it. Default 2.</summary>
        public double SpikeMinPoints { get; set; } = 2.0;
        /// <summary>A period (and its baseline) needs at least this many attempts to the provider to be judged. Default 20.</summary>
        public int MinVolume { get; set; } = 20;
        /// <summary>A spike needs at least this many failures of its kind in the period. Default 3.</summary>
        public int MinFailures { get; set; } = 3;
    }

    /// <summary>Counts and rates of one group (a day, an hour, a provider, a domain or a reason).</summary>
    public sealed class MailDeliveryStat
    {
        internal MailDeliveryStat(DeliveryStatGrouping by, string key, DateTimeOffset? period, DeliveryCounts c, DeliveryCounts? share)
        {
            By = by.ToString();
            Key = key;
            Period = period;
            Attempts = c.Attempts;
            Sent = c.Sent;
            Deferred = c.Deferred;
            Bounced = c.Bounced;
            Expired = c.Expired;
            HardBounces = c.HardBounces;
            Blocks = c.Blocks;
            var basis = share ?? c;
            BounceRate = Percent(c.Bounced + c.Expired, basis.Final);
            DeferralRate = Percent(c.Deferred, basis.Attempts);
            var top = c.TopReasons(3);
            TopReason = top.Count > 0 ? top[0].Key : null;
            TopReasons = string.Join("; ", top.Select(t => $"{t.Key} {t.Value}"));
            var info = DeliveryFailureClassifier.GetReason(TopReason);
            Remedy = info?.Remedy;
            var command = info?.RemedyCommand;
            RemedyCommand = Strings.IsNullOrEmpty(command) ? null : command;
        }

        internal static double Percent(long part, long whole) => whole <= 0 ? 0 : Math.Round(100.0 * part / whole, 2);

        /// <summary>Day, Hour, Provider, Domain or Reason.</summary>
        public string By { get; }
        /// <summary>The group: "2026-11-02", "2026-11-02 10:00", "Gmail", "example.org", "blocked".</summary>
        public string Key { get; }
        /// <summary>The start of the day or hour (Day/Hour grouping), else null.</summary>
        public DateTimeOffset? Period { get; }
        /// <summary>Every attempt counted: sent + deferred + bounced + expired.</summary>
        public long Attempts { get; }
        public long Sent { get; }
        /// <summary>Deferred attempts (a message retried three times counts three).</summary>
        public long Deferred { get; }
        public long Bounced { get; }
        /// <summary>Messages returned after staying deferred until the queue lifetime ran out.</summary>
        public long Expired { get; }
        /// <summary>Bounces whose address is bad (remove it from the list).</summary>
        public long HardBounces { get; }
        /// <summary>Attempts refused for the sender's IP, reputation, rDNS or authentication (blocked, badreputation, requireptr, authfailure).</summary>
        public long Blocks { get; }
        /// <summary>Percent of final outcomes that failed: (bounced + expired) / (sent + bounced + expired). With -By Reason, this reason's share of all final outcomes.</summary>
        public double BounceRate { get; }
        /// <summary>Percent of attempts deferred: deferred / attempts. With -By Reason, this reason's share of all attempts.</summary>
        public double DeferralRate { get; }
        /// <summary>The most frequent failure reason.</summary>
        public string? TopReason { get; }
        /// <summary>Up to three failure reasons with their counts, most frequent first ("blocked 12; userunknown 3").</summary>
        public string TopReasons { get; }
        /// <summary>What to do about the top reason.</summary>
        public string? Remedy { get; }
        public string? RemedyCommand { get; }

        public override string ToString() =>
            string.Format(CultureInfo.InvariantCulture, "{0}: {1} attempts, {2} sent, {3} deferred, {4} bounced ({5}%)", Key, Attempts, Sent, Deferred, Bounced + Expired, BounceRate);
    }

    /// <summary>Something in the statistics that needs attention: a bounce or deferral spike for a provider, or blocks.</summary>
    public sealed class MailDeliveryFinding
    {
        internal MailDeliveryFinding(string kind, DateTimeOffset? period, string periodText, string provider, double? rate, double? baselineRate,
            long count, long total, string? reason, string? blocklist, string message)
        {
            Kind = kind;
            Period = period;
            PeriodText = periodText;
            Provider = provider;
            Rate = rate;
            BaselineRate = baselineRate;
            Count = count;
            Total = total;
            Reason = reason;
            Blocklist = blocklist;
            var info = DeliveryFailureClassifier.GetReason(reason);
            Remedy = info?.Remedy;
            RemedyCommand = Strings.IsNullOrEmpty(info?.RemedyCommand) ? null : info.RemedyCommand;
            Message = message;
        }

        /// <summary>BounceSpike, DeferralSpike or Block.</summary>
        public string Kind { get; }
        /// <summary>The start of the day or hour the finding is about.</summary>
        public DateTimeOffset? Period { get; }
        /// <summary>The period as text ("2026-11-02" or "2026-11-02 10:00"; "(no time)" for records without one).</summary>
        public string PeriodText { get; }
        public string Provider { get; }
        /// <summary>The period's rate in percent (spikes).</summary>
        public double? Rate { get; }
        /// <summary>The trailing baseline's rate in percent (spikes).</summary>
        public double? BaselineRate { get; }
        /// <summary>Failures of this kind in the period (bounces, deferrals, or blocked attempts).</summary>
        public long Count { get; }
        /// <summary>The period's attempts to the provider (spikes: the rate's denominator).</summary>
        public long Total { get; }
        /// <summary>The dominant reason of the failures.</summary>
        public string? Reason { get; }
        /// <summary>The blocklist named in the replies, if any (blocks).</summary>
        public string? Blocklist { get; }
        public string? Remedy { get; }
        public string? RemedyCommand { get; }
        public string Message { get; }

        public override string ToString() => Message;
    }

    /// <summary>Counters of one bucket. Only counts and per-reason tallies are kept, never the records.</summary>
    public sealed class DeliveryCounts
    {
        private Dictionary<string, long>? _failReasons, _deferReasons, _blockReasons, _blocklists;

        public long Sent { get; private set; }
        public long Deferred { get; private set; }
        public long Bounced { get; private set; }
        public long Expired { get; private set; }
        public long HardBounces { get; private set; }
        public long Blocks { get; private set; }
        public long Attempts => Sent + Deferred + Bounced + Expired;
        /// <summary>Final outcomes: sent, bounced, expired.</summary>
        public long Final => Sent + Bounced + Expired;
        public long Failed => Bounced + Expired;

        /// <summary>The reasons counted as blocks: the receiver refuses the sender, not the recipient.</summary>
        public static readonly IReadOnlyCollection<string> BlockReasons = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
            { "blocked", "badreputation", "requireptr", "authfailure" };

        public void Add(DeliveryObservation o)
        {
            switch (o.Status)
            {
                case "sent": Sent++; break;
                case "deferred": Deferred++; Tally(ref _deferReasons, o.Reason); break;
                case "bounced": Bounced++; Tally(ref _failReasons, o.Reason); break;
                case "expired": Expired++; Tally(ref _failReasons, o.Reason); break;
                default: return;
            }
            if (o.Status != "sent" && o.HardBounce) HardBounces++;
            if (o.Status != "sent" && o.Reason != null && BlockReasons.Contains(o.Reason))
            {
                Blocks++;
                Tally(ref _blockReasons, o.Reason);
                if (o.Blocklist != null) Tally(ref _blocklists, o.Blocklist);
            }
        }

        public void Add(DeliveryCounts other)
        {
            Sent += other.Sent; Deferred += other.Deferred; Bounced += other.Bounced; Expired += other.Expired;
            HardBounces += other.HardBounces; Blocks += other.Blocks;
            Merge(ref _failReasons, other._failReasons);
            Merge(ref _deferReasons, other._deferReasons);
            Merge(ref _blockReasons, other._blockReasons);
            Merge(ref _blocklists, other._blocklists);
        }

        private static void Tally([NotNull] ref Dictionary<string, long>? d, string? key)
        {
            d = d ?? new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            key = key ?? "undefined";
            d.TryGetValue(key, out var n);
            d[key] = n + 1;
        }

        private static void Merge(ref Dictionary<string, long>? d, Dictionary<string, long>? other)
        {
            if (other == null) return;
            d = d ?? new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in other)
            {
                d.TryGetValue(kv.Key, out var n);
                d[kv.Key] = n + kv.Value;
            }
        }

        private static List<KeyValuePair<string, long>> Top(Dictionary<string, long>? d, int n) =>
            d == null ? new List<KeyValuePair<string, long>>() : d.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(n).ToList();

        /// <summary>The most frequent reasons among all failures (deferrals and bounces).</summary>
        public IReadOnlyList<KeyValuePair<string, long>> TopReasons(int n)
        {
            Dictionary<string, long>? all = null;
            Merge(ref all, _failReasons);
            Merge(ref all, _deferReasons);
            return Top(all, n);
        }

        public string? DominantBounceReason => Top(_failReasons, 1).Select(k => k.Key).FirstOrDefault();
        public string? DominantDeferralReason => Top(_deferReasons, 1).Select(k => k.Key).FirstOrDefault();
        public string DominantBlockReason => Top(_blockReasons, 1).Select(k => k.Key).FirstOrDefault();
        public string DominantBlocklist => Top(_blocklists, 1).Select(k => k.Key).FirstOrDefault();
        internal IReadOnlyList<KeyValuePair<string, long>> BlockReasonCounts => Top(_blockReasons, int.MaxValue);
    }

    /// <summary>
    /// Streams delivery observations into counts per group and per (period, provider), and finds spikes and blocks.
    /// Memory grows with the number of distinct groups (days, providers, domains), never with the number of records.
    /// </summary>
    public sealed class DeliveryStatistics
    {
        private readonly DeliveryStatOptions _options;
        private readonly Dictionary<string, DeliveryCounts> _groups = new Dictionary<string, DeliveryCounts>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, DateTimeOffset?> _groupPeriods = new Dictionary<string, DateTimeOffset?>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<(DateTimeOffset?, string), DeliveryCounts> _buckets = new Dictionary<(DateTimeOffset?, string), DeliveryCounts>();
        private readonly Dictionary<string, string> _providerCache = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly DeliveryCounts _total = new DeliveryCounts();

        public DeliveryStatistics(DeliveryStatOptions? options = null) => _options = options ?? new DeliveryStatOptions();

        /// <summary>Observations counted (with a known status).</summary>
        public long Count => _total.Attempts;

        /// <summary>All observations together.</summary>
        public DeliveryCounts Total => _total;

        private bool Hourly => _options.By == DeliveryStatGrouping.Hour;

        /// <summary>The start of the day (or hour) holding <paramref name="time"/>, in its own offset.</summary>
        public static DateTimeOffset? PeriodOf(DateTimeOffset? time, bool hourly)
        {
            if (!time.HasValue) return null;
            var t = time.Value;
            return new DateTimeOffset(t.Year, t.Month, t.Day, hourly ? t.Hour : 0, 0, 0, t.Offset);
        }

        public static string PeriodText(DateTimeOffset? period, bool hourly) =>
            period.HasValue ? period.Value.ToString(hourly ? "yyyy-MM-dd HH:00" : "yyyy-MM-dd", CultureInfo.InvariantCulture) : "(no time)";

        /// <summary>The provider an observation counts under: the classifier's provider (MX/relay host, reply text,
        /// recipient domain), else the recipient's domain, else "(unknown)".</summary>
        public string ProviderOf(DeliveryObservation o)
        {
            if (o.Provider != null) return o.Provider;
            var domain = o.Domain;
            var key = (o.RelayHost ?? "") + "\u0001" + (domain ?? "");
            if (_providerCache.TryGetValue(key, out var p)) return p;
            p = DeliveryFailureClassifier.RecogniseProvider(o.RelayHost, o.Recipient, null) ?? domain ?? "(unknown)";
            if (_providerCache.Count >= 50_000) _providerCache.Clear();
            _providerCache[key] = p;
            return p;
        }

        /// <summary>Counts one observation; false when its status is not a delivery outcome (not counted).</summary>
        public bool Add(DeliveryObservation o)
        {
            if (o == null || o.Status == null) return false;
            var provider = ProviderOf(o);
            var period = PeriodOf(o.Time, Hourly);
            _total.Add(o);
            if (!_buckets.TryGetValue((period, provider), out var b)) _buckets[(period, provider)] = b = new DeliveryCounts();
            b.Add(o);

            string key;
            DateTimeOffset? groupPeriod = null;
            switch (_options.By)
            {
                case DeliveryStatGrouping.Day:
                case DeliveryStatGrouping.Hour:
                    groupPeriod = period;
                    key = PeriodText(period, Hourly);
                    break;
                case DeliveryStatGrouping.Provider: key = provider; break;
                case DeliveryStatGrouping.Domain: key = o.Domain ?? "(none)"; break;
                default:
                    if (o.Status == "sent") return true; // reasons are about failures
                    key = o.Reason ?? "undefined";
                    break;
            }
            if (!_groups.TryGetValue(key, out var g))
            {
                _groups[key] = g = new DeliveryCounts();
                _groupPeriods[key] = groupPeriod;
            }
            g.Add(o);
            return true;
        }

        /// <summary>One row per group: by period ascending (Day, Hour), else by attempts descending.</summary>
        public IReadOnlyList<MailDeliveryStat> Rows()
        {
            var by = _options.By;
            var share = by == DeliveryStatGrouping.Reason ? _total : null;
            var rows = _groups.Select(kv => new MailDeliveryStat(by, kv.Key, _groupPeriods[kv.Key], kv.Value, share));
            if (by == DeliveryStatGrouping.Day || by == DeliveryStatGrouping.Hour)
                return rows.OrderBy(r => r.Period.HasValue ? 0 : 1).ThenBy(r => r.Period?.UtcDateTime).ToList();
            return rows.OrderByDescending(r => r.Attempts).ThenBy(r => r.Key, StringComparer.OrdinalIgnoreCase).ToList();
        }

        /// <summary>
        /// Spikes and blocks, per (period, provider), in time order. The spike rule (docs/monitoring.md): for each period
        /// with at least MinVolume attempts to a provider, the baseline is the same provider's previous BaselinePeriods
        /// periods together (at least MinVolume attempts, else no judgement). A bounce spike is a bounce rate at least
        /// SpikeFactor times the baseline's and at least SpikeMinPoints percentage points above it, with at least
        /// MinFailures bounces; a deferral spike is the same on the deferral rate. A block is any attempt refused for the
        /// sender (blocked, badreputation, requireptr, authfailure), whatever the volume.
        /// </summary>
        public IReadOnlyList<MailDeliveryFinding> Findings()
        {
            var findings = new List<MailDeliveryFinding>();
            var len = Hourly ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
            // One pass to group the buckets by provider (a log to many small domains has many providers).
            foreach (var group in _buckets.GroupBy(kv => kv.Key.Item2, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
            {
                var provider = group.Key;
                var mine = group.OrderBy(kv => kv.Key.Item1.HasValue ? 0 : 1).ThenBy(kv => kv.Key.Item1?.UtcDateTime).ToList();
                for (int i = 0; i < mine.Count; i++)
                {
                    var kv = mine[i];
                    var period = kv.Key.Item1;
                    var c = kv.Value;
                    var text = PeriodText(period, Hourly);
                    if (period.HasValue && c.Attempts >= _options.MinVolume)
                    {
                        var from = period.Value - TimeSpan.FromTicks(len.Ticks * _options.BaselinePeriods);
                        var baseline = new DeliveryCounts();
                        // mine is in time order: the baseline is the run of buckets just before this one.
                        for (int j = i - 1; j >= 0 && mine[j].Key.Item1 is { } before && before >= from; j--)
                            if (before < period.Value) baseline.Add(mine[j].Value);
                        if (baseline.Attempts >= _options.MinVolume)
                        {
                            Spike(findings, "BounceSpike", "bounce rate", period, text, provider, c.Failed, c.Final, baseline.Failed, baseline.Final, c.DominantBounceReason, c.Attempts);
                            Spike(findings, "DeferralSpike", "deferral rate", period, text, provider, c.Deferred, c.Attempts, baseline.Deferred, baseline.Attempts, c.DominantDeferralReason, c.Attempts);
                        }
                    }
                    if (c.Blocks > 0)
                    {
                        var reason = c.DominantBlockReason;
                        var list = c.DominantBlocklist;
                        var counts = string.Join(", ", c.BlockReasonCounts.Select(r => $"{r.Key} {r.Value}"));
                        findings.Add(new MailDeliveryFinding("Block", period, text, provider, null, null, c.Blocks, c.Attempts, reason, list,
                            $"{text} {provider}: {c.Blocks} of {c.Attempts} attempt(s) refused for the sender ({counts})" +
                            (list != null ? $", blocklist {list}" : "") + "."));
                    }
                }
            }
            return findings.OrderBy(f => f.Period.HasValue ? 0 : 1).ThenBy(f => f.Period?.UtcDateTime).ThenBy(f => f.Provider, StringComparer.OrdinalIgnoreCase).ToList();
        }

        private void Spike(List<MailDeliveryFinding> findings, string kind, string what, DateTimeOffset? period, string text, string provider,
            long failed, long basis, long baseFailed, long baseBasis, string? reason, long attempts)
        {
            if (basis <= 0 || baseBasis <= 0 || failed < _options.MinFailures) return;
            var rate = 100.0 * failed / basis;
            var baseRate = 100.0 * baseFailed / baseBasis;
            if (rate < _options.SpikeFactor * baseRate || rate - baseRate < _options.SpikeMinPoints) return;
            findings.Add(new MailDeliveryFinding(kind, period, text, provider, Math.Round(rate, 2), Math.Round(baseRate, 2), failed, attempts, reason, null,
                string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2} {3:0.##}% ({4} of {5}) against {6:0.##}% over the previous {7} {8}; mostly {9}.",
                    text, provider, what, rate, failed, basis, baseRate, _options.BaselinePeriods, Hourly ? "hour(s)" : "day(s)", reason ?? "undefined")));
        }
    }
}
