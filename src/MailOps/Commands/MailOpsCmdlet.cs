using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using MailOps.Dns;
using System.Threading.Tasks;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of every MailOps cmdlet: owns the CancellationTokenSource that Ctrl+C (StopProcessing) cancels, and a
    /// pump so that engine work running on other threads can have output, verbose lines and progress written
    /// on the pipeline thread, as they happen.
    /// </summary>
    // Null and parameters, for every cmdlet: an optional parameter is nullable (string?, string[]?) unless it has a default.
    // A Mandatory one is not: PowerShell binds it before ProcessRecord runs (in its parameter set, the only one whose code
    // reads it), so an array starts as Array.Empty and any other type as `= null!;` (the compiler cannot see the binding).
    public abstract class MailOpsCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly BlockingCollection<Action> _pending = new BlockingCollection<Action>();

        /// <summary>Before any cmdlet runs: findings get the cmdlet layer's advice (which cmdlet or parameter does the fix).</summary>
        static MailOpsCmdlet() => Finding.CommandAdvice = Advice.ForFinding;

        /// <summary>A field BeginProcessing sets, read in ProcessRecord or EndProcessing: PowerShell runs BeginProcessing first
        /// (and nothing after it when it ends the command), so the field is null only before then.</summary>
        protected static T Begun<T>(T? field) where T : class =>
            field ?? throw new InvalidOperationException("BeginProcessing has not run.");

        /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing). Pass it to every engine call. (Named apart from
        /// <see cref="Cmdlet.Stopping"/>, the Boolean PowerShell sets at the same moment.)</summary>
        protected CancellationToken CancelToken => _cts.Token;

        protected override void StopProcessing() => _cts.Cancel();

        /// <summary>Queues a Write* call for the pipeline thread. Safe from any thread.</summary>
        protected void Post(Action action)
        {
            // After Ctrl+C nothing more is written: work cancelled by the user reports no "timed out" errors.
            if (_cts.IsCancellationRequested) return;
            if (!_pending.IsAddingCompleted) _pending.Add(action);
        }

        /// <summary>Runs engine work and pumps posted Write* calls until it finishes. Ctrl+C ends it as a stopped pipeline.</summary>
        protected T Await<T>(Func<CancellationToken, Task<T>> work)
        {
            var task = Task.Run(() => work(_cts.Token));
            Pump(task);
            // Work that ended because the user pressed Ctrl+C ends the pipeline as stopped, whatever it returned.
            if (_cts.IsCancellationRequested) throw Stopped();
            try
            {
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                throw Stopped();
            }
        }

        protected void Await(Func<CancellationToken, Task> work) => Await<bool>(async ct => { await work(ct).ConfigureAwait(false); return true; });

        private void Pump(Task task)
        {
            // Woken by a posted action, by the work completing, or by Ctrl+C: never idles while the work is done.
            using (var wake = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token))
            {
                task.ContinueWith(static (_, state) =>
                {
                    try { ((CancellationTokenSource)state).Cancel(); }
                    catch (ObjectDisposedException) { }
                }, wake, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                while (!task.IsCompleted)
                {
                    try
                    {
                        if (_pending.TryTake(out var action, Timeout.Infinite, wake.Token)) action();
                    }
                    catch (OperationCanceledException) when (wake.IsCancellationRequested) { }
                    if (_cts.IsCancellationRequested && !task.IsCompleted)
                    {
                        // Give the engine a moment to observe the token, then stop regardless: Ctrl+C within a second.
                        ((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
                        if (!task.IsCompleted) throw Stopped();
                    }
                }
            }
            while (_pending.TryTake(out var rest)) rest();
        }

        private ICheckSink? _sink;

        /// <summary>The one <see cref="ICheckSink"/> this cmdlet hands to engine work: verbose notes and warnings are posted to
        /// the pipeline thread as they happen; engine progress becomes the progress record <see cref="EngineProgressActivityId"/>
        /// (a child of the fan-out record when there is one), written at most every 250 ms and when the last step is done.</summary>
        protected ICheckSink Sink => _sink ?? (_sink = new PostingSink(this, VerboseWanted()));

        /// <summary>Whether verbose records of this invocation are shown: -Verbose, or $VerbosePreference in the caller's scope.
        /// Read on the pipeline thread (the Sink is first taken there, in BeginProcessing).</summary>
        private bool VerboseWanted()
        {
            if (MyInvocation.BoundParameters.TryGetValue("Verbose", out var v))
                return v is SwitchParameter s ? s.IsPresent : v is bool b && b;
            object? pref;
            try { pref = SessionState.PSVariable.GetValue("VerbosePreference"); }
            catch (PSInvalidOperationException) { return true; }
            var text = pref?.ToString();
            return !(string.Equals(text, "SilentlyContinue", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "Ignore", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>The ActivityId of the progress record engine work reports through <see cref="Sink"/>.</summary>
        public const int EngineProgressActivityId = 2;

        private sealed class PostingSink : ICheckSink
        {
            private readonly MailOpsCmdlet _cmdlet;
            private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
            private long _lastProgress = -1000;   // the first step is shown at once

            public PostingSink(MailOpsCmdlet cmdlet, bool verbose)
            {
                _cmdlet = cmdlet;
                VerboseEnabled = verbose;
            }

            /// <summary>False without -Verbose: notes are then not even posted (one per DNS question otherwise).</summary>
            public bool VerboseEnabled { get; }

            public void Verbose(string message)
            {
                if (VerboseEnabled) _cmdlet.Post(() => _cmdlet.WriteVerbose(message));
            }

            public void Warning(string message) => _cmdlet.Post(() => _cmdlet.WriteWarning(message));

            public void Progress(CheckProgress progress)
            {
                if (progress == null) return;
                var now = _clock.ElapsedMilliseconds;
                var last = Interlocked.Read(ref _lastProgress);
                var final = progress.Total > 0 && progress.Done >= progress.Total;
                if (!final && now - last < 250) return;
                if (Interlocked.CompareExchange(ref _lastProgress, now, last) != last && !final) return;
                _cmdlet.Post(() => _cmdlet.WriteProgress(new ProgressRecord(EngineProgressActivityId, progress.Activity,
                    progress.Total > 0 ? $"{progress.Done} of {progress.Total}" + (progress.Current == null ? "" : $": {TextSafety.Escape(progress.Current)}")
                                       : $"{progress.Done} done")
                {
                    PercentComplete = progress.Total > 0 ? progress.PercentComplete : -1,
                    ParentActivityId = _cmdlet.EngineProgressParentId,
                }));
            }
        }

        /// <summary>The parent of engine progress records: the fan-out record where there is one (FanOutCmdlet), else none (-1).</summary>
        protected virtual int EngineProgressParentId => -1;

        /// <summary>Runs the Write* calls posted so far, without waiting. For cmdlets that start engine work in ProcessRecord
        /// (so results stream while input is still arriving) and wait for it with <see cref="Await"/> in EndProcessing.</summary>
        protected void DrainPosted()
        {
            while (_pending.TryTake(out var action)) action();
        }

        // ------------------------------------------------------------------------------------------------------
        // The -Quiet rule, in one place: a cmdlet with a -Quiet switch writes exactly one Boolean per invocation,
        // $true only when every input passed and every check ran. Derived cmdlets report each input with
        // WriteCheckResult (or RecordCheck) and write errors as usual; any non-terminating error makes the answer
        // $false (under -Quiet the error itself is not written, as Test-Connection -Quiet does). The Boolean is
        // written in EndProcessing: a derived cmdlet that overrides EndProcessing calls base.EndProcessing() last.
        // No input at all is $false (nothing was checked).
        // ------------------------------------------------------------------------------------------------------

        private int _checks;
        private bool _anyFailed;

        /// <summary>True when the invocation has -Quiet (any derived cmdlet that declares a Quiet switch).</summary>
        protected bool QuietMode =>
            MyInvocation.BoundParameters.TryGetValue("Quiet", out var q) && (q is SwitchParameter s ? s.IsPresent : q is bool b && b);

        /// <summary>Records one checked input: passed, or not (a finding that fails it).</summary>
        protected void RecordCheck(bool passed)
        {
            _checks++;
            if (!passed) _anyFailed = true;
        }

        /// <summary>Records one checked input and, without -Quiet, writes its result object.</summary>
        protected void WriteCheckResult(object result, bool passed)
        {
            RecordCheck(passed);
            if (!QuietMode) WriteObject(result);
        }

        /// <summary>Marks the invocation as not passed (a check could not run) without writing anything.</summary>
        protected void RecordCheckFailed() => _anyFailed = true;

        /// <summary>Every non-terminating error a MailOps cmdlet writes means a check could not run: under -Quiet it
        /// makes the single Boolean $false instead of being written.</summary>
        protected new void WriteError(ErrorRecord errorRecord)
        {
            _anyFailed = true;
            if (QuietMode) return;
            // -ErrorAction Stop turns this error into the end of the command: take the bars off the screen first
            // (once the error is written, the pipeline is stopping and takes no more records).
            if (ErrorStopsCommand()) TryCompleteProgress();
            base.WriteError(errorRecord);
        }

        /// <summary>The -Quiet answer so far: every input passed and every check ran (and there was at least one).</summary>
        protected bool QuietVerdict => _checks > 0 && !_anyFailed;

        /// <summary>Completes every progress bar still open, then writes the single -Quiet Boolean. Derived cmdlets that
        /// override this call base.EndProcessing() last.</summary>
        protected override void EndProcessing()
        {
            CompleteProgress();
            if (QuietMode) WriteObject(QuietVerdict);
        }

        // ------------------------------------------------------------------------------------------------------
        // Progress, in one place: every progress record a MailOps cmdlet writes goes through WriteProgress below,
        // which remembers the bars still open. They are completed (RecordType = Completed) when the cmdlet ends:
        // in EndProcessing, before a terminating error (ThrowTerminatingError, -ErrorAction Stop on an error), and
        // as far as PowerShell allows on Ctrl+C (a stopping pipeline refuses further records; PowerShell then ends
        // the bars itself when the pipeline stops).
        // ------------------------------------------------------------------------------------------------------

        private readonly Dictionary<int, ProgressRecord> _openProgress = new Dictionary<int, ProgressRecord>();

        /// <summary>Writes a progress record and remembers the bar until it is completed.</summary>
        protected new void WriteProgress(ProgressRecord progressRecord)
        {
            if (progressRecord == null) throw new ArgumentNullException(nameof(progressRecord));
            if (progressRecord.RecordType == ProgressRecordType.Completed) _openProgress.Remove(progressRecord.ActivityId);
            else _openProgress[progressRecord.ActivityId] = progressRecord;
            base.WriteProgress(progressRecord);
        }

        /// <summary>Completes every bar still open (children before parents). Safe to call more than once.</summary>
        protected void CompleteProgress()
        {
            foreach (var open in _openProgress.Values.OrderByDescending(r => r.ParentActivityId >= 0 ? 1 : 0).ThenByDescending(r => r.ActivityId).ToList())
            {
                _openProgress.Remove(open.ActivityId);
                base.WriteProgress(new ProgressRecord(open.ActivityId, open.Activity, "Done")
                {
                    ParentActivityId = open.ParentActivityId,
                    RecordType = ProgressRecordType.Completed,
                });
            }
        }

        /// <summary>Completes the open bars where the pipeline still takes records; never throws.</summary>
        private void TryCompleteProgress()
        {
            if (_openProgress.Count == 0) return;
            try { CompleteProgress(); }
            catch (PipelineStoppedException) { _openProgress.Clear(); }
            catch (InvalidOperationException) { _openProgress.Clear(); }
        }

        /// <summary>True when a non-terminating error ends the command: -ErrorAction Stop, or $ErrorActionPreference = 'Stop'.</summary>
        private bool ErrorStopsCommand()
        {
            object? pref = null;
            if (!MyInvocation.BoundParameters.TryGetValue("ErrorAction", out pref))
            {
                try { pref = SessionState.PSVariable.GetValue("ErrorActionPreference"); }
                catch (PSInvalidOperationException) { return false; }
            }
            return pref is ActionPreference a ? a == ActionPreference.Stop
                : string.Equals(pref?.ToString(), "Stop", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>The exception that ends a pipeline stopped by Ctrl+C, after the last attempt to complete progress.</summary>
        private PipelineStoppedException Stopped()
        {
            TryCompleteProgress();
            return new PipelineStoppedException();
        }

        /// <summary>Ends the command with a terminating error, completing its progress bars first.</summary>
        protected new void ThrowTerminatingError(ErrorRecord errorRecord)
        {
            TryCompleteProgress();
            base.ThrowTerminatingError(errorRecord);
        }

        /// <summary>
        /// The one place domain input is read, for every domain-taking cmdlet: takes what people paste (user@example.com,
        /// https://example.com/, a trailing dot, upper case, an IDN; see <see cref="DnsName.TryNormalizeInput"/>) and gives
        /// the lower-case A-label name. Anything else writes an InvalidDomainName error (InvalidArgument) naming the input
        /// and returns false: the caller goes on with the next input, and no DNS question is asked for it.
        /// </summary>
        protected bool TryNormalizeDomain(string? input, [NotNullWhen(true)] out string? domain)
        {
            var problem = DnsName.TryNormalizeInput(input ?? "", out domain);
            if (problem != null)
            {
                WriteError(ErrorRecords.ForInvalidName(input, problem, "domain name",
                    "Pass a domain name such as example.com (an address such as user@example.com or a URL such as https://example.com/ also works)."));
                return false;
            }
            if (!string.Equals(domain, (input ?? "").Trim(), StringComparison.Ordinal))
                WriteVerbose($"'{TextSafety.Escape(input)}' read as the domain {domain}.");
            return domain != null; // TryNormalizeInput gives a domain whenever it names no problem: always true here.
        }

        public void Dispose()
        {
            _cts.Dispose();
            _pending.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
