using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using MailOps.Bounces;
using MailOps.Warmup;

namespace MailOps.Commands
{
    /// <summary>New-MailWarmupPlan: a day-by-day maximum for a new sending IP (overall and per large provider), with the
    /// rules that go with it; -Path saves it as JSON for Test-MailWarmup.</summary>
    [Cmdlet(VerbsCommon.New, "MailWarmupPlan", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(WarmupPlanDay))]
    public sealed class NewMailWarmupPlanCommand : MailOpsCmdlet
    {
        /// <summary>The first day of the warm-up.</summary>
        [Parameter(Mandatory = true)]
        public DateTime StartDate { get; set; }

        /// <summary>The daily volume to reach on the last day.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateRange(20, 10_000_000)]
        public int TargetDailyVolume { get; set; }

        [Parameter]
        [ValidateRange(WarmupPlanner.MinDays, WarmupPlanner.MaxDays)]
        public int Days { get; set; } = 28;

        /// <summary>The large providers to ramp separately (names as the bounce classifier gives them).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(MailProviderCompleter))]
        [ValidateNotNull]
        public string[] Provider { get; set; } = WarmupPlanner.DefaultProviders.ToArray();

        /// <summary>Saves the plan as JSON here.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Overwrites an existing file at -Path.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>With -Path, also writes the plan's days to the pipeline.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            var known = DeliveryFailureClassifier.ProviderNames;
            for (int i = 0; i < Provider.Length; i++)
            {
                var match = known.FirstOrDefault(k => string.Equals(k, Provider[i]?.Trim(), StringComparison.OrdinalIgnoreCase));
                if (match == null)
                {
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidWarmupPlan,
                        $"'{TextSafety.Escape(Provider[i] ?? "")}' is not a provider MailOps recognises, so its mail could not be counted against the plan.", Provider[i],
                        "Use one of: " + string.Join(", ", known) + " (tab completion lists them)."));
                    return;
                }
                Provider[i] = match;
            }
        }

        protected override void EndProcessing()
        {
            var plan = WarmupPlanner.Build(StartDate, TargetDailyVolume, Days, Provider);
            if (!plan.ReachesTarget)
                WriteWarning($"{Days} days are too few to reach {TargetDailyVolume} a day without more than doubling from one day to the next: the plan ends at {plan.Plan.Last(p => p.Provider == WarmupPlanner.All).MaxMessages}. Add -Days.");
            if (Path != null) Save(plan);
            if (Path == null || PassThru)
                foreach (var day in plan.Plan) WriteObject(day);
            base.EndProcessing();
        }

        private void Save(WarmupPlan plan)
        {
            var file = GetUnresolvedProviderPathFromPSPath(Path);
            if (Directory.Exists(file))
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.WarmupPlanWriteFailed, OutputFileProblem.IsDirectory, file, "plan file", hint: "Give -Path the plan file's name, e.g. warmup.json."));
                return;
            }
            if (File.Exists(file) && !Force)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.WarmupPlanFileExists, OutputFileProblem.Exists, file, "plan file"));
                return;
            }
            if (!ShouldProcess(file, $"Write the {Days}-day warm-up plan to {TargetDailyVolume} messages a day")) return;
            try
            {
                var dir = System.IO.Path.GetDirectoryName(file);
                if (!Strings.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                File.WriteAllText(file, plan.ToJson(), new UTF8Encoding(false));
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.WarmupPlanWriteFailed, OutputFileProblem.WriteFailed, file, "plan file", ex));
                return;
            }
            WriteVerbose($"Wrote {file}. Each evening: Get-MailDeliveryLog /var/log/mail.log | Test-MailWarmup -Plan '{file}'");
        }
    }
}
