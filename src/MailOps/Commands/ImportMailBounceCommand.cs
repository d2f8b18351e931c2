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
    [Cmdlet(VerbsData.Import, "MailBounce", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(BounceRecord))]
    public sealed class ImportMailBounceCommand : ReportFileCmdlet
    {
        protected override string What => "bounce message";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            BounceReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            BounceReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row) => WriteObject(row);

        /// <summary>A Maildir (a folder with cur/ and new/) is read as its messages in cur/ and new/ (not tmp/, nor the
        /// server's index files); with -Recurse its Maildir++ sub-folders (.Sent, .Junk ...) too. Other paths as usual.</summary>
        protected override IEnumerable<string> Roots(string full)
        {
            var cur = System.IO.Path.Combine(full, "cur");
            var fresh = System.IO.Path.Combine(full, "new");
            if (!Directory.Exists(cur) || !Directory.Exists(fresh))
            {
                foreach (var r in base.Roots(full)) yield return r;
                yield break;
            }
            yield return cur;
            yield return fresh;
            if (!Recurse) yield break;
            List<string> subs;
            try
            {
                // Links are not followed (a ".x -> ." link must not loop), as in the walk itself.
                subs = new DirectoryInfo(full).EnumerateDirectories(".*")
                    .Where(d => (d.Attributes & FileAttributes.ReparsePoint) == 0)
                    .Select(d => d.FullName).OrderBy(d => d, StringComparer.Ordinal).ToList();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteVerbose($"{full}: its Maildir++ sub-folders cannot be listed: {ex.Message}");
                yield break;
            }
            foreach (var sub in subs)
                foreach (var r in Roots(sub)) yield return r;
        }
    }
}
