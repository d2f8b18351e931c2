using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-DmarcFailureReport: DMARC failure (forensic) reports - ARF auth-failure messages (RFC 6591, RFC
    /// 9991) - from .eml files, mbox files, Maildir folders and zip/gzip archives of them, one object per report.</summary>
    [Cmdlet(VerbsData.Import, "DmarcFailureReport", DefaultParameterSetName = "Path")]
    [OutputType(typeof(DmarcFailureReport))]
    [OutputType(typeof(ParsedmarcForensicRow))]
    public sealed class ImportDmarcFailureReportCommand : ReportFileCmdlet
    {
        /// <summary>MailOps (default): DmarcFailureReport objects. Parsedmarc: ParsedmarcForensicRow objects with exactly
        /// parsedmarc's forensic CSV columns.</summary>
        [Parameter]
        [ValidateSet("MailOps", "Parsedmarc", IgnoreCase = true)]
        public string Format { get; set; } = "MailOps";

        protected override string What => "DMARC failure report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcFailureReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            DmarcFailureReportReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row)
        {
            if (string.Equals(Format, "Parsedmarc", System.StringComparison.OrdinalIgnoreCase))
                WriteObject(ParsedmarcForensicRow.From((DmarcFailureReport)row));
            else
                WriteObject(row);
        }
    }
}
