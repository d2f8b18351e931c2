using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-DmarcReport: DMARC aggregate reports (RFC 7489, RFC 9990) from XML, gzip, zip, .eml and mbox files,
    /// one object per report row, streamed as read.</summary>
    [Cmdlet(VerbsData.Import, "DmarcReport", DefaultParameterSetName = "Path")]
    [OutputType(typeof(DmarcReportRow))]
    [OutputType(typeof(ParsedmarcRow))]
    public sealed class ImportDmarcReportCommand : ReportFileCmdlet
    {
        /// <summary>MailOps (default): DmarcReportRow objects. Parsedmarc: ParsedmarcRow objects with exactly parsedmarc's CSV columns.</summary>
        [Parameter]
        [ValidateSet("MailOps", "Parsedmarc", IgnoreCase = true)]
        public string Format { get; set; } = "MailOps";

        /// <summary>Reports to skip: report ids ("id", any organisation) or "org|id"; blank lines and '#' comments are
        /// ignored, so -ExcludeReportId (Get-Content seen.txt) works. Reports seen earlier in the same run are skipped too.</summary>
        [Parameter]
        [AllowEmptyCollection]
        [AllowNull]
        public string[] ExcludeReportId { get; set; }

        private ReportDeduplicator _seen;

        protected override bool Keep(object row)
        {
            _seen ??= new ReportDeduplicator(ExcludeReportId);
            var keep = _seen.Keep(row, out var note);
            if (note != null) WriteVerbose(note);
            return keep;
        }

        protected override void Failed(ReportImportProblem problem) => _seen?.Failed(problem);

        protected override string What => "DMARC aggregate report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcReportReader.ReadFile(file, options, CancelToken);

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
