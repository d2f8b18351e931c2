using System;
using System.Diagnostics.CodeAnalysis;
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
        public string[] Path { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralPath")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        /// <summary>Import the files in sub-folders of the folders given too.</summary>
        [Parameter(ParameterSetName = "Path")]
        [Parameter(ParameterSetName = "LiteralPath")]
        public SwitchParameter Recurse { get; set; }

        /// <summary>The most bytes decompressed from one file (gzip and zip members together); beyond it the file is refused as a bomb.</summary>
        [Parameter]
        [ValidateRange(1024L, long.MaxValue)]
        public long MaxDecompressedSize { get; set; } = 1L << 30;

        /// <summary>The IMAP server to read report messages from: host, host:port or [IPv6]:port. Port 993 (TLS) unless
        /// given; port 143 means STARTTLS unless -ImapSecurity says otherwise.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Imap")]
        [ValidateNotNullOrEmpty]
        public string ImapServer { get; set; } = null!;

        /// <summary>User name and password of the mailbox.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Imap")]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = null!;

        /// <summary>The folder the reports arrive in. Default INBOX.</summary>
        [Parameter(ParameterSetName = "Imap")]
        [ValidateNotNullOrEmpty]
        public string Folder { get; set; } = "INBOX";

        /// <summary>Only messages that arrived on or after this day (IMAP SINCE: the server's arrival date, day precision).</summary>
        [Parameter(ParameterSetName = "Imap")]
        public DateTime Since { get; set; }

        /// <summary>What becomes of a message once all its rows were written: Keep (default), MarkSeen (and only unseen
        /// messages are read), Move (to -ArchiveFolder). A message that could not be read is never flagged nor moved.</summary>
        [Parameter(ParameterSetName = "Imap")]
        public ImapProcessed Processed { get; set; } = ImapProcessed.Keep;

        /// <summary>The folder -Processed Move moves messages to; created when missing.</summary>
        [Parameter(ParameterSetName = "Imap")]
        [ValidateNotNullOrEmpty]
        public string? ArchiveFolder { get; set; }

        /// <summary>PEM or DER certificates trusted beside the system's store (a private CA that signed the IMAP server's certificate).</summary>
        [Parameter(ParameterSetName = "Imap")]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        /// <summary>Implicit (TLS from the first byte, port 993) or StartTls (port 143 upgraded). There is no plain-text choice.</summary>
        [Parameter(ParameterSetName = "Imap")]
        public ImapSecurity ImapSecurity { get; set; }

        /// <summary>Seconds each network step may take: the connection and each IMAP command with -ImapServer (default 30),
        /// and each DNS answer where an importer asks DNS (Import-DmarcReport's enrichment: default 5, as on the DNS
        /// cmdlets). One parameter, so a cmdlet never has two -TimeoutSec meanings side by side; file imports that ask no
        /// network ignore it.</summary>
        [Parameter]
        [Alias("TimeoutSeconds")]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 30;

        /// <summary>The DNS answer timeout: -TimeoutSec when given, else 5 seconds (the DNS cmdlets' default).</summary>
        protected TimeSpan DnsAnswerTimeout => TimeSpan.FromSeconds(MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSec)) ? TimeoutSec : 5);

        /// <summary>"DMARC aggregate report" or "SMTP TLS report", for messages.</summary>
        protected abstract string What { get; }

        /// <summary>Rows and problems of one file.</summary>
        protected abstract IEnumerable<object> Read(string file, ReportImportOptions options);

        /// <summary>Rows and problems of one message's bytes read from a mailbox (the same container reader as files);
        /// <paramref name="source"/> names the message.</summary>
        protected abstract IEnumerable<object> ReadStream(Stream stream, string source, ReportImportOptions options);

        /// <summary>Writes one row (the importer may reshape it).</summary>
        protected abstract void WriteRow(object row);

        private int _fileNumber;
        private long _rows;
        private readonly int _activityId = new Random().Next(1, int.MaxValue);
        private InputFileWalker? _walker;

        private ImapMailboxOptions? _imap;

        protected override void BeginProcessing()
        {
            _walker = new InputFileWalker(new FileWalkOptions { Recurse = Recurse });
            if (ParameterSetName == "Imap") _imap = ImapOptions();
        }

        /// <summary>Checks the -ImapServer invocation (terminating errors for what can never work) and builds the options.</summary>
        private ImapMailboxOptions ImapOptions()
        {
            if (Processed == ImapProcessed.Move && Strings.IsNullOrEmpty(ArchiveFolder))
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.ImapArchiveFolderRequired,
                    "-Processed Move needs -ArchiveFolder: the folder imported messages are moved to.", ArchiveFolder, "Add -ArchiveFolder <name>, e.g. -ArchiveFolder Archive/DMARC."));
            if (!Strings.IsNullOrEmpty(ArchiveFolder) && Processed != ImapProcessed.Move)
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.ImapArchiveFolderRequired,
                    "-ArchiveFolder is only used with -Processed Move.", ArchiveFolder, "Add -Processed Move, or leave -ArchiveFolder out."));
            if (!TryParseServer(ImapServer, out var host, out var port))
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidImapServer,
                    $"'{TextSafety.Escape(ImapServer)}' is not an IMAP server: give host, host:port or [IPv6]:port.", ImapServer, "For example -ImapServer mail.example.org or -ImapServer mail.example.org:143."));
            var security = MyInvocation.BoundParameters.ContainsKey(nameof(ImapSecurity)) ? ImapSecurity
                : port == 143 ? ImapSecurity.StartTls : ImapSecurity.Implicit;
            var network = Credential.GetNetworkCredential();
            return new ImapMailboxOptions
            {
                Host = host!,   // !: TryParseServer gave a host, or ThrowTerminatingError above has thrown
                Port = port ?? (security == ImapSecurity.StartTls ? 143 : 993),
                Security = security,
                UserName = network.UserName,
                Password = network.Password,
                Folder = Folder,
                TrustedCertificates = SmtpCmdletSupport.LoadCertificates(this, TrustedCertificatePath, nameof(TrustedCertificatePath)).ToList(),
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                ReadWrite = Processed != ImapProcessed.Keep,
            };
        }

        /// <summary>host, host:port, [v6] or [v6]:port; a bare IPv6 address has no port.</summary>
        internal static bool TryParseServer(string? value, [NotNullWhen(true)] out string? host, out int? port)
        {
            host = null;
            port = null;
            value = (value ?? "").Trim();
            string? portText = null;
            if (value.StartsWith("[", StringComparison.Ordinal))
            {
                var close = value.IndexOf(']');
                if (close < 0) return false;
                host = value.Substring(1, close - 1);
                var rest = value.Substring(close + 1);
                if (rest.Length > 0)
                {
                    if (!rest.StartsWith(":", StringComparison.Ordinal)) return false;
                    portText = rest.Substring(1);
                }
            }
            else if (value.Count(c => c == ':') == 1)
            {
                var i = value.IndexOf(':');
                host = value.Substring(0, i);
                portText = value.Substring(i + 1);
            }
            else host = value;
            if (portText != null)
            {
                if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p < 1 || p > 65535) return false;
                port = p;
            }
            if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/' || c == '@')) return false;
            return true;
        }

        protected override void ProcessRecord()
        {
            var options = new ReportImportOptions { MaxDecompressedBytes = MaxDecompressedSize };
            try
            {
                if (ParameterSetName == "Imap") ReadMailbox(options);
                else if (ParameterSetName == "LiteralPath")
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

        /// <summary>
        /// Reads the folder's messages one at a time through the same container reader as files. A message is flagged or
        /// moved only after every row it held was written (WriteObject returned): a stopped pipeline leaves the rest as they
        /// were, and a message that could not be read is left for a human. A broken connection ends the import with one error.
        /// </summary>
        private void ReadMailbox(ReportImportOptions options)
        {
            var imap = Begun(_imap);
            var target = $"{imap.Host}:{imap.Port}/{imap.Folder}";
            ImapMailbox box;
            try
            {
                WriteVerbose($"Connecting to {imap.Host} port {imap.Port} ({imap.Security}) as '{imap.UserName}'.");
                box = Await(ct => ImapMailbox.OpenAsync(imap, ct));
            }
            catch (ImapMailboxException ex)
            {
                WriteError(ErrorRecords.ForImap(ex, target, imap.Security));
                return;
            }
            try
            {
                var messages = Await(ct => box.ListAsync(MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since : (DateTime?)null,
                    Processed == ImapProcessed.MarkSeen, ct));
                WriteVerbose($"{box.Folder}: {messages.Count} message(s) to read of {box.Count}.");
                var archived = Processed == ImapProcessed.Move && messages.Count > 0 && OpenArchive(box);
                for (var i = 0; i < messages.Count; i++)
                {
                    var m = messages[i];
                    _fileNumber++;
                    WriteProgress(new ProgressRecord(_activityId, $"Importing {What}s from {box.Folder}",
                        $"Message {i + 1} of {messages.Count} (UID {m.Uid}); {_rows} row(s) so far") { PercentComplete = (int)(100L * i / messages.Count) });
                    // A message larger than the decompression budget is never fetched (the fetch holds it in memory).
                    if (m.Size > MaxDecompressedSize)
                    {
                        WriteError(ErrorRecords.ForReportProblem(new ReportImportProblem(m.Source, null, ReportProblemKind.TooLarge,
                            $"The {What} message '{m.Source}' is {m.Size:N0} bytes, over the limit of {MaxDecompressedSize:N0} bytes (-MaxDecompressedSize); it was not fetched and stays in {box.Folder} as it was.",
                            null, 0), What));
                        continue;
                    }
                    var stream = Await(ct => box.FetchAsync(m, ct));
                    var read = WriteRows(ImapMailbox.Stamp(ReadStream(stream, m.Source, options), m));
                    if (read.Failed)
                    {
                        WriteVerbose($"{m.Source}: {read.Rows} row(s); not read whole, so left in {box.Folder} as it was.");
                        continue;
                    }
                    if (read.OtherKind)
                    {
                        // Another importer's message (a failure report in an aggregate run, or the reverse): left for that run.
                        WriteVerbose($"{m.Source}: left in {box.Folder} as it was, for the importer of its kind.");
                        continue;
                    }
                    WriteVerbose($"{m.Source}: {read.Rows} row(s){(read.Skipped > 0 ? $", {read.Skipped} skipped as already read" : "")}.");
                    if (Processed == ImapProcessed.MarkSeen && ShouldProcess(m.Source, "Mark as seen"))
                        Await(ct => box.MarkSeenAsync(m, ct));
                    else if (Processed == ImapProcessed.Move && ShouldProcess(m.Source, $"Move to folder '{ArchiveFolder}'") && archived)
                        Await(ct => box.MoveAsync(m, ct));
                }
            }
            catch (ImapMailboxException ex)
            {
                WriteError(ErrorRecords.ForImap(ex, target, imap.Security));
            }
            finally
            {
                box.Dispose();
            }
        }

        /// <summary>Opens -ArchiveFolder, creating it (ShouldProcess) when missing. False when it is missing and was not
        /// created (-WhatIf, or "no" to -Confirm): then no message is moved.</summary>
        private bool OpenArchive(ImapMailbox box)
        {
            var imap = Begun(_imap);
            var archiveFolder = ArchiveFolder ?? throw new InvalidOperationException("ImapOptions refuses -Processed Move without -ArchiveFolder.");
            try
            {
                Await(ct => box.OpenArchiveAsync(archiveFolder, false, ct));
                return true;
            }
            catch (ImapMailboxException ex) when (ex.Failure == ImapFailure.FolderNotFound)
            {
                if (!ShouldProcess($"{imap.Host}:{imap.Port}/{archiveFolder}", "Create IMAP folder"))
                {
                    WriteVerbose($"The folder '{archiveFolder}' does not exist and was not created: no message is moved.");
                    return false;
                }
                Await(ct => box.OpenArchiveAsync(archiveFolder, true, ct));
                WriteVerbose($"Created the folder '{archiveFolder}'.");
                return true;
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
            foreach (var found in Begun(_walker).Walk(root, CancelToken))
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
                        var record = ErrorRecords.ForReportProblem(new ReportImportProblem(found.Path, null, kind, found.Message ?? "", null, 0), What);
                        if (found.Kind == FileWalkItemKind.LimitReached) record.ErrorDetails.RecommendedAction = Advice.ForWalkLimit;
                        WriteError(record);
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
            // The file is read on another thread, a few batches ahead of the pipeline (docs/dmarc.md, "Speed").
            var read = WriteRows(ReadAhead.Of(Read(file, options), CancelToken));
            WriteVerbose($"{file}: {read.Rows} row(s).");
        }

        /// <summary>
        /// The one way the rows of a file or of a mailbox message are written, the same for both: a report of the other
        /// kind (mailboxes mix aggregate and failure reports) is a verbose note, counted for one warning at the end; a
        /// problem is an error (and the de-duplication forgets the report it cut short); a row of a report already read
        /// in this run, or excluded, is skipped with a verbose note; every other row is written.
        /// </summary>
        private (long Rows, long Skipped, bool Failed, bool OtherKind) WriteRows(IEnumerable<object> items)
        {
            long rows = 0, skipped = 0;
            bool failed = false, otherKind = false;
            foreach (var item in items)
            {
                if (item is ReportImportProblem other && other.Kind == ReportProblemKind.OtherReportKind)
                {
                    _otherKind++;
                    otherKind = true;
                    var importer = Advice.ForOtherReport(other);
                    WriteVerbose(importer == null ? other.Message : other.Message + " " + importer);
                }
                else if (item is ReportImportProblem problem)
                {
                    failed = true;
                    Failed(problem);
                    WriteError(ErrorRecords.ForReportProblem(problem, What));
                }
                else if (Keep(item)) { _rows++; rows++; WriteRow(item); }
                else skipped++;
            }
            return (rows, skipped, failed, otherKind);
        }


        /// <summary>The importers that de-duplicate reports (aggregate and TLS reports, which carry report ids) return their
        /// -ExcludeReportId here (an empty list when none); null, the default, writes every row.</summary>
        protected virtual IReadOnlyList<string>? ReportIdsToExclude => null;

        private ReportDeduplicator? _seen;

        /// <summary>Whether a row is written: a report already seen in this run, or excluded, is skipped with a verbose line.</summary>
        private bool Keep(object row)
        {
            var exclude = ReportIdsToExclude;
            if (exclude == null) return true;
            _seen ??= new ReportDeduplicator(exclude);
            var keep = _seen.Keep(row, out var note);
            if (note != null) WriteVerbose(note);
            return keep;
        }

        /// <summary>Each problem, before its error is written: the de-duplication forgets a report cut short.</summary>
        private void Failed(ReportImportProblem problem) => _seen?.Failed(problem);

        private long _otherKind;

        protected override void EndProcessing()
        {
            if (_otherKind > 0)
                WriteWarning($"{_otherKind:N0} message(s) held another kind of report than {What}s and were skipped; -Verbose names them.");
            WriteProgress(new ProgressRecord(_activityId, $"Importing {What}s", "Done") { RecordType = ProgressRecordType.Completed });
            WriteVerbose($"{_rows} row(s) from {_fileNumber} {(ParameterSetName == "Imap" ? "message" : "file")}(s).");
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
