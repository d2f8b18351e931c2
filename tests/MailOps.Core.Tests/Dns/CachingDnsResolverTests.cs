using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using Xunit;

namespace MailOps.Tests.Dns
{
    /// <summary>The cache's own rules, with an inner resolver the test controls (when an answer comes, or that it
    /// throws); the wire path under it is covered by WireResolverTests against a real server.</summary>
    public class CachingDnsResolverTests
    {
        private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

        private sealed class GatedResolver : IDnsResolver
        {
            private readonly ConcurrentQueue<TaskCompletionSource<DnsQueryResult>> _pending = new ConcurrentQueue<TaskCompletionSource<DnsQueryResult>>();
            public int Calls;
            public Func<string, DnsRecordType, DnsQueryResult>? Answer;
            public Exception? Throw;
            public bool Hold;

            public Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Calls);
                if (Throw != null) return Task.FromException<DnsQueryResult>(Throw);
                var result = Answer!(name, type);
                if (!Hold) return Task.FromResult(result);
                var tcs = new TaskCompletionSource<DnsQueryResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
                _pending.Enqueue(tcs);
                return tcs.Task;
            }

            public void ReleaseAll()
            {
                Hold = false;
                while (_pending.TryDequeue(out var t)) t.TrySetResult(Answer!("released.example", DnsRecordType.A));
            }
        }

        private static DnsQueryResult NxDomain(string name, DnsRecordType type) =>
            new DnsQueryResult(name, type, DnsOutcome.NxDomain, null, "127.0.0.1:53", TimeSpan.Zero, null, false, 300);

        private static DnsQueryResult Timeout(string name, DnsRecordType type) =>
            new DnsQueryResult(name, type, DnsOutcome.Timeout, null, "127.0.0.1:53", TimeSpan.FromSeconds(5), "no answer within 5 s");

        [Fact]
        public async Task An_asker_that_gives_up_does_not_take_the_answer_away_from_another()
        {
            var inner = new GatedResolver { Answer = NxDomain, Hold = true };
            var cache = new CachingDnsResolver(inner);
            using var cts = new CancellationTokenSource();
            var quitter = cache.QueryAsync("shared.example", DnsRecordType.A, cts.Token);
            var patient = cache.QueryAsync("shared.example", DnsRecordType.A, CancellationToken.None);
            Assert.Equal(1, inner.Calls); // one question in flight, shared

            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter.WaitAsync(Long));
            // The shared question was cancelled with the quitter's token: the patient asker asks again on its own.
            Assert.True(await MailOps.Testing.Poll.UntilAsync(() => Volatile.Read(ref inner.Calls) == 2, Long));
            inner.ReleaseAll();
            var answer = await patient.WaitAsync(Long);
            Assert.Equal(DnsOutcome.NxDomain, answer.Outcome);

            // The cancelled attempt left nothing behind: the answer is remembered for the next asker.
            var later = await cache.QueryAsync("SHARED.example.", DnsRecordType.A, CancellationToken.None).WaitAsync(Long);
            Assert.True(later.FromCache);
            Assert.Equal(2, inner.Calls);
        }

        [Fact]
        public async Task A_resolver_that_throws_fails_every_waiting_asker_and_is_not_remembered()
        {
            var inner = new GatedResolver { Answer = NxDomain, Throw = new InvalidOperationException("resolver bug") };
            var cache = new CachingDnsResolver(inner);
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.QueryAsync("bug.example", DnsRecordType.TXT, CancellationToken.None));
            Assert.Equal("resolver bug", e.Message);

            inner.Throw = null;
            var answer = await cache.QueryAsync("bug.example", DnsRecordType.TXT, CancellationToken.None);
            Assert.Equal(DnsOutcome.NxDomain, answer.Outcome);
            Assert.False(answer.FromCache);
            Assert.Equal(2, inner.Calls);
        }

        [Fact]
        public async Task An_unanswered_question_is_remembered_for_FailureTtl_then_asked_again()
        {
            var now = new DateTime(2026, 11, 29, 0, 0, 0, DateTimeKind.Utc);
            var inner = new GatedResolver { Answer = Timeout };
            var cache = new CachingDnsResolver(inner, () => now) { FailureTtl = TimeSpan.FromSeconds(30) };
            Assert.Equal(DnsOutcome.Timeout, (await cache.QueryAsync("dead.example", DnsRecordType.A, CancellationToken.None)).Outcome);
            now = now.AddSeconds(29);
            var again = await cache.QueryAsync("dead.example", DnsRecordType.A, CancellationToken.None);
            Assert.True(again.FromCache);
            Assert.Equal(DnsOutcome.Timeout, again.Outcome); // a remembered timeout is still a timeout, never "no record"
            now = now.AddSeconds(2);
            Assert.False((await cache.QueryAsync("dead.example", DnsRecordType.A, CancellationToken.None)).FromCache);
            Assert.Equal(2, inner.Calls);
        }

        [Fact]
        public async Task Types_and_names_are_kept_apart_but_case_and_the_trailing_dot_are_not()
        {
            var inner = new GatedResolver { Answer = NxDomain };
            var cache = new CachingDnsResolver(inner);
            await cache.QueryAsync("Mixed.Example", DnsRecordType.A, CancellationToken.None);
            Assert.True((await cache.QueryAsync("mixed.example.", DnsRecordType.A, CancellationToken.None)).FromCache);
            Assert.False((await cache.QueryAsync("mixed.example", DnsRecordType.AAAA, CancellationToken.None)).FromCache);
            Assert.False((await cache.QueryAsync("other.example", DnsRecordType.A, CancellationToken.None)).FromCache);
            Assert.Equal(3, inner.Calls);
            Assert.Equal(1, cache.Hits);
        }
    }
}
