using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-TlsRptReport: RFC 8460 SMTP TLS reports (.json, .json.gz, e-mails with application/tlsrpt+json or
    /// application/tlsrpt+gzip), one object per policy.</summary>
    [Cmdlet(VerbsData.Import, "TlsRptReport", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(TlsRptPolicyRow))]
    public sealed class ImportTlsRptReportCommand : ReportFileCmdlet
    {
        /// <summary>Reports to skip: report ids ("id", any organisation) or "org|id"; blank lines and '#' comments are
        /// ignored, so -ExcludeReportId (Get-Content seen.txt) works. Reports seen earlier in the same run are skipped too.</summary>
        [Parameter]
        [AllowEmptyCollection]
        [AllowNull]
        public string[]? ExcludeReportId { get; set; }

        protected override IReadOnlyList<string> ReportIdsToExclude => ExcludeReportId ?? new string[0];

        protected override string What => "SMTP TLS report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            TlsRptReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            TlsRptReportReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row) => WriteObject(row);
    }
}
