using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Test-Port25Egress: can mail leave this machine on port 25? Open, Blocked, Intercepted or Unreachable, with the remedy.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "Port25Egress")]
    [OutputType(typeof(Port25EgressResult))]
    [OutputType(typeof(bool))]
    public sealed class TestPort25EgressCommand : DnsCmdlet
    {
        private readonly List<EgressTarget> _targets = new List<EgressTarget>();
        private bool _anyTargetGiven;

        public TestPort25EgressCommand()
        {
            TimeoutSec = 10;
        }

        /// <summary>Hosts to try ("host", "host:port"); default: the MX hosts of large mailbox providers.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "ComputerName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[]? Target { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int[] ControlPort { get; set; } = { 443, 587 };

        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>-TimeoutSec here is the deadline of each network step; DNS questions keep their own (see docs/transport.md).</summary>
        protected override System.TimeSpan DnsQueryTimeout => SmtpCmdletSupport.DnsQueryTimeout(TimeoutSec);

        protected override void ProcessRecord()
        {
            foreach (var t in Target ?? new string[0])
            {
                _anyTargetGiven = true;
                try
                {
                    _targets.Add(EgressTarget.Parse(t));
                }
                catch (FormatException ex)
                {
                    WriteError(ErrorRecords.ForInvalidTarget(t, ex, "mx.example.com, mx.example.com:2525, 192.0.2.25 or [2001:db8::25]:25"));
                }
            }
        }

        protected override void EndProcessing()
        {
            if (!_anyTargetGiven)
            {
                var unanswered = new List<DnsQueryResult>();
                var defaults = Await(ct => Port25Egress.DefaultTargetsAsync(Dns, unanswered, ct));
                WriteUnanswered(null, unanswered, _ => "That provider is left out.");
                if (defaults.Count == 0)
                {
                    // Never end with no output and no error: say that nothing could be tried, and what to do.
                    if (unanswered.Count > 0)
                        WriteError(ErrorRecords.ForDns(new DnsQueryFailedException(unanswered[0]), unanswered[0].Name));
                    WriteError(ErrorRecords.Create(ErrorId.NoEgressTargets,
                        "No default target could be resolved (the mailbox providers' MX hosts and their addresses), so port 25 was not tried.",
                        "port 25",
                        "Check that this machine's resolvers answer (or pass -Server 192.0.2.53), or name a target: Test-Port25Egress -Target mx.example.net"));
                    base.EndProcessing();
                    return;
                }
                _targets.AddRange(defaults);
            }
            if (_targets.Count == 0)
            {
                base.EndProcessing();   // every given target was invalid: errors written, -Quiet is $false
                return;
            }

            var options = new EgressOptions { Timeout = TimeSpan.FromSeconds(TimeoutSec), ControlPorts = ControlPort };
            var run = Await(ct => Port25Egress.CheckAsync(Dns, _targets, options, ThrottleLimit, Sink, ct));
            foreach (var f in run.Failures) WriteError(ErrorRecords.ForEgressFailure(f));
            var summary = run.Result;
            if (summary.Verdict == "Blocked" || summary.Verdict == "Intercepted")
                WriteWarning($"{summary.Message} {summary.Remedy}");
            WriteCheckResult(summary, summary.Verdict == "Open");
            // Nothing answered on any port: port 25 could not be judged. The result row says so (Verdict Unreachable,
            // for Export-Csv), and so does an error, as for any check that could not run.
            if (summary.Verdict == "Unreachable")
                WriteError(ErrorRecords.Create(ErrorId.EgressUnreachable, summary.Message, "port 25", summary.Remedy));
            base.EndProcessing();   // the one -Quiet Boolean
        }
    }
}
