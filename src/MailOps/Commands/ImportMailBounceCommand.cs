using System.Collections.Generic;
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
    }
}
