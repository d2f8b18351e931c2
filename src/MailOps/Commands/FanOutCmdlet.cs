using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of the cmdlets that check many inputs (domains, hosts, addresses) independently: the one fan-out.
    /// <list type="bullet">
    /// <item>Owns <c>-ThrottleLimit</c> (default 16): at most that many inputs are worked on at once.</item>
    /// <item><see cref="StartItem"/> (called from ProcessRecord) starts an input's work at once, so the next input can
    /// be read while this one runs; EndProcessing waits for the rest.</item>
    /// <item>Results stream <b>in input order</b>: each item's write-back runs on the pipeline thread as soon as it and every
    /// item before it have finished. Input order makes reports and diffs stable; a slow input delays the ones behind it
    /// (never their work, only their output).</item>
    /// <item>Bounded memory: when more than <c>4 × ThrottleLimit</c> items are started but not yet written, ProcessRecord
    /// waits for the oldest one, so a 100,000-line input never holds more than that many results.</item>
    /// <item>Progress: one record, ActivityId <see cref="ProgressActivityId"/>, activity = the cmdlet name, at most every
    /// 250 ms, completed in EndProcessing.</item>
    /// <item>Ctrl+C: every wait goes through <see cref="MailOpsCmdlet.Await(Func{CancellationToken, Task})"/>, which cancels the
    /// token and ends the pipeline within a second.</item>
    /// <item>One DNS cache for the whole pipeline: <see cref="DnsCmdlet.Dns"/> is built once in BeginProcessing and shared
    /// by every item, so a question asked for one domain (a shared include such as _spf.google.com) is answered from the
    /// cache for all others; concurrent identical questions are sent once.</item>
    /// </list>
    /// Only the pipeline thread calls Write*: work running on other threads calls Post, and returns its write-back.
    /// </summary>
    public abstract class FanOutCmdlet : DnsCmdlet
    {
        /// <summary>The ActivityId of the progress record every fan-out cmdlet writes.</summary>
        public const int ProgressActivityId = 1;

        private readonly Queue<Task<Action>> _pendingItems = new Queue<Task<Action>>();
        private readonly Stopwatch _progressClock = new Stopwatch();
        private WorkLanes? _lanes;
        private int _started, _finished, _written;

        /// <summary>How many inputs are checked at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = 16;

        /// <summary>Engine progress (<see cref="MailOpsCmdlet.Sink"/>) shows under the fan-out record (hosts show a child whose parent was never written as a top-level bar).</summary>
        protected override int EngineProgressParentId => ProgressActivityId;

        /// <summary>Added to the progress status after the counts (e.g. "3 listed, 0 errors"); null for none. Read on the
        /// pipeline thread.</summary>
        protected virtual string? ProgressDetail => null;

        /// <summary>Items started and not yet written, above which ProcessRecord waits for the oldest.</summary>
        protected int Window => Math.Max(16, ThrottleLimit * 4);

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _lanes = new WorkLanes(ThrottleLimit);
            _progressClock.Start();
        }

        /// <summary>
        /// Starts one input's work. <paramref name="work"/> runs on a lane (<see cref="WorkLanes"/>: a pool thread, or the
        /// thread that finished the previous input's work) under the throttle, must not block, and returns the write-back
        /// (WriteObject, WriteError, ...) that the pipeline thread runs in input order. Expected failures (a DNS question
        /// unanswered) belong in the write-back as ErrorRecords; anything else thrown ends the command.
        /// </summary>
        protected void StartItem(Func<CancellationToken, Task<Action>> work)
        {
            if (work == null) throw new ArgumentNullException(nameof(work));
            _started++;
            var lanes = _lanes ?? throw new InvalidOperationException("StartItem runs after BeginProcessing.");
            var token = CancelToken;
            // At most -ThrottleLimit inputs at once, in input order; a lane that finishes one input starts the next on the
            // same thread (often the DNS receive thread that completed the last answer), with no thread-pool hop.
            var task = lanes.Run(async () =>
            {
                try
                {
                    return await work(token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Increment(ref _finished);
                }
            }, token);
            _pendingItems.Enqueue(task);
            WriteReady(block: _pendingItems.Count > Window);
        }

        /// <summary>Runs posted Write* calls and the write-backs of the finished items at the head of the queue. With
        /// <paramref name="block"/>, first waits (pumping, Ctrl+C honoured) until the oldest item is done.</summary>
        private void WriteReady(bool block)
        {
            if (block && _pendingItems.Count > 0)
            {
                var head = _pendingItems.Peek();
                Await(ct => head);
            }
            DrainPosted();
            while (_pendingItems.Count > 0 && _pendingItems.Peek().IsCompleted)
            {
                var done = _pendingItems.Dequeue();
                Action writeBack;
                try
                {
                    writeBack = Await(ct => done);
                }
                catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
                _written++;
                writeBack?.Invoke();
            }
            WriteFanOutProgress(force: false);
        }

        private void WriteFanOutProgress(bool force)
        {
            if (_started < 2) return;
            if (!force && _progressClock.ElapsedMilliseconds < 250) return;
            _progressClock.Restart();
            var finished = Volatile.Read(ref _finished);
            var detail = ProgressDetail;
            WriteProgress(new ProgressRecord(ProgressActivityId, MyInvocation.MyCommand.Name,
                $"{finished} of {_started} done ({ThrottleLimit} at a time)" + (Strings.IsNullOrEmpty(detail) ? "" : "; " + detail))
            {
                PercentComplete = Math.Min(100, finished * 100 / _started),
            });
        }

        /// <summary>Waits for every started item, writing each in input order, completes the progress record, then writes
        /// the -Quiet Boolean (<see cref="MailOpsCmdlet"/>). Derived classes that override EndProcessing call this last.</summary>
        protected override void EndProcessing()
        {
            while (_pendingItems.Count > 0) WriteReady(block: true);
            DrainPosted();
            WriteFanOutProgress(force: true);   // the final count, then the bar is completed
            if (_started >= 2)
                WriteProgress(new ProgressRecord(ProgressActivityId, MyInvocation.MyCommand.Name, "Done") { RecordType = ProgressRecordType.Completed });
            _lanes = null;
            base.EndProcessing();
        }
    }
}
