using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-DmarcFailureReport: DMARC failure (forensic) reports - ARF auth-failure messages (RFC 6591, RFC
    /// 9991) - from .eml files, mbox files, Maildir folders and zip/gzip archives of them, one object per report.</summary>
    [Cmdlet(VerbsData.Import, "DmarcFailureReport", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(DmarcFailureReport))]
    [OutputType(typeof(ParsedmarcForensicRow))]
    public sealed class ImportDmarcFailureReportCommand : DmarcReportFileCmdlet
    {
        protected override string What => "DMARC failure report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcFailureReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            DmarcFailureReportReader.ReadStream(stream, source, options, CancelToken);

        /// <summary>Failure reports are few (one per failed message reported, not per row), so each waits for its source's
        /// lookup before it is written (the lookup is cached per address like the aggregate importer's).</summary>
        protected override void WriteRow(object row)
        {
            if (!Parsedmarc)
            {
                WriteObject(row);
                return;
            }
            var report = (DmarcFailureReport)row;
            var source = Enricher == null || Strings.IsNullOrEmpty(report.SourceIP) ? null : Await(ct => Enricher.GetAsync(report.SourceIP, ct));
            WriteObject(ParsedmarcForensicRow.From(report, source));
        }
    }
}
