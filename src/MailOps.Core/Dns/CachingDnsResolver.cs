using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Dns
{
    /// <summary>
    /// Remembers answers for the life of one cmdlet invocation, honouring TTLs, so a check never asks the same
    /// question twice. Concurrent identical questions share one query. Unanswered questions (timeouts,
    /// SERVFAIL) are remembered too, for <see cref="FailureTtl"/>, so one dead server does not cost a timeout per
    /// reference within a run.
    /// </summary>
    public sealed class CachingDnsResolver : IDnsResolver
    {
        private readonly IDnsResolver _inner;
        private readonly Func<DateTime> _clock;
        // Names compare as DNS does (ASCII case-insensitive), without a lower-cased copy per question.
        private readonly ConcurrentDictionary<(string, DnsRecordType), Lazy<Task<Entry>>> _entries =
            new ConcurrentDictionary<(string, DnsRecordType), Lazy<Task<Entry>>>(KeyComparer.Instance);

        private sealed class KeyComparer : IEqualityComparer<(string, DnsRecordType)>
        {
            public static readonly KeyComparer Instance = new KeyComparer();

            public bool Equals((string, DnsRecordType) x, (string, DnsRecordType) y) =>
                x.Item2 == y.Item2 && string.Equals(x.Item1, y.Item1, StringComparison.OrdinalIgnoreCase);

            public int GetHashCode((string, DnsRecordType) key) =>
                StringComparer.OrdinalIgnoreCase.GetHashCode(key.Item1) * 31 + (int)key.Item2;
        }
        private int _hits;

        private sealed class Entry
        {
            public required DnsQueryResult Result;
            public DateTime Expires;
        }

        public CachingDnsResolver(IDnsResolver inner, Func<DateTime>? clock = null)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _clock = clock ?? (() => DateTime.UtcNow);
        }

        /// <summary>How long an unanswered question is remembered.</summary>
        public TimeSpan FailureTtl { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long an empty answer without an SOA is remembered.</summary>
        public TimeSpan DefaultNegativeTtl { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Questions answered from the cache so far.</summary>
        public int Hits => Volatile.Read(ref _hits);

        public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            var key = (DnsName.Normalize(name), type);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var mine = new Lazy<Task<Entry>>(() => Fetch(name, type, cancellationToken));
                var stored = _entries.GetOrAdd(key, mine);
                var created = ReferenceEquals(stored, mine);
                Entry entry;
                try
                {
                    entry = await stored.Value.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // A cancelled fetch must not poison the cache for later callers.
                    Remove(key, stored);
                    if (cancellationToken.IsCancellationRequested) throw;
                    continue;
                }
                if (entry.Expires > _clock())
                {
                    if (created) return entry.Result;
                    Interlocked.Increment(ref _hits);
                    return entry.Result.AsCached();
                }
                Remove(key, stored);
            }
        }

        private void Remove((string, DnsRecordType) key, Lazy<Task<Entry>> value) =>
            ((ICollection<KeyValuePair<(string, DnsRecordType), Lazy<Task<Entry>>>>)_entries)
                .Remove(new KeyValuePair<(string, DnsRecordType), Lazy<Task<Entry>>>(key, value));

        private async Task<Entry> Fetch(string name, DnsRecordType type, CancellationToken ct)
        {
            var result = await _inner.QueryAsync(name, type, ct).ConfigureAwait(false);
            TimeSpan ttl;
            if (result.IsError) ttl = FailureTtl;
            else if (result.Outcome == DnsOutcome.Answer) ttl = TimeSpan.FromSeconds(Math.Max(1, result.Answers.Min(r => r.Ttl)));
            else ttl = result.NegativeTtl.HasValue ? TimeSpan.FromSeconds(Math.Max(1, result.NegativeTtl.Value)) : DefaultNegativeTtl;
            return new Entry { Result = result, Expires = _clock() + ttl };
        }
    }
}
