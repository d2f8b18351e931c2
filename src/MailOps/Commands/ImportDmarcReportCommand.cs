using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-DmarcReport: DMARC aggregate reports (RFC 7489, RFC 9990) from XML, gzip, zip, .eml and mbox files,
    /// one object per report row, streamed as read.</summary>
    [Cmdlet(VerbsData.Import, "DmarcReport", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(DmarcReportRow))]
    [OutputType(typeof(ParsedmarcRow))]
    public sealed class ImportDmarcReportCommand : ReportFileCmdlet
    {
        /// <summary>MailOps (default): DmarcReportRow objects. Parsedmarc: ParsedmarcRow objects with exactly parsedmarc's CSV columns.</summary>
        [Parameter]
        [ValidateSet("MailOps", "Parsedmarc", IgnoreCase = true)]
        public string Format { get; set; } = "MailOps";

        protected override string What => "DMARC aggregate report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            DmarcReportReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row)
        {
            if (!string.Equals(Format, "Parsedmarc", System.StringComparison.OrdinalIgnoreCase))
            {
                WriteObject(row);
                return;
            }
            WriteObject(ParsedmarcFormat.ToParsedmarcRow((DmarcReportRow)row));
        }
    }
}
