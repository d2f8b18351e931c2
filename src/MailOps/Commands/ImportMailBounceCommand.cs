using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Bounces;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-MailBounce: non-delivery reports (RFC 3464 DSNs and the common non-standard forms) from .eml files,
    /// mbox files and Maildir folders, one classified object per failed recipient, streamed as read.</summary>
    [Cmdlet(VerbsData.Import, "MailBounce", DefaultParameterSetName = "Path")]
    [OutputType(typeof(BounceRecord))]
    public sealed class ImportMailBounceCommand : ReportFileCmdlet
    {
        protected override string What => "bounce message";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            BounceReader.ReadFile(file, options, Stopping);

        protected override void WriteRow(object row) => WriteObject(row);

        /// <summary>A Maildir (a folder with cur/ and new/) is read as its messages, cur and new; other folders as usual.</summary>
        protected override IEnumerable<string> FilesInFolder(string folder)
        {
            if (Directory.Exists(System.IO.Path.Combine(folder, "cur")) && Directory.Exists(System.IO.Path.Combine(folder, "new")))
            {
                var messages = new[] { "cur", "new" }.SelectMany(sub => Directory.EnumerateFiles(System.IO.Path.Combine(folder, sub))).OrderBy(f => f, StringComparer.Ordinal);
                if (!Recurse) return messages;
                // Maildir++ sub-folders (.Sent, .Junk ...) are Maildirs too.
                return messages.Concat(Directory.EnumerateDirectories(folder).Where(d => System.IO.Path.GetFileName(d).StartsWith(".", StringComparison.Ordinal))
                    .OrderBy(d => d, StringComparer.Ordinal).SelectMany(FilesInFolder));
            }
            return base.FilesInFolder(folder);
        }
    }
}
