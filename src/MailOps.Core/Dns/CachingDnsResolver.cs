using System;
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
    /// reference within a run. A question that was cancelled or whose resolver threw is not remembered: the next asker
    /// asks again.
    /// </summary>
    /// <remarks>
    /// A remembered answer costs one small slot beside the result (no task, lazy or async state is kept once the
    /// answer is in): a blocklist sweep or a fleet run keeps thousands of them alive, and each one that survives a
    /// garbage collection is copied, so their size is GC time.
    /// </remarks>
    public sealed class CachingDnsResolver : IDnsResolver
    {
        private readonly IDnsResolver _inner;
        private readonly Func<DateTime> _clock;
        // Names compare as DNS does (ASCII case-insensitive), without a lower-cased copy per question.
        // A plain dictionary under a lock rather than a ConcurrentDictionary: its entries live in one array (no object
        // per entry, nothing re-allocated when it grows), and every operation on it is a few dozen nanoseconds.
        private readonly Dictionary<(string, DnsRecordType), Slot> _entries =
            new Dictionary<(string, DnsRecordType), Slot>(KeyComparer.Instance);
        private int _hits;

        private sealed class KeyComparer : IEqualityComparer<(string, DnsRecordType)>
        {
            public static readonly KeyComparer Instance = new KeyComparer();

            public bool Equals((string, DnsRecordType) x, (string, DnsRecordType) y) =>
                x.Item2 == y.Item2 && string.Equals(x.Item1, y.Item1, StringComparison.OrdinalIgnoreCase);

            public int GetHashCode((string, DnsRecordType) key) =>
                StringComparer.OrdinalIgnoreCase.GetHashCode(key.Item1) * 31 + (int)key.Item2;
        }

        /// <summary>One question: in flight (<see cref="Pending"/>, shared by everyone who asks meanwhile), then
        /// answered (<see cref="Result"/>, until <see cref="Expires"/>).</summary>
        private sealed class Slot
        {
            public TaskCompletionSource<DnsQueryResult>? Pending = new TaskCompletionSource<DnsQueryResult>();
            public volatile DnsQueryResult? Result;
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
                Slot? slot;
                lock (_entries) _entries.TryGetValue(key, out slot);
                if (slot != null)
                {
                    var known = slot.Result;
                    if (known == null)
                    {
                        // Someone is asking right now: wait for that answer.
                        var pending = slot.Pending;
                        if (pending == null) continue; // answered meanwhile
                        try
                        {
                            known = await pending.Task.ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // The asker that owned the question gave up; unless we did too, ask again ourselves.
                            if (cancellationToken.IsCancellationRequested) throw;
                            continue;
                        }
                    }
                    if (slot.Expires > _clock())
                    {
                        Interlocked.Increment(ref _hits);
                        return known.AsCached();
                    }
                    Remove(key, slot);
                    continue;
                }

                var mine = new Slot();
                lock (_entries)
                {
                    if (_entries.ContainsKey(key)) continue;
                    _entries.Add(key, mine);
                }
                DnsQueryResult result;
                try
                {
                    result = await _inner.QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Not remembered: a cancelled or failed question is asked again by the next asker.
                    Remove(key, mine);
                    var waiting = mine.Pending!;
                    mine.Pending = null;
                    if (ex is OperationCanceledException oce)
                    {
                        waiting.TrySetCanceled(oce.CancellationToken);
                        if (!cancellationToken.IsCancellationRequested) continue; // cancelled by someone else: ask again
                    }
                    else waiting.TrySetException(ex);
                    throw;
                }
                mine.Expires = _clock() + TimeToLive(result);
                mine.Result = result;
                var asked = mine.Pending!;
                mine.Pending = null;
                asked.TrySetResult(result);
                return result;
            }
        }

        private TimeSpan TimeToLive(DnsQueryResult result)
        {
            if (result.IsError) return FailureTtl;
            if (result.Outcome == DnsOutcome.Answer)
            {
                var min = int.MaxValue;
                foreach (var r in result.Answers) min = Math.Min(min, r.Ttl);
                return TimeSpan.FromSeconds(Math.Max(1, min == int.MaxValue ? 1 : min));
            }
            return result.NegativeTtl.HasValue ? TimeSpan.FromSeconds(Math.Max(1, result.NegativeTtl.Value)) : DefaultNegativeTtl;
        }

        private void Remove((string, DnsRecordType) key, Slot value)
        {
            lock (_entries)
            {
                // Only this slot: another asker may have put a fresh one under the key meanwhile.
                if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, value)) _entries.Remove(key);
            }
        }
    }
}
