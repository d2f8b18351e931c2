using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of the report importers: -Path (wildcards) / -LiteralPath (Get-ChildItem output binds here by PSPath),
    /// folders with -Recurse, the decompression limit, Write-Progress across files, and one non-terminating error per
    /// file (or member) that cannot be read; the import goes on with the next.
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

        protected override void ProcessRecord()
        {
            var files = new List<string>();
            if (ParameterSetName == "LiteralPath")
                foreach (var p in LiteralPath) AddPath(GetUnresolvedProviderPathFromPSPath(p), p, files);
            else
                foreach (var p in Path) Resolve(p, files);

            var options = new ReportImportOptions { MaxDecompressedBytes = MaxDecompressedSize };
            for (int i = 0; i < files.Count; i++)
            {
                _fileNumber++;
                var file = files[i];
                var progress = new ProgressRecord(_activityId, $"Importing {What}s",
                    $"File {_fileNumber}{(files.Count > 1 ? $" ({i + 1} of {files.Count} here)" : "")}: {System.IO.Path.GetFileName(file)}; {_rows} row(s) so far")
                {
                    PercentComplete = files.Count > 1 ? i * 100 / files.Count : -1,
                };
                WriteProgress(progress);
                long fileRows = 0;
                try
                {
                    foreach (var item in Read(file, options))
                    {
                        if (item is ReportImportProblem problem) WriteError(ErrorRecords.ForReportProblem(problem, What));
                        else { _rows++; fileRows++; WriteRow(item); }
                    }
                }
                catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
                WriteVerbose($"{file}: {fileRows} row(s).");
            }
        }

        protected override void EndProcessing()
        {
            WriteProgress(new ProgressRecord(_activityId, $"Importing {What}s", "Done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"{_rows} row(s) from {_fileNumber} file(s).");
        }

        private void Resolve(string path, List<string> files)
        {
            Collection<string> resolved;
            try
            {
                resolved = GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem")
                {
                    WriteError(NotFound(path, $"'{path}' is not a file-system path."));
                    return;
                }
            }
            catch (ItemNotFoundException)
            {
                WriteError(NotFound(path, $"Cannot find '{path}'."));
                return;
            }
            if (resolved.Count == 0) WriteError(NotFound(path, $"No file matches '{path}'."));
            foreach (var r in resolved) AddPath(r, path, files);
        }

        private void AddPath(string full, string asGiven, List<string> files)
        {
            if (Directory.Exists(full))
            {
                files.AddRange(FilesInFolder(full));
                return;
            }
            if (File.Exists(full)) files.Add(full);
            else WriteError(NotFound(asGiven, $"Cannot find '{asGiven}'."));
        }

        /// <summary>The files read from a folder given as a path: its files (with -Recurse, those of sub-folders too), in
        /// name order. An importer may override it to recognise folder layouts (Import-MailBounce: Maildir).</summary>
        protected virtual IEnumerable<string> FilesInFolder(string folder) =>
            Directory.EnumerateFiles(folder, "*", Recurse ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                .OrderBy(f => f, StringComparer.Ordinal);

        private static ErrorRecord NotFound(string path, string message) =>
            ErrorRecords.Create(ErrorId.ReportFileNotFound, ErrorCategory.ObjectNotFound, message, path, "Check the path; use -LiteralPath for names with [ or ].");
    }
}
