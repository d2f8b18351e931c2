using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>What one pipeline run produced.</summary>
    public sealed class PsRun
    {
        public IReadOnlyList<PSObject> Output { get; init; } = Array.Empty<PSObject>();
        public IReadOnlyList<ErrorRecord> Errors { get; init; } = Array.Empty<ErrorRecord>();
        public IReadOnlyList<WarningRecord> Warnings { get; init; } = Array.Empty<WarningRecord>();
        public IReadOnlyList<VerboseRecord> Verbose { get; init; } = Array.Empty<VerboseRecord>();
        public IReadOnlyList<ProgressRecord> Progress { get; init; } = Array.Empty<ProgressRecord>();
        /// <summary>A terminating error, if the pipeline stopped on one.</summary>
        public ErrorRecord? Terminating { get; init; }

        public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]);

        /// <summary>The error that ended a statement: a cmdlet's ThrowTerminatingError ends its statement (the script
        /// goes on, as in an interactive session), so it shows in the error stream, or here when the whole run stopped.</summary>
        public ErrorRecord? StatementTerminating => Terminating ?? Errors.LastOrDefault();

        /// <summary>A property of the i-th output object.</summary>
        public object? Prop(int i, string name) => Output[i].Properties[name]?.Value;
    }

    /// <summary>
    /// Runs script text in a fresh hosted PowerShell 7.6 runspace with the built MailOps module imported from
    /// out/MailOps/MailOps.psd1. A fresh runspace per run keeps tests independent.
    /// </summary>
    public static class ModuleHost
    {
        /// <summary>Starts the script, presses Ctrl+C (PowerShell.Stop) after <paramref name="stopAfter"/>, and returns
        /// how long the stop took to end the pipeline.</summary>
        public static TimeSpan RunAndStop(string script, IDictionary<string, object?> variables, TimeSpan stopAfter) =>
            RunAndStop(script, variables, stopAfter, null);

        /// <summary>Starts <paramref name="script"/>, waits until <paramref name="ready"/> (for example: the hanging query
        /// has reached the fixture server; at most 60 s) and then <paramref name="stopAfter"/>, presses Ctrl+C and returns
        /// how long the stop took. Asserts the pipeline was running then and ended Stopped.</summary>
        public static TimeSpan RunAndStop(string script, IDictionary<string, object?> variables, TimeSpan stopAfter, Func<bool>? ready)
        {
            using var runspace = Open(variables);
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript("Import-Module $ModuleManifest -ErrorAction Stop\n" + script);
            var async = ps.BeginInvoke();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (ready != null && !ready() && !async.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(60))
                System.Threading.Thread.Sleep(20);
            System.Threading.Thread.Sleep(stopAfter);
            // The command must still be running when Ctrl+C comes (a binding or import failure would have ended it),
            // and must end as a stopped pipeline: otherwise a fast "stop" proves nothing.
            // (The message is built only on failure: enumerating a running pipeline's stream blocks until the pipeline ends.)
            if (ps.InvocationStateInfo.State != PSInvocationState.Running)
                Xunit.Assert.Fail($"The pipeline was not running when stopped: {ps.InvocationStateInfo.State}; errors: {string.Join("; ", ps.Streams.Error.ReadAll().Select(e => e.ToString()))}");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            // Ctrl+C in a console comes on another thread with no SynchronizationContext (the console's signal handler);
            // xunit runs tests under its own context, so the stop is made from a thread-pool thread as the console does.
            System.Threading.Tasks.Task.Run(() => ps.Stop()).Wait();
            var stopReturned = sw.Elapsed;
            // The user waits until the prompt is back: the pipeline has ended, not only Stop() has returned.
            try { ps.EndInvoke(async); } catch (PipelineStoppedException) { }
            sw.Stop();
            var stopTook = sw.Elapsed;
            if (ps.InvocationStateInfo.State != PSInvocationState.Stopped)
                Xunit.Assert.Fail($"Ended {ps.InvocationStateInfo.State}, not Stopped (Stop() returned after {stopReturned.TotalMilliseconds:0} ms, the pipeline ended after {stopTook.TotalMilliseconds:0} ms); errors: {string.Join("; ", ps.Streams.Error.ReadAll().Select(e => e.ToString()))}");
            return sw.Elapsed;
        }

        private static Runspace Open(IDictionary<string, object?>? variables)
        {
            var iss = InitialSessionState.CreateDefault2();
            var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
            runspace.SessionStateProxy.Path.SetLocation(Paths.RepoRoot);
            foreach (var kv in variables ?? new Dictionary<string, object?>())
                runspace.SessionStateProxy.SetVariable(kv.Key, kv.Value);
            runspace.SessionStateProxy.SetVariable("ModuleManifest", Paths.ModuleManifest);
            runspace.SessionStateProxy.SetVariable("RepoRoot", Paths.RepoRoot);
            return runspace;
        }

        public static PsRun Run(string script, IDictionary<string, object?>? variables = null, bool importModule = true)
        {
            using var runspace = Open(variables);
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            var text = importModule ? "Import-Module $ModuleManifest -ErrorAction Stop\n" + script : script;
            ps.AddScript(text);
            IReadOnlyList<PSObject> output;
            ErrorRecord? terminating = null;
            try
            {
                output = ps.Invoke().ToList();
            }
            catch (RuntimeException ex)
            {
                output = Array.Empty<PSObject>();
                terminating = ex.ErrorRecord;
            }
            return new PsRun
            {
                Output = output.Where(o => o != null).ToList(),
                Errors = ps.Streams.Error.ToList(),
                Warnings = ps.Streams.Warning.ToList(),
                Verbose = ps.Streams.Verbose.ToList(),
                Progress = ps.Streams.Progress.ToList(),
                Terminating = terminating,
            };
        }
    }

    /// <summary>Runspace tests share process-wide state in the engine; never run them in parallel.</summary>
    [CollectionDefinition("Runspace", DisableParallelization = true)]
    public sealed class RunspaceCollection { }
}
