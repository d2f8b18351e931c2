using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Asn;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.Ptr;

namespace MailOps.Reports
{
    /// <summary>What DNS says about a DMARC report's source address: its PTR name, that name's registrable domain, and its origin
    /// AS (number, name, country) from Team Cymru's IP-to-ASN service. A value is null when DNS has none, or when the question
    /// could not be answered: <see cref="Problem"/> then says which and why (a timeout is not "no PTR").</summary>
    public sealed class SourceInfo
    {
        internal SourceInfo(string ip, string? reverseDns, string? baseDomain, int? asn, string? asName, string? country, string? problem)
        {
            IPAddress = ip;
            ReverseDns = reverseDns;
            BaseDomain = baseDomain;
            Asn = asn;
            AsName = asName;
            Country = country;
            Problem = problem;
        }

        public string IPAddress { get; }

        /// <summary>The first PTR name (lower case, no trailing dot).</summary>
        public string? ReverseDns { get; }

        /// <summary>The registrable domain of the PTR name (Public Suffix List), e.g. google.com for mail-a1.google.com.</summary>
        public string? BaseDomain { get; }

        public int? Asn { get; }

        /// <summary>The AS name and description as the service gives it, e.g. "GOOGLE - Google LLC, US".</summary>
        public string? AsName { get; }

        /// <summary>Two-letter country code of the address allocation.</summary>
        public string? Country { get; }

        /// <summary>Null when every question was answered; else what went unanswered, e.g. "PTR timed out".</summary>
        public string? Problem { get; }

        public override string ToString() =>
            $"{IPAddress} {ReverseDns ?? "-"} AS{(Asn?.ToString(CultureInfo.InvariantCulture) ?? "?")} {AsName} {Country}{(Problem == null ? "" : " (" + Problem + ")")}";
    }

    /// <summary>
    /// Enriches DMARC report sources through MailOps' resolver (its cache, -Server, -ZoneFile): PTR (<see cref="PtrCheck.LookupNamesAsync"/>),
    /// base domain (<see cref="PublicSuffixList"/>) and ASN (<see cref="AsnLookup"/>). One lookup per distinct address, shared
    /// by every row that names it; at most <c>maxConcurrent</c> addresses looked up at once. Thread-safe.
    /// </summary>
    public sealed class SourceEnricher
    {
        private readonly IDnsResolver _dns;
        private readonly PublicSuffixList? _psl;
        private readonly WorkLanes _lanes;
        private readonly ConcurrentDictionary<string, Lazy<Task<SourceInfo>>> _cache = new ConcurrentDictionary<string, Lazy<Task<SourceInfo>>>(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, int> _problemKinds = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        private int _problems;

        /// <param name="dns">The resolver.</param>
        /// <param name="psl">The Public Suffix List for the base domain; null leaves BaseDomain empty.</param>
        /// <param name="maxConcurrent">Addresses looked up at once.</param>
        public SourceEnricher(IDnsResolver dns, PublicSuffixList? psl, int maxConcurrent = 16)
        {
            _dns = dns ?? throw new ArgumentNullException(nameof(dns));
            _psl = psl;
            _lanes = new WorkLanes(Math.Max(1, maxConcurrent));
        }

        /// <summary>Distinct addresses asked about so far.</summary>
        public int Sources => _cache.Count;

        /// <summary>Distinct addresses whose lookup left a question unanswered.</summary>
        public int ProblemCount => Volatile.Read(ref _problems);

        /// <summary>Why lookups went unanswered, with how many addresses each ("PTR timed out": 3).</summary>
        public IReadOnlyDictionary<string, int> ProblemKinds => new Dictionary<string, int>(_problemKinds);

        /// <summary>What DNS says about the address (looked up once; later calls share the answer). An address that does not
        /// parse gives an empty SourceInfo with a Problem and asks nothing.</summary>
        public Task<SourceInfo> GetAsync(string ip, CancellationToken ct)
        {
            var key = (ip ?? "").Trim();
            return _cache.GetOrAdd(key, k => new Lazy<Task<SourceInfo>>(() => LookupAsync(k, ct))).Value;
        }

        private Task<SourceInfo> LookupAsync(string text, CancellationToken ct)
        {
            if (!IPAddress.TryParse(text, out var ip))
                return Task.FromResult(new SourceInfo(text, null, null, null, null, null, "not an IP address"));
            return _lanes.Run(() => LookupAddressAsync(ip, ct), ct);
        }

        private async Task<SourceInfo> LookupAddressAsync(IPAddress ip, CancellationToken ct)
        {
            {
                var ptrTask = Catch(() => PtrCheck.LookupNamesAsync(_dns, ip, ct));
                var asnTask = Catch(() => AsnLookup.LookupAsync(_dns, ip, ct));
                var ptr = await ptrTask.ConfigureAwait(false);
                var asn = await asnTask.ConfigureAwait(false);
                var problems = new List<string>();
                if (ptr.Failure != null) problems.Add("PTR " + Why(ptr.Failure));
                if (asn.Failure != null) problems.Add("ASN " + Why(asn.Failure));
                var name = ptr.Value?.FirstOrDefault();
                string? baseDomain = null;
                if (name != null && _psl != null)
                {
                    try { baseDomain = _psl.GetRegistrableDomain(name); }
                    catch (ArgumentException) { baseDomain = null; }
                }
                var problem = problems.Count == 0 ? null : string.Join("; ", problems);
                if (problem != null)
                {
                    Interlocked.Increment(ref _problems);
                    foreach (var p in problems) _problemKinds.AddOrUpdate(p, 1, (_, n) => n + 1);
                }
                return new SourceInfo(ip.ToString(), name, baseDomain, asn.Value?.Asn, asn.Value?.AsName, asn.Value?.Country, problem);
            }
        }

        private static string Why(DnsQueryFailedException ex)
        {
            switch (ex.Result.Outcome)
            {
                case DnsOutcome.Timeout: return "timed out";
                case DnsOutcome.ServerFailure: return "SERVFAIL";
                case DnsOutcome.Refused: return "refused";
                default: return ex.Result.Outcome.ToString();
            }
        }

        private static async Task<(T? Value, DnsQueryFailedException? Failure)> Catch<T>(Func<Task<T>> work) where T : class?
        {
            try { return (await work().ConfigureAwait(false), null); }
            catch (DnsQueryFailedException ex) { return (null, ex); }
        }
    }
}
