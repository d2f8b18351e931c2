using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Logs;
using MailOps.Warmup;

namespace MailOps.Commands
{
    /// <summary>Test-MailWarmup: per plan day and provider, what was sent against the plan, the deferral and bounce rates,
    /// and a verdict (OnTrack, OverPlan, Hold, StepBack) with its reason and the next step.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailWarmup")]
    [OutputType(typeof(WarmupDayResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailWarmupCommand : MailOpsCmdlet
    {
        /// <summary>The plan: a JSON file written by New-MailWarmupPlan -Path, or its day objects (also Import-Csv rows of them).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public object[] Plan { get; set; } = Array.Empty<object>();

        /// <summary>Delivery records (Get-MailDeliveryLog, Import-MailBounce) or Postfix log file paths.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
        [AllowNull]
        public object[]? Log { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private WarmupTracker? _tracker;

        protected override void BeginProcessing()
        {
            WarmupPlan plan;
            try
            {
                plan = ReadPlan();
            }
            catch (Exception ex) when (ex is FormatException || ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException)
            {
                var notFound = ex is FileNotFoundException || ex is DirectoryNotFoundException;
                ThrowTerminatingError(ErrorRecords.Create(notFound ? ErrorId.WarmupPlanNotFound : ErrorId.InvalidWarmupPlan, $"The warm-up plan cannot be read: {ex.Message}", Plan,
                    "Pass the JSON file New-MailWarmupPlan -Path wrote, or the plan's day objects (New-MailWarmupPlan, Import-Csv of its export).", ex));
                return;
            }
            _tracker = new WarmupTracker(plan);
        }

        private WarmupPlan ReadPlan()
        {
            var days = new List<WarmupPlanDay>();
            WarmupPlan? fromFile = null;
            int files = 0;
            foreach (var item in Plan)
            {
                var o = item is PSObject p ? p.BaseObject : item;
                if (o is FileInfo fi) o = fi.FullName;
                switch (o)
                {
                    case string path:
                        var file = GetUnresolvedProviderPathFromPSPath(path);
                        if (!File.Exists(file)) throw new FileNotFoundException($"the file '{file}' does not exist");
                        var info = new FileInfo(file);
                        if (info.Length > 4 << 20) throw new FormatException($"'{file}' is larger than 4 MiB, too large for a plan");
                        using (var reader = new StreamReader(file))
                        {
                            try { fromFile = WarmupPlan.ParseJson(reader); }
                            catch (FormatException ex) { throw new FormatException($"'{file}': {ex.Message}", ex); }
                        }
                        files++;
                        days.AddRange(fromFile.Plan);
                        break;
                    case WarmupPlanDay d:
                        days.Add(d);
                        break;
                    default:
                        days.Add(DayFrom(PSObject.AsPSObject(item)));
                        break;
                }
            }
            return files == 1 && fromFile != null && days.Count == fromFile.Plan.Count ? fromFile : WarmupPlan.FromDays(days);
        }

        private static WarmupPlanDay DayFrom(PSObject o)
        {
            string? Get(string name) => o.Properties[name]?.Value is object v ? Convert.ToString(v is PSObject p ? p.BaseObject : v, CultureInfo.InvariantCulture) : null;
            var dayText = Get("Day");
            var dateText = Get("Date");
            var maxText = Get("MaxMessages");
            if (!int.TryParse(dayText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var day) || day < 1)
                throw new FormatException($"the plan item '{o}' has no Day (expected objects from New-MailWarmupPlan)");
            if (!DateTime.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                throw new FormatException($"the plan item for day {day} has no Date in the form yyyy-MM-dd");
            if (!int.TryParse(maxText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) || max < 0)
                throw new FormatException($"the plan item for day {day} has no MaxMessages");
            return new WarmupPlanDay(day, date, Get("Provider"), max, Get("Guidance"));
        }

        protected override void ProcessRecord()
        {
            if (Log == null) return;
            foreach (var item in Log)
            {
                if (CancelToken.IsCancellationRequested) throw new PipelineStoppedException();
                var o = item is PSObject p ? p.BaseObject : item;
                if (o is FileInfo file) { ReadLogs(WildcardPattern.Escape(file.FullName)); continue; }
                if (o is string path) { ReadLogs(path); continue; }
                if (!DeliveryInput.TryConvert(item, out var obs, out var problem))
                {
                    WriteError(ErrorRecords.ForInvalidDeliveryRecord(item, problem));
                    continue;
                }
                if (obs != null) Begun(_tracker).Add(obs);
            }
        }

        private void ReadLogs(string path)
        {
            var files = new List<string>();
            try
            {
                foreach (var r in GetResolvedProviderPathFromPSPath(path, out _))
                    if (Directory.Exists(r)) files.AddRange(Directory.EnumerateFiles(r));
                    else if (File.Exists(r)) files.Add(r);
            }
            catch (ItemNotFoundException) { }
            if (files.Count == 0)
            {
                WriteError(ErrorRecords.Create(ErrorId.MailLogNotFound, $"Cannot find the mail log '{path}'.", path,
                    "Check the path; records from Get-MailDeliveryLog can be piped in instead."));
                return;
            }
            var ordered = files.OrderByDescending(GetMailDeliveryLogCommand.RotationNumber).ThenBy(f => f, StringComparer.Ordinal).ToList();
            for (int i = 0; i < ordered.Count; i++)
            {
                var file = ordered[i];
                WriteProgress(new ProgressRecord(1, "Test-MailWarmup", $"Reading {file}") { PercentComplete = 100 * i / ordered.Count });
                var reader = new PostfixLogReader(new MailLogReadOptions { YearReference = new DateTimeOffset(File.GetLastWriteTime(file)) });
                try
                {
                    foreach (var r in reader.ReadFile(file, CancelToken)) Begun(_tracker).Add(DeliveryObservation.From(r));
                }
                catch (OperationCanceledException) when (CancelToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is InvalidDataException)
                {
                    WriteError(ErrorRecords.Create(ErrorId.MailLogUnreadable, $"The mail log '{file}' cannot be read: {ex.Message}", file,
                        "Check the path and permissions (mail logs are often readable by root or the adm group only).", ex));
                }
            }
            WriteProgress(new ProgressRecord(1, "Test-MailWarmup", "Done") { RecordType = ProgressRecordType.Completed });
        }

        protected override void EndProcessing()
        {
            if (Begun(_tracker).Outside > 0) WriteVerbose($"{Begun(_tracker).Outside} attempt(s) fall outside the plan's days (or have no time): not counted.");
            var results = Begun(_tracker).Results();
            if (results.Count == 0)
                WriteWarning("No delivery in the log falls on a day of the plan: nothing to judge.");
            foreach (var r in results) WriteCheckResult(r, r.Verdict == nameof(WarmupVerdict.OnTrack));
            base.EndProcessing();
        }
    }
}
