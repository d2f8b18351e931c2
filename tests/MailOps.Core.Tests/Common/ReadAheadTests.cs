using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps;
using Xunit;

namespace MailOps.Tests.Common
{
    public class ReadAheadTests
    {
        private sealed class Source
        {
            public int Produced;
            public volatile bool Disposed;
            public int ThreadId = -1;
            public int ThrowAfter = -1;
            public ManualResetEventSlim? HoldAt;
            public int HoldIndex = -1;

            public IEnumerable<int> Items(int count)
            {
                ThreadId = Environment.CurrentManagedThreadId;
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (i == ThrowAfter) throw new FormatException($"bad row {i}");
                        if (i == HoldIndex) HoldAt!.Wait();
                        Interlocked.Increment(ref Produced);
                        yield return i;
                    }
                }
                finally
                {
                    Disposed = true;
                }
            }
        }

        [Fact]
        public void Every_item_comes_in_order_and_the_source_is_read_on_another_thread()
        {
            var source = new Source();
            var items = ReadAhead.Of(source.Items(10_000), CancellationToken.None, batchSize: 7, batches: 3).ToList();
            Assert.Equal(Enumerable.Range(0, 10_000), items);
            Assert.NotEqual(Environment.CurrentManagedThreadId, source.ThreadId);
            Assert.True(source.Disposed);
        }

        [Fact]
        public void An_exception_from_the_source_comes_after_the_items_read_before_it()
        {
            var source = new Source { ThrowAfter = 1000 };
            var seen = new List<int>();
            var e = Assert.Throws<FormatException>(() =>
            {
                foreach (var i in ReadAhead.Of(source.Items(5000), CancellationToken.None, batchSize: 64, batches: 2)) seen.Add(i);
            });
            Assert.Equal("bad row 1000", e.Message);
            Assert.Equal(Enumerable.Range(0, 1000), seen);
            Assert.True(source.Disposed);
        }

        [Fact]
        public void A_consumer_that_stops_early_stops_the_reader_and_the_source_is_let_go()
        {
            var source = new Source();
            var first = ReadAhead.Of(source.Items(1_000_000), CancellationToken.None, batchSize: 16, batches: 2).Take(5).ToList();
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, first);
            Assert.True(source.Disposed); // Take's Dispose waited for the reader to finish with the source
            Assert.InRange(source.Produced, 5, 16 * 2 + 16 + 16 + 1); // never more than a few batches ahead
        }

        [Fact]
        public void The_reader_stays_a_bounded_number_of_items_ahead_of_a_slow_consumer()
        {
            var source = new Source();
            int most = 0, consumed = 0;
            foreach (var i in ReadAhead.Of(source.Items(20_000), CancellationToken.None, batchSize: 32, batches: 4))
            {
                consumed++;
                if (consumed % 997 == 0) Thread.Sleep(2); // let the reader run as far ahead as it can
                most = Math.Max(most, Volatile.Read(ref source.Produced) - consumed);
            }
            Assert.Equal(20_000, consumed);
            // Queued batches, the batch being filled and the batch being consumed.
            Assert.InRange(most, 0, 32 * 4 + 32 + 32);
        }

        [Fact]
        public async Task Cancellation_while_waiting_for_the_reader_ends_the_enumeration()
        {
            using var hold = new ManualResetEventSlim();
            var source = new Source { HoldAt = hold, HoldIndex = 10 };
            using var cts = new CancellationTokenSource();
            var seen = new List<int>();
            var consumer = Task.Run(() =>
            {
                foreach (var i in ReadAhead.Of(source.Items(100), cts.Token, batchSize: 4, batches: 2)) seen.Add(i);
            });
            Assert.True(await MailOps.Testing.Poll.UntilAsync(() => Volatile.Read(ref source.Produced) == 10, TimeSpan.FromSeconds(10)));
            cts.Cancel();
            hold.Set(); // the source itself moves on; the reader then sees the stop
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(source.Disposed);
            // What was handed over before the cancellation came in order; no more than the two batches read.
            Assert.InRange(seen.Count, 0, 8);
            Assert.Equal(Enumerable.Range(0, seen.Count), seen);
        }
    }
}
