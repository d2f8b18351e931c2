using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Logs;

namespace MailOps.Commands
{
    /// <summary>Get-MailDeliveryLog: Postfix logs (syslog RFC 3164/5424, journalctl JSON, .gz rotations, piped lines) joined by
    /// queue id into one classified record per recipient delivery attempt, streamed.</summary>
    [Cmdlet(VerbsCommon.Get, "MailDeliveryLog", DefaultParameterSetName = "Path")]
    [OutputType(typeof(MailDeliveryRecord))]
    public sealed class GetMailDeliveryLogCommand : MailOpsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] Path { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        /// <summary>Log lines (Get-Content, journalctl output piped in).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Line")]
        [AllowEmptyString]
        public string[] InputObject { get; set; } = Array.Empty<string>();

        [Parameter]
        public DateTime Since { get; set; }

        [Parameter]
        public DateTime Until { get; set; }

        [Parameter]
        public MailLogFormat Format { get; set; } = MailLogFormat.Auto;

        private PostfixLogReader? _lineReader;

        private MailLogReadOptions Options(DateTimeOffset reference) => new MailLogReadOptions
        {
            Format = Format,
            Since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? new DateTimeOffset(Since) : (DateTimeOffset?)null,
            Until = MyInvocation.BoundParameters.ContainsKey(nameof(Until)) ? new DateTimeOffset(Until) : (DateTimeOffset?)null,
            YearReference = reference,
        };

        protected override void ProcessRecord()
        {
            if (ParameterSetName == "Line")
            {
                _lineReader = _lineReader ?? new PostfixLogReader(Options(DateTimeOffset.Now));
                foreach (var line in InputObject)
                    foreach (var r in _lineReader.ReadLine(line)) WriteObject(r);
                return;
            }
            var files = new List<string>();
            if (ParameterSetName == "LiteralPath")
                foreach (var p in LiteralPath) Add(GetUnresolvedProviderPathFromPSPath(p), p, files);
            else
                foreach (var p in Path)
                {
                    try
                    {
                        var resolved = GetResolvedProviderPathFromPSPath(p, out _);
                        if (resolved.Count == 0) WriteError(NotFound(p));
                        foreach (var r in resolved) Add(r, p, files);
                    }
                    catch (ItemNotFoundException) { WriteError(NotFound(p)); }
                }
            // Rotated files oldest first (mail.log.2.gz, mail.log.1, mail.log) so that queue ids join across rotations.
            foreach (var file in files.OrderByDescending(RotationNumber).ThenBy(f => f, StringComparer.Ordinal))
            {
                var reader = new PostfixLogReader(Options(new DateTimeOffset(File.GetLastWriteTime(file))));
                try
                {
                    // Read on another thread, batches ahead of the pipeline; a read error comes after the records before it.
                    foreach (var r in ReadAhead.Of(reader.ReadFile(file, CancelToken), CancelToken)) WriteObject(r);
                    WriteVerbose($"{file}: {reader.Lines} line(s), {reader.Skipped} not from Postfix or not understood.");
                }
                catch (OperationCanceledException) when (CancelToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is InvalidDataException)
                {
                    WriteError(ErrorRecords.Create(ErrorId.MailLogUnreadable, $"The mail log '{file}' cannot be read: {ex.Message}", file,
                        "Check the path and permissions (mail logs are often readable by root or the adm group only); a truncated .gz file stops where it ends.", ex));
                }
            }
        }

        internal static int RotationNumber(string file)
        {
            var name = System.IO.Path.GetFileName(file);
            if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name.Substring(0, name.Length - 3);
            var dot = name.LastIndexOf('.');
            return dot >= 0 && int.TryParse(name.Substring(dot + 1), out var n) ? n : 0;
        }

        private void Add(string full, string given, List<string> files)
        {
            if (Directory.Exists(full)) files.AddRange(Directory.EnumerateFiles(full));
            else if (File.Exists(full)) files.Add(full);
            else WriteError(NotFound(given));
        }

        private static ErrorRecord NotFound(string path) =>
            ErrorRecords.Create(ErrorId.MailLogNotFound, $"Cannot find the mail log '{path}'.", path,
                "Check the path; use -LiteralPath for names with [ or ].");
    }
}
