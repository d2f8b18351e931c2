using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Dnsbl
{
    /// <summary>How one blocklist run is set up.</summary>
    public sealed class DnsblOptions
    {
        /// <summary>Zones to check as the user named them (catalogue names, keyed zones or any other zone). Empty: the
        /// catalogue's default zones.</summary>
        public IReadOnlyList<string> Zones { get; set; } = new string[0];

        /// <summary>A Spamhaus DQS key: Spamhaus zones are asked as &lt;key&gt;.zen.dq.spamhaus.net and so on.</summary>
        public string? DqsKey { get; set; }

        /// <summary>Most queries in flight at once.</summary>
        public int ThrottleLimit { get; set; } = 32;

        public DnsblCatalogue Catalogue { get; set; } = DnsblCatalogue.Default;

        /// <summary>Told of skipped (zone, target) pairs and zone test outcomes (verbose notes), and of results that are
        /// degraded but stand (a listing whose TXT reason went unanswered: a warning). Null: nobody is told.</summary>
        public ICheckSink? Sink { get; set; }
    }

    /// <summary>One zone as this run asks it.</summary>
    public sealed class DnsblZonePlan
    {
        internal DnsblZonePlan(DnsblZone zone, string displayName, string queryZone, string? key, bool explicitlyNamed)
        {
            Zone = zone;
            DisplayName = displayName;
            QueryZone = queryZone;
            Key = key;
            ExplicitlyNamed = explicitlyNamed;
        }

        public DnsblZone Zone { get; }

        /// <summary>The name results carry (no key).</summary>
        public string DisplayName { get; }

        /// <summary>The zone queried (with the key, if any).</summary>
        public string QueryZone { get; }

        internal string? Key { get; }

        internal bool ExplicitlyNamed { get; }

        internal string Mask(string name) => Strings.IsNullOrEmpty(Key) ? name : name.Replace(Key, "<key>");

        /// <summary>Whether this zone is asked about a target: domain lists take domains, IP lists take addresses;
        /// catalogue zones that do not list IPv6 are not asked about IPv6 addresses unless named with -Zone.</summary>
        public bool AppliesTo(DnsblTarget target)
        {
            if (!Zone.InCatalogue) return true;
            if (target.IsDomain != Zone.IsDomainList) return false;
            if (target.IsIPv6 && !Zone.ListsIPv6 && !ExplicitlyNamed) return false;
            return true;
        }
    }

    /// <summary>
    /// Checks targets against blocklist zones, trusting no answer blindly: error codes (Spamhaus 127.255.255.x, DBL
    /// 127.0.1.255, URIBL/SURBL 127.0.0.1), answers outside 127.0.0.0/8, timeouts and SERVFAIL are Status Error; each zone
    /// is first checked with its RFC 5782 §5 test points, once per run, and a zone that fails gives Error for every target.
    /// Queries run in parallel up to <see cref="DnsblOptions.ThrottleLimit"/>.
    /// </summary>
    public sealed class DnsblCheck
    {
        private readonly IDnsResolver _dns;
        private readonly DnsblOptions _options;
        private readonly ICheckSink _sink;
        private readonly WorkLanes _lanes;
        private readonly ConcurrentDictionary<(DnsblZonePlan, string), Lazy<Task<ZoneHealth>>> _health =
            new ConcurrentDictionary<(DnsblZonePlan, string), Lazy<Task<ZoneHealth>>>();
        private int _queries;

        private sealed class ZoneHealth
        {
            public bool Ok;
            public DnsblErrorKind Kind;
            public string? Message;
            public DnsQueryResult? Failed;
            public string? Server;
            public IReadOnlyList<string>? Codes;
        }

        /// <summary>Plans the run. Throws <see cref="ArgumentException"/> for an invalid invocation: a retired zone, a zone
        /// that needs a key that was not given.</summary>
        public DnsblCheck(IDnsResolver dns, DnsblOptions options)
        {
            _dns = dns ?? throw new ArgumentNullException(nameof(dns));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _sink = options.Sink.OrNone();
            if (options.ThrottleLimit < 1) throw new ArgumentException("ThrottleLimit must be at least 1.", nameof(options));
            if (options.DqsKey != null && (options.DqsKey.Length == 0 || options.DqsKey.Any(c => !char.IsLetterOrDigit(c))))
                throw new ArgumentException("A Spamhaus DQS key is letters and digits only (it becomes a DNS label).", nameof(options));
            _lanes = new WorkLanes(options.ThrottleLimit);
            Plans = BuildPlan(options);
        }

        /// <summary>The zones this run asks.</summary>
        public IReadOnlyList<DnsblZonePlan> Plans { get; }

        /// <summary>DNS questions asked so far (zone tests included; cache hits too).</summary>
        public int QueryCount => Volatile.Read(ref _queries);

        private IReadOnlyList<DnsblZonePlan> BuildPlan(DnsblOptions o)
        {
            var catalogue = o.Catalogue ?? DnsblCatalogue.Default;
            var plans = new List<DnsblZonePlan>();
            var names = (o.Zones ?? new string[0]).Where(z => !Strings.IsNullOrWhiteSpace(z)).ToList();
            if (names.Count == 0)
            {
                foreach (var z in catalogue.Zones.Where(z => z.IsDefault))
                {
                    if (z.KeyRequired == "Abusix") continue;
                    if (z.KeyRequired == "SpamhausDqs" && o.DqsKey == null) continue;
                    plans.Add(PlanFor(z, null, o.DqsKey, false));
                }
                return plans;
            }
            foreach (var raw in names)
            {
                var name = DnsblCatalogue.Normalize(raw);
                var problem = DnsName.ValidateDomainName(name);
                if (problem != null) throw new DnsblZoneException(DnsblZoneProblem.InvalidName, raw, $"'{raw}' is not a valid zone name: {problem}.");
                var retired = catalogue.FindRetired(name);
                if (retired != null) throw new DnsblZoneException(DnsblZoneProblem.Retired, retired.Name, $"{retired.Name} is not a live blocklist: {retired.Why}");
                var zone = catalogue.Find(name, out var key);
                DnsblZonePlan plan;
                if (zone == null)
                    plan = new DnsblZonePlan(DnsblZone.Custom(name), name, name, null, true);
                else if (key != null)
                    plan = new DnsblZonePlan(zone, zone.KeyedZone!.Replace("{key}.", ""), name, key, true);   // Find matched its keyed zone
                else if (zone.KeyRequired == "SpamhausDqs" && o.DqsKey == null)
                    throw new DnsblZoneException(DnsblZoneProblem.NeedsDqsKey, zone.Name, $"{zone.Name} is served only through Spamhaus DQS, which needs a DQS key.");
                else if (zone.KeyRequired == "Abusix")
                    throw new DnsblZoneException(DnsblZoneProblem.NeedsAbusixKey, zone.Name, $"{zone.Name} is queried only under an Abusix key, as <key>.{zone.Name}.");
                else
                    plan = PlanFor(zone, null, o.DqsKey, true);
                if (plans.Any(p => string.Equals(p.QueryZone, plan.QueryZone, StringComparison.OrdinalIgnoreCase))) continue;
                plans.Add(plan);
            }
            return plans;
        }

        private static DnsblZonePlan PlanFor(DnsblZone z, string? key, string? dqsKey, bool explicitlyNamed)
        {
            if (z.SupportsDqs && dqsKey != null)
                return new DnsblZonePlan(z, z.KeyedZone.Replace("{key}.", ""), z.KeyedZone.Replace("{key}", dqsKey), dqsKey, explicitlyNamed);
            return new DnsblZonePlan(z, z.Name, z.Name, null, explicitlyNamed);
        }

        /// <summary>The number of (target, zone) results a target will produce.</summary>
        public int ResultCount(DnsblTarget target) => Plans.Count(p => p.AppliesTo(target));

        /// <summary>Checks one target against every applicable zone, in parallel (bounded by the run's throttle), and returns
        /// one result per zone in the order of <see cref="Plans"/>. Never throws for DNS or list errors: they are results with
        /// Status Error. Throws <see cref="OperationCanceledException"/> on cancellation.</summary>
        public async Task<IReadOnlyList<DnsblResult>> CheckAsync(DnsblTarget target, CancellationToken ct)
        {
            if (target == null) throw new ArgumentNullException(nameof(target));
            var tasks = new List<Task<DnsblResult>>();
            foreach (var plan in Plans)
            {
                if (!plan.AppliesTo(target))
                {
                    _sink.Verbose($"DNSBL: {plan.DisplayName} is {(plan.Zone.IsDomainList ? "a domain list" : target.IsIPv6 ? "an IPv4-only list" : "an IP list")}; not asked about {target.Text}.");
                    continue;
                }
                tasks.Add(CheckOneAsync(target, plan, ct));
            }
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        /// <summary>Checks one target against one zone.</summary>
        public Task<DnsblResult> CheckOneAsync(DnsblTarget target, DnsblZonePlan plan, CancellationToken ct)
        {
            // The caller's thread does no DNS work: the zone's self-test starts on the thread pool (once per run), and the
            // question itself is run by a lane. Once the test is done (every target but the first few), no state machine
            // is needed here.
            var family = target.IsDomain ? "Domain" : target.IsIPv6 && (plan.Zone.TestIPv6 || !plan.Zone.InCatalogue) ? "IPv6" : "IPv4";
            if (!_health.TryGetValue((plan, family), out var test))
                test = _health.GetOrAdd((plan, family), k => new Lazy<Task<ZoneHealth>>(() => TestZoneAsync(plan, family, ct)));
            var health = test.Value;
            return health.Status == TaskStatus.RanToCompletion ? Ask(target, plan, health.Result, ct) : AskAfterTestAsync(target, plan, health, ct);
        }

        private async Task<DnsblResult> AskAfterTestAsync(DnsblTarget target, DnsblZonePlan plan, Task<ZoneHealth> test, CancellationToken ct) =>
            await Ask(target, plan, await test.ConfigureAwait(false), ct).ConfigureAwait(false);

        private Task<DnsblResult> Ask(DnsblTarget target, DnsblZonePlan plan, ZoneHealth health, CancellationToken ct)
        {
            var queryName = target.QueryPrefix + "." + plan.QueryZone;
            var shownName = plan.Mask(queryName);
            if (!health.Ok)
            {
                // The target was not asked: ReturnCodes stay empty (the test query's answer is in the message).
                return Task.FromResult(new DnsblResult(target, plan.DisplayName, DnsblStatus.Error, null, null, null,
                    plan.Zone.DelistUrl, shownName, health.Kind, health.Message, health.Server, health.Failed) { ZoneEntry = plan.Zone });
            }
            // At most ThrottleLimit questions in flight; the lane that received the last answer asks the next question.
            return _lanes.Run(() => QueryAsync(target, plan, queryName, shownName, ct), ct);
        }

        private Task<DnsQueryResult> AskAsync(string name, DnsRecordType type, CancellationToken ct)
        {
            Interlocked.Increment(ref _queries);
            return _dns.QueryAsync(name, type, ct);
        }

        private async Task<DnsblResult> QueryAsync(DnsblTarget target, DnsblZonePlan plan, string queryName, string shownName, CancellationToken ct)
        {
            var zone = plan.Zone;
            var a = await AskAsync(queryName, DnsRecordType.A, ct).ConfigureAwait(false);
            if (a.IsError)
                return new DnsblResult(target, plan.DisplayName, DnsblStatus.Error, null, null, null, zone.DelistUrl, shownName, KindOf(a),
                    $"{plan.DisplayName} did not answer about {target.Text}: {Describe(a, plan)} Nothing can be concluded - this is not 'not listed'.", a.Server, a) { ZoneEntry = zone };
            if (a.IsEmpty)
                return new DnsblResult(target, plan.DisplayName, DnsblStatus.NotListed, null, null, null, zone.DelistUrl, shownName, null,
                    $"{target.Text} is not listed in {plan.DisplayName}.", a.Server) { ZoneEntry = zone };

            var answers = a.RecordsOf<AddressRecord>().Select(r => r.Address).Where(ip => ip.AddressFamily == AddressFamily.InterNetwork).ToList();
            var codes = new ResultList<string>(answers.Select(x => x.ToString()));
            var outside = answers.Where(ip => ip.GetAddressBytes()[0] != 127).ToList();
            if (outside.Count > 0 || answers.Count == 0)
                return new DnsblResult(target, plan.DisplayName, DnsblStatus.Error, codes, null, null, zone.DelistUrl, shownName, DnsblErrorKind.AnswerOutsideLoopback,
                    $"{plan.DisplayName} answered {codes} for {target.Text}, outside 127.0.0.0/8 where RFC 5782 puts every listing: the zone is parked, "
                    + "wildcarded or hijacked, or a resolver rewrote the answer. This is not a listing.",
                    a.Server) { ZoneEntry = zone };
            var error = answers.Select(zone.ErrorFor).FirstOrDefault(e => e != null);
            if (error != null)
                return new DnsblResult(target, plan.DisplayName, DnsblStatus.Error, codes, new ResultList<string>(new[] { error.Meaning }), null, zone.DelistUrl, shownName,
                    error.Kind, $"{plan.DisplayName} answered {codes} for {target.Text}: an error code, not a listing. {error.Meaning}".TrimEnd(), a.Server) { ZoneEntry = zone };

            var meanings = answers.SelectMany(zone.MeaningsFor).Distinct().ToList();
            string? reason = null;
            var txt = await AskAsync(queryName, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (txt.Outcome == DnsOutcome.Answer)
                reason = string.Join(" ", txt.RecordsOf<TxtRecord>().Select(t => t.Text).Distinct());
            else if (txt.IsError)
                _sink.Warning($"{target.Text} is listed in {plan.DisplayName}, but the TXT reason for {shownName} went unanswered ({txt.Outcome}); the listing stands without a Reason.");
            return new DnsblResult(target, plan.DisplayName, DnsblStatus.Listed, codes, new ResultList<string>(meanings), reason, zone.DelistUrl, shownName, null,
                $"{target.Text} is listed in {plan.DisplayName} ({codes}): {string.Join("; ", meanings)}."
                + (zone.DelistUrl != null ? $" Fix the cause, then ask for removal at {zone.DelistUrl}." : ""), a.Server) { ZoneEntry = zone };
        }

        private async Task<ZoneHealth> TestZoneAsync(DnsblZonePlan plan, string family, CancellationToken ct)
        {
            await Task.Yield();
            var zone = plan.Zone;
            string? listed, notListed;
            if (family == "Domain")
            {
                listed = zone.InCatalogue ? zone.TestListed : "test";
                notListed = zone.InCatalogue ? zone.TestNotListed : "invalid";
            }
            else if (family == "IPv6")
            {
                listed = zone.TestListed == null ? null : "::ffff:7f00:2";
                notListed = zone.TestNotListed == null ? null : "::ffff:7f00:1";
            }
            else
            {
                listed = zone.TestListed;
                notListed = zone.TestNotListed;
            }

            string Name(string point)
            {
                if (family == "Domain") return point + "." + plan.QueryZone;
                return DnsblTarget.AddressLabels(IPAddress.Parse(point)) + "." + plan.QueryZone;
            }

            string? server = null;
            if (listed != null)
            {
                var r = await AskAsync(Name(listed), DnsRecordType.A, ct).ConfigureAwait(false);
                server = r.Server;
                var bad = Judge(plan, r, listed, mustBeListed: true);
                if (bad != null) { Log(plan, family, bad); return bad; }
            }
            if (notListed != null)
            {
                var r = await AskAsync(Name(notListed), DnsRecordType.A, ct).ConfigureAwait(false);
                server = r.Server;
                var bad = Judge(plan, r, notListed, mustBeListed: false);
                if (bad != null) { Log(plan, family, bad); return bad; }
            }
            _sink.Verbose($"DNSBL: {plan.DisplayName} passed its RFC 5782 test ({family}: {listed ?? "-"} listed, {notListed ?? "-"} not listed).");
            return new ZoneHealth { Ok = true, Server = server };
        }

        private void Log(DnsblZonePlan plan, string family, ZoneHealth h) =>
            _sink.Verbose($"DNSBL: {plan.DisplayName} failed its RFC 5782 test ({family}): {h.Kind}.");

        private static ZoneHealth? Judge(DnsblZonePlan plan, DnsQueryResult r, string point, bool mustBeListed)
        {
            var name = plan.DisplayName;
            var shown = plan.Mask(r.Name);
            const string every = " Every target gets Status Error from this zone in this run.";
            if (r.IsError)
                return new ZoneHealth
                {
                    Kind = KindOf(r), Failed = r, Server = r.Server, Codes = new string[0],
                    Message = $"{name} did not answer its RFC 5782 test query {shown}: {Describe(r, plan)} The zone cannot be trusted in this run; "
                        + "nothing from it is reported as 'not listed'." + every,
                };
            var answers = r.RecordsOf<AddressRecord>().Select(x => x.Address).Where(ip => ip.AddressFamily == AddressFamily.InterNetwork).ToList();
            var codes = answers.Select(x => x.ToString()).ToList();
            if (r.Outcome == DnsOutcome.Answer)
            {
                if (answers.Count == 0 || answers.Any(ip => ip.GetAddressBytes()[0] != 127))
                    return new ZoneHealth
                    {
                        Kind = DnsblErrorKind.AnswerOutsideLoopback, Server = r.Server, Codes = codes,
                        Message = $"{name} answered {string.Join(", ", codes)} for its test entry {point}, outside 127.0.0.0/8: the zone looks parked or wildcarded "
                            + "(a dead blocklist whose domain now resolves everything), or a resolver rewrites answers." + every,
                    };
                var error = answers.Select(plan.Zone.ErrorFor).FirstOrDefault(e => e != null);
                if (error != null)
                    return new ZoneHealth
                    {
                        Kind = error.Kind ?? DnsblErrorKind.ListError, Server = r.Server, Codes = codes,
                        Message = $"{name} answered its test query with {string.Join(", ", codes)}, an error code: {error.Meaning}" + every,
                    };
                if (!mustBeListed)
                    return new ZoneHealth
                    {
                        Kind = DnsblErrorKind.ZoneListsEverything, Server = r.Server, Codes = codes,
                        Message = $"{name} lists {point}, which RFC 5782 §5 says must never be listed: the zone answers 'listed' to everything "
                            + $"(parked, wildcarded, shut down in 'list everything' mode, or refusing this resolver that way). Its listings mean nothing." + every,
                    };
                return null;
            }
            if (mustBeListed)
                return new ZoneHealth
                {
                    Kind = DnsblErrorKind.ZoneTestFailed, Server = r.Server, Codes = codes,
                    Message = $"{name} does not list its test entry {point} ({r.Outcome}), which RFC 5782 §5 says a working zone must: the zone looks dead, "
                        + "parked or empty, or it refuses this resolver. Its 'not listed' answers cannot be trusted." + every,
                };
            return null;
        }

        private static DnsblErrorKind KindOf(DnsQueryResult r)
        {
            switch (r.Outcome)
            {
                case DnsOutcome.Timeout: return DnsblErrorKind.Timeout;
                case DnsOutcome.ServerFailure: return DnsblErrorKind.ServerFailure;
                case DnsOutcome.Refused: return DnsblErrorKind.Refused;
                case DnsOutcome.NetworkError: return DnsblErrorKind.NetworkError;
                default: return DnsblErrorKind.DnsError;
            }
        }

        private static string Describe(DnsQueryResult r, DnsblZonePlan plan) => plan.Mask(new DnsQueryFailedException(r).Message.Replace("; nothing can be concluded about this record.", "."));
    }
}
