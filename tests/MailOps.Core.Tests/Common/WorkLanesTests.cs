using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps;
using Xunit;

namespace MailOps.Tests.Common
{
    public class WorkLanesTests
    {
        private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

        [Fact]
        public async Task Never_more_items_in_flight_than_the_limit_and_every_item_runs()
        {
            var lanes = new WorkLanes(3);
            int inFlight = 0, most = 0;
            var tasks = Enumerable.Range(0, 200).Select(i => lanes.Run(async () =>
            {
                var now = Interlocked.Increment(ref inFlight);
                int seen;
                while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen) { }
                await Task.Delay(1);
                Interlocked.Decrement(ref inFlight);
                return i;
            }, CancellationToken.None)).ToList();
            var results = await Task.WhenAll(tasks).WaitAsync(Long);
            Assert.Equal(Enumerable.Range(0, 200), results);
            Assert.InRange(most, 1, 3);
            Assert.Equal(3, most); // 200 items of 1 ms each do fill three lanes
        }

        [Fact]
        public async Task Items_start_in_the_order_they_were_queued()
        {
            var lanes = new WorkLanes(1);
            var started = new ConcurrentQueue<int>();
            var gate = new TaskCompletionSource<bool>();
            var first = lanes.Run(async () => { started.Enqueue(0); await gate.Task; return 0; }, CancellationToken.None);
            var rest = Enumerable.Range(1, 20).Select(i => lanes.Run(() => { started.Enqueue(i); return Task.FromResult(i); }, CancellationToken.None)).ToList();
            gate.SetResult(true);
            await Task.WhenAll(rest.Prepend(first)).WaitAsync(Long);
            Assert.Equal(Enumerable.Range(0, 21), started);
        }

        [Fact]
        public async Task The_next_item_runs_on_the_thread_that_completed_the_last_one()
        {
            // The DNS receive thread completes an answer: the lane's next question must follow on that thread, not wait
            // for a thread-pool worker.
            var lanes = new WorkLanes(1);
            var answer = new TaskCompletionSource<int>();
            int secondThread = -1;
            var asked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = lanes.Run(() => { asked.SetResult(true); return answer.Task; }, CancellationToken.None);
            var second = lanes.Run(() => { secondThread = Environment.CurrentManagedThreadId; return Task.FromResult(2); }, CancellationToken.None);
            int completer = -1;
            Assert.True(await asked.Task.WaitAsync(Long));
            // The lane awaits the answer microseconds after asking; half a second leaves it ample time to do so.
            await Task.Delay(500);
            var thread = new Thread(() => { completer = Environment.CurrentManagedThreadId; answer.SetResult(1); });
            thread.Start();
            thread.Join();
            Assert.Equal(1, await first.WaitAsync(Long));
            Assert.Equal(2, await second.WaitAsync(Long));
            Assert.Equal(completer, secondThread);
        }

        [Fact]
        public async Task A_failing_item_fails_its_own_task_only()
        {
            var lanes = new WorkLanes(2);
            var bad = lanes.Run<int>(() => throw new InvalidOperationException("boom"), CancellationToken.None);
            var badAsync = lanes.Run<int>(async () => { await Task.Yield(); throw new FormatException("late boom"); }, CancellationToken.None);
            var good = Enumerable.Range(0, 10).Select(i => lanes.Run(() => Task.FromResult(i), CancellationToken.None)).ToList();
            Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Long))).Message);
            Assert.Equal("late boom", (await Assert.ThrowsAsync<FormatException>(() => badAsync.WaitAsync(Long))).Message);
            Assert.Equal(Enumerable.Range(0, 10), await Task.WhenAll(good).WaitAsync(Long));
        }

        [Fact]
        public async Task Queued_items_whose_token_is_cancelled_never_start()
        {
            var lanes = new WorkLanes(1);
            var gate = new TaskCompletionSource<int>();
            using var cts = new CancellationTokenSource();
            int started = 0;
            var blocker = lanes.Run(() => gate.Task, CancellationToken.None);
            var queued = Enumerable.Range(0, 5).Select(i => lanes.Run(() => { Interlocked.Increment(ref started); return Task.FromResult(i); }, cts.Token)).ToList();
            cts.Cancel();
            gate.SetResult(0);
            await blocker.WaitAsync(Long);
            foreach (var q in queued)
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.WaitAsync(Long));
            Assert.Equal(0, started);
            // The lanes are free again for later work.
            Assert.Equal(7, await lanes.Run(() => Task.FromResult(7), CancellationToken.None).WaitAsync(Long));
        }

        [Fact]
        public async Task Work_queued_after_the_lanes_went_idle_still_runs()
        {
            var lanes = new WorkLanes(2);
            for (int round = 0; round < 50; round++)
            {
                var tasks = Enumerable.Range(0, 5).Select(i => lanes.Run(async () => { await Task.Yield(); return i; }, CancellationToken.None)).ToList();
                Assert.Equal(Enumerable.Range(0, 5), await Task.WhenAll(tasks).WaitAsync(Long));
            }
        }

        [Fact]
        public async Task Work_without_a_result_runs_under_the_same_limit_and_reports_its_failure()
        {
            var lanes = new WorkLanes(2);
            int inFlight = 0, most = 0, done = 0;
            var tasks = Enumerable.Range(0, 20).Select(_ => lanes.Run(async () =>
            {
                var now = Interlocked.Increment(ref inFlight);
                lock (lanes) most = Math.Max(most, now);
                await Task.Delay(2);
                Interlocked.Decrement(ref inFlight);
                Interlocked.Increment(ref done);
            }, CancellationToken.None)).ToList();
            await Task.WhenAll(tasks).WaitAsync(Long);
            Assert.Equal(20, done);
            Assert.Equal(2, most);
            var failing = lanes.Run(async () => { await Task.Yield(); throw new TimeoutException("no answer"); }, CancellationToken.None);
            Assert.Equal("no answer", (await Assert.ThrowsAsync<TimeoutException>(() => failing.WaitAsync(Long))).Message);
        }

        [Fact]
        public async Task Work_runs_in_the_culture_of_the_code_that_queued_it()
        {
            // Engine messages format numbers in the caller's culture (PowerShell's pipeline thread carries the user's);
            // the lane that runs the work may be any thread, here one with the default culture.
            var lanes = new WorkLanes(1);
            var gate = new TaskCompletionSource<int>();
            var blocker = lanes.Run(() => gate.Task, CancellationToken.None);
            var saved = System.Globalization.CultureInfo.CurrentCulture;
            Task<string> formatted;
            try
            {
                System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
                formatted = lanes.Run(() => Task.FromResult(string.Format("{0}", 1.5)), CancellationToken.None);
            }
            finally
            {
                System.Globalization.CultureInfo.CurrentCulture = saved;
            }
            var completer = new Thread(() => gate.SetResult(0));
            completer.Start();
            completer.Join();
            await blocker.WaitAsync(Long);
            Assert.Equal("1,5", await formatted.WaitAsync(Long));
        }

        [Fact]
        public void A_limit_below_one_is_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new WorkLanes(0));
        }
    }
}
