using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of the report importers: -Path (wildcards) / -LiteralPath (Get-ChildItem output binds here by PSPath),
    /// folders with -Recurse (walked lazily and bounded by <see cref="InputFileWalker"/>: links to directories are not
    /// followed, each file is read once, FIFOs and devices are refused, an unreadable folder is one error), the
    /// decompression limit, Write-Progress across files, and one non-terminating error per file (or member) that cannot
    /// be read; the import goes on with the next.
    /// </summary>
    public abstract class ReportFileCmdlet : MailOpsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Path")]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] Path { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; }

        /// <summary>Import the files in sub-folders of the folders given too.</summary>
        [Parameter]
        public SwitchParameter Recurse { get; set; }

        /// <summary>The most bytes decompressed from one file (gzip and zip members together); beyond it the file is refused as a bomb.</summary>
        [Parameter]
        [ValidateRange(1024L, long.MaxValue)]
        public long MaxDecompressedSize { get; set; } = 1L << 30;

        /// <summary>"DMARC aggregate report" or "SMTP TLS report", for messages.</summary>
        protected abstract string What { get; }

        /// <summary>Rows and problems of one file.</summary>
        protected abstract IEnumerable<object> Read(string file, ReportImportOptions options);

        /// <summary>Writes one row (the importer may reshape it).</summary>
        protected abstract void WriteRow(object row);

        private int _fileNumber;
        private long _rows;
        private readonly int _activityId = new Random().Next(1, int.MaxValue);
        private InputFileWalker _walker;

        protected override void BeginProcessing()
        {
            _walker = new InputFileWalker(new FileWalkOptions { Recurse = Recurse });
        }

        protected override void ProcessRecord()
        {
            var options = new ReportImportOptions { MaxDecompressedBytes = MaxDecompressedSize };
            try
            {
                if (ParameterSetName == "LiteralPath")
                    foreach (var p in LiteralPath) ReadPath(GetUnresolvedProviderPathFromPSPath(p), p, options);
                else
                    foreach (var p in Path)
                        foreach (var r in Resolve(p)) ReadPath(r, p, options);
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>Walks one path (a file, or a folder lazily: each file is read before the next folder is listed) and
        /// imports what it finds.</summary>
        private void ReadPath(string full, string asGiven, ReportImportOptions options)
        {
            if (InputFile.GetType(full) == InputFileType.Missing)
            {
                WriteError(NotFound(asGiven, $"Cannot find '{asGiven}'."));
                return;
            }
            foreach (var root in Roots(full))
            foreach (var found in _walker.Walk(root, CancelToken))
            {
                switch (found.Kind)
                {
                    case FileWalkItemKind.File:
                        ReadOne(found.Path, options);
                        break;
                    case FileWalkItemKind.Note:
                        WriteVerbose(found.Message);
                        break;
                    default:
                        var kind = found.Kind == FileWalkItemKind.LimitReached ? ReportProblemKind.TooLarge
                            : found.Kind == FileWalkItemKind.NotRegular ? ReportProblemKind.NotRegularFile : ReportProblemKind.Unreadable;
                        WriteError(ErrorRecords.ForReportProblem(new ReportImportProblem(found.Path, null, kind, found.Message, null, 0), What));
                        break;
                }
            }
        }

        /// <summary>Where the walk starts for a path given by the user: the path itself, except that a Maildir (reports and
        /// bounces are mail) is read as its cur/ and new/ folders, not tmp/ nor the server's index files (with -Recurse,
        /// its Maildir++ sub-folders too). An importer may override it to recognise other layouts.</summary>
        protected virtual IEnumerable<string> Roots(string full) => Maildir.Roots(full, Recurse, WriteVerbose);

        private void ReadOne(string file, ReportImportOptions options)
        {
            _fileNumber++;
            WriteProgress(new ProgressRecord(_activityId, $"Importing {What}s",
                $"File {_fileNumber}: {System.IO.Path.GetFileName(file)}; {_rows} row(s) so far") { PercentComplete = -1 });
            long fileRows = 0;
            foreach (var item in Read(file, options))
            {
                if (item is ReportImportProblem other && other.Kind == ReportProblemKind.OtherReportKind)
                {
                    // Mailboxes mix aggregate and failure reports: the other kind is a note, and one warning at the end.
                    _otherKind++;
                    WriteVerbose(other.Message);
                }
                else if (item is ReportImportProblem problem)
                {
                    Failed(problem);
                    WriteError(ErrorRecords.ForReportProblem(problem, What));
                }
                else if (Keep(item)) { _rows++; fileRows++; WriteRow(item); }
            }
            WriteVerbose($"{file}: {fileRows} row(s).");
        }

        /// <summary>Whether a row is written (an importer may skip reports already seen, or excluded); true by default.</summary>
        protected virtual bool Keep(object row) => true;

        /// <summary>Told of each problem before its error is written (the de-duplication forgets a report cut short).</summary>
        protected virtual void Failed(ReportImportProblem problem) { }

        private long _otherKind;

        protected override void EndProcessing()
        {
            if (_otherKind > 0)
                WriteWarning($"{_otherKind:N0} message(s) held another kind of report than {What}s and were skipped; -Verbose names them.");
            WriteProgress(new ProgressRecord(_activityId, $"Importing {What}s", "Done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"{_rows} row(s) from {_fileNumber} file(s).");
            base.EndProcessing();
        }

        private IEnumerable<string> Resolve(string path)
        {
            Collection<string> resolved;
            try
            {
                resolved = GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem")
                {
                    WriteError(NotFound(path, $"'{path}' is not a file-system path."));
                    return new string[0];
                }
            }
            catch (ItemNotFoundException)
            {
                WriteError(NotFound(path, $"Cannot find '{path}'."));
                return new string[0];
            }
            if (resolved.Count == 0) WriteError(NotFound(path, $"No file matches '{path}'."));
            return resolved;
        }

        private static ErrorRecord NotFound(string path, string message) =>
            ErrorRecords.Create(ErrorId.ReportFileNotFound, message, path, "Check the path; use -LiteralPath for names with [ or ].");
    }
}
