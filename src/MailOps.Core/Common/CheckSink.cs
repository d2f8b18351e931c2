using System;
using System.Threading;

namespace MailOps
{
    /// <summary>
    /// The one way engine work tells whoever runs it what is happening while it runs: notes (the cmdlet's verbose stream),
    /// degraded-but-standing results (its warning stream) and progress. Results are not sent here: every engine call
    /// returns its results (a <see cref="CheckOutcome{T}"/>, a list, a summary) and the cmdlet writes them, in input order
    /// where there are many (FanOutCmdlet). Implemented once for cmdlets, in MailOpsCmdlet (each call is posted to the
    /// pipeline thread); <see cref="CheckSink.None"/> discards everything. Every member may be called from any thread.
    /// Messages say what happened in the engine's terms and name no cmdlet or parameter (the cmdlet adds advice).
    /// </summary>
    public interface ICheckSink
    {
        /// <summary>Whether anyone reads the notes: engine code that builds a note on a hot path (one per DNS question)
        /// skips the work when not.</summary>
        bool VerboseEnabled { get; }

        /// <summary>A note for whoever wants the detail (a DNS question and its answer, a zone's self-test).</summary>
        void Verbose(string message);

        /// <summary>A result is degraded but stands (a listing whose reason went unanswered).</summary>
        void Warning(string message);

        /// <summary>How far a long piece of work has come.</summary>
        void Progress(CheckProgress progress);
    }

    /// <summary>How far a long piece of engine work has come: <see cref="Done"/> of <see cref="Total"/> steps, the
    /// latest being <see cref="Current"/>.</summary>
    public sealed class CheckProgress
    {
        public CheckProgress(string activity, int done, int total, string current)
        {
            Activity = activity ?? throw new ArgumentNullException(nameof(activity));
            Done = done;
            Total = total;
            Current = current;
        }

        /// <summary>What is being done, in a few words ("DKIM selectors probed", "port 25 targets tried").</summary>
        public string Activity { get; }

        public int Done { get; }

        public int Total { get; }

        /// <summary>The step just finished (a selector, a target); may be null.</summary>
        public string Current { get; }

        /// <summary>0..100; 0 when the total is unknown.</summary>
        public int PercentComplete => Total <= 0 ? 0 : Math.Min(100, Done * 100 / Total);
    }

    /// <summary>Sinks for engine callers that are not cmdlets (tests, benchmarks) and a prefixing wrapper.</summary>
    public static class CheckSink
    {
        /// <summary>Discards everything.</summary>
        public static readonly ICheckSink None = new Delegating(null, null, null);

        /// <summary>A sink from delegates; a null delegate discards that kind.</summary>
        public static ICheckSink From(Action<string>? verbose = null, Action<string>? warning = null, Action<CheckProgress>? progress = null) =>
            new Delegating(verbose, warning, progress);

        /// <summary>The sink itself, or <see cref="None"/> for null: engine code calls through the result without checking.</summary>
        public static ICheckSink OrNone(this ICheckSink? sink) => sink ?? None;

        /// <summary>Progress of <paramref name="activity"/> counted across threads: each <see cref="ProgressCounter.Step"/>
        /// reports one more step done.</summary>
        public static ProgressCounter Counter(this ICheckSink? sink, string activity, int total) => new ProgressCounter(sink.OrNone(), activity, total);

        /// <summary>The same sink with <paramref name="prefix"/> before every note and warning (progress unchanged).</summary>
        public static ICheckSink Prefixed(this ICheckSink? sink, string prefix)
        {
            var inner = sink.OrNone();
            return new Delegating(inner.VerboseEnabled ? m => inner.Verbose(prefix + m) : (Action<string>?)null, m => inner.Warning(prefix + m), inner.Progress);
        }

        private sealed class Delegating : ICheckSink
        {
            private readonly Action<string>? _verbose, _warning;
            private readonly Action<CheckProgress>? _progress;

            public Delegating(Action<string>? verbose, Action<string>? warning, Action<CheckProgress>? progress)
            {
                _verbose = verbose;
                _warning = warning;
                _progress = progress;
            }

            public bool VerboseEnabled => _verbose != null;

            public void Verbose(string message) => _verbose?.Invoke(message);

            public void Warning(string message) => _warning?.Invoke(message);

            public void Progress(CheckProgress progress) => _progress?.Invoke(progress);
        }
    }

    /// <summary>Counts steps of one activity from any thread and reports each to a sink.</summary>
    public sealed class ProgressCounter
    {
        private readonly ICheckSink _sink;
        private readonly string _activity;
        private readonly int _total;
        private int _done;

        internal ProgressCounter(ICheckSink sink, string activity, int total)
        {
            _sink = sink;
            _activity = activity;
            _total = total;
        }

        /// <summary>One more step is done; <paramref name="current"/> names it.</summary>
        public void Step(string current) =>
            _sink.Progress(new CheckProgress(_activity, Interlocked.Increment(ref _done), _total, current));
    }
}
