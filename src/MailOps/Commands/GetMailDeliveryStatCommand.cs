using System.Management.Automation;
using MailOps;
using MailOps.Logs;

namespace MailOps.Commands
{
    /// <summary>Get-MailDeliveryStat: counts and rates of delivery records (per day, hour, provider, domain or reason) and
    /// the findings that need attention: bounce or deferral spikes against a trailing baseline, and blocks.</summary>
    [Cmdlet(VerbsCommon.Get, "MailDeliveryStat")]
    [OutputType(typeof(MailDeliveryStat), typeof(MailDeliveryFinding))]
    [OutputType(typeof(bool))]
    public sealed class GetMailDeliveryStatCommand : MailOpsCmdlet
    {
        /// <summary>Records from Get-MailDeliveryLog or Import-MailBounce (or objects with their property names).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject[]? InputObject { get; set; }

        [Parameter(Position = 0)]
        public DeliveryStatGrouping By { get; set; } = DeliveryStatGrouping.Day;

        /// <summary>How many periods before each period form its baseline for spike detection.</summary>
        [Parameter]
        [ValidateRange(1, 366)]
        public int Baseline { get; set; } = 7;

        /// <summary>Least attempts to a provider in a period (and in its baseline) for a spike to be judged.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MinVolume { get; set; } = 20;

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private DeliveryStatistics? _stats;
        private long _skipped;

        protected override void BeginProcessing()
        {
            _stats = new DeliveryStatistics(new DeliveryStatOptions { By = By, BaselinePeriods = Baseline, MinVolume = MinVolume });
        }

        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            foreach (var item in InputObject)
            {
                if (CancelToken.IsCancellationRequested) throw new PipelineStoppedException();
                if (!DeliveryInput.TryConvert(item, out var o, out var problem))
                {
                    WriteError(ErrorRecords.ForInvalidDeliveryRecord(item, problem));
                    continue;
                }
                if (o == null) { _skipped++; continue; }
                Begun(_stats).Add(o);
            }
        }

        protected override void EndProcessing()
        {
            if (_skipped > 0) WriteVerbose($"{_skipped} input(s) were auto-replies or feedback reports, not delivery outcomes: not counted.");
            WriteVerbose($"{Begun(_stats).Count} attempt(s) counted.");
            foreach (var row in Begun(_stats).Rows()) WriteCheckResult(row, true);
            foreach (var finding in Begun(_stats).Findings()) WriteCheckResult(finding, false);
            base.EndProcessing();
        }
    }
}
