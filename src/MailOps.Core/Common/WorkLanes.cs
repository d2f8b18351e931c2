using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps
{
    /// <summary>
    /// Runs asynchronous work with at most <see cref="Limit"/> items in flight, first come first served. A lane that
    /// finishes an item takes the next one on the same thread: for DNS work, the socket's receive thread that completed
    /// the answer, so a saturated run goes from one answer straight to the next question without a thread-pool hop (a
    /// <see cref="SemaphoreSlim"/> resumes each waiter through the pool). A lane starts on the thread pool, never on the
    /// caller's thread, and ends when the queue is empty. Work must not block: it runs where answers are received.
    /// </summary>
    public sealed class WorkLanes
    {
        private readonly ConcurrentQueue<Item> _queue = new ConcurrentQueue<Item>();
        private int _active;

        /// <param name="limit">The most items in flight at once (at least 1).</param>
        public WorkLanes(int limit)
        {
            if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "At least one lane is needed.");
            Limit = limit;
        }

        /// <summary>The most items in flight at once.</summary>
        public int Limit { get; }

        /// <summary>Queues <paramref name="work"/>; the task completes with its result, exception or cancellation. Work
        /// whose <paramref name="cancellationToken"/> is cancelled while still queued is not started.</summary>
        public Task<T> Run<T>(Func<Task<T>> work, CancellationToken cancellationToken)
        {
            if (work == null) throw new ArgumentNullException(nameof(work));
            var item = new Item<T>(work, cancellationToken, ExecutionContext.Capture());
            _queue.Enqueue(item);
            if (TryTakeLane()) ThreadPool.UnsafeQueueUserWorkItem(s => _ = ((WorkLanes)s!).LaneAsync(), this);
            return item.Task;
        }

        /// <summary>Queues <paramref name="work"/> that returns nothing; as <see cref="Run{T}"/>.</summary>
        public Task Run(Func<Task> work, CancellationToken cancellationToken)
        {
            if (work == null) throw new ArgumentNullException(nameof(work));
            return Run<object?>(async () =>
            {
                await work().ConfigureAwait(false);
                return null;
            }, cancellationToken);
        }

        private bool TryTakeLane()
        {
            while (true)
            {
                var active = Volatile.Read(ref _active);
                if (active >= Limit) return false;
                if (Interlocked.CompareExchange(ref _active, active + 1, active) == active) return true;
            }
        }

        private async Task LaneAsync()
        {
            while (true)
            {
                while (_queue.TryDequeue(out var item))
                    await item.RunAsync().ConfigureAwait(false);
                Interlocked.Decrement(ref _active);
                // An item queued between the last look and the decrement found every lane taken and started none.
                if (_queue.IsEmpty || !TryTakeLane()) return;
            }
        }

        private abstract class Item
        {
            /// <summary>Runs the work and completes the item's task; never throws.</summary>
            public abstract Task RunAsync();
        }

        private sealed class Item<T> : Item
        {
            private readonly Func<Task<T>> _work;
            private readonly CancellationToken _cancellationToken;
            private readonly TaskCompletionSource<T> _tcs = new TaskCompletionSource<T>();
            // The queuing caller's context (culture, async-locals): the work starts on whichever thread runs the lane.
            private readonly ExecutionContext? _context;

            public Item(Func<Task<T>> work, CancellationToken cancellationToken, ExecutionContext? context)
            {
                _work = work;
                _cancellationToken = cancellationToken;
                _context = context;
            }

            private Task<T>? _started;
            private static readonly ContextCallback StartInContext = s => ((Item<T>)s!).StartHere();

            private void StartHere() => _started = _work();

            private Task<T> Start()
            {
                if (_context == null) return _work();
                ExecutionContext.Run(_context, StartInContext, this);
                return _started!; // set by the callback, which Run calls before it returns
            }

            public Task<T> Task => _tcs.Task;

            public override async Task RunAsync()
            {
                if (_cancellationToken.IsCancellationRequested)
                {
                    _tcs.TrySetCanceled(_cancellationToken);
                    return;
                }
                try
                {
                    _tcs.TrySetResult(await Start().ConfigureAwait(false));
                }
                catch (OperationCanceledException ex)
                {
                    _tcs.TrySetCanceled(ex.CancellationToken);
                }
                catch (Exception ex)
                {
                    _tcs.TrySetException(ex);
                }
            }
        }
    }
}
