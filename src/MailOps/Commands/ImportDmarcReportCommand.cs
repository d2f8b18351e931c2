using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Import-DmarcReport: DMARC aggregate reports (RFC 7489, RFC 9990) from XML, gzip, zip, .eml and mbox files,
    /// one object per report row, streamed as read.</summary>
    [Cmdlet(VerbsData.Import, "DmarcReport", DefaultParameterSetName = "Path", SupportsShouldProcess = true)]
    [OutputType(typeof(DmarcReportRow))]
    [OutputType(typeof(ParsedmarcRow))]
    public sealed class ImportDmarcReportCommand : DmarcReportFileCmdlet
    {
        /// <summary>Reports to skip: report ids ("id", any organisation) or "org|id"; blank lines and '#' comments are
        /// ignored, so -ExcludeReportId (Get-Content seen.txt) works. Reports seen earlier in the same run are skipped too.</summary>
        [Parameter]
        [AllowEmptyCollection]
        [AllowNull]
        public string[]? ExcludeReportId { get; set; }

        protected override IReadOnlyList<string> ReportIdsToExclude => ExcludeReportId ?? new string[0];
        /// <summary>Rows waiting for their source's lookup before the oldest is waited for (rows keep their order).</summary>
        private const int MaxPending = 4096;

        private readonly Queue<(DmarcReportRow Row, Task<SourceInfo> Source)> _pending = new Queue<(DmarcReportRow, Task<SourceInfo>)>();

        protected override string What => "DMARC aggregate report";

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            DmarcReportReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row)
        {
            if (!Parsedmarc)
            {
                WriteObject(row);
                return;
            }
            var r = (DmarcReportRow)row;
            if (Enricher == null)
            {
                WriteObject(ParsedmarcFormat.ToParsedmarcRow(r, null));
                return;
            }
            _pending.Enqueue((r, Enricher.GetAsync(r.SourceIP ?? "", CancelToken)));
            WriteReady(all: false);
        }

        /// <summary>Writes the waiting rows whose lookups are done, in order; waits for the oldest when too many wait (or, at
        /// the end, for all).</summary>
        private void WriteReady(bool all)
        {
            DrainPosted();
            while (_pending.Count > 0)
            {
                var head = _pending.Peek();
                if (!head.Source.IsCompleted)
                {
                    if (!all && _pending.Count < MaxPending) return;
                    Await(_ => head.Source);
                }
                _pending.Dequeue();
                WriteObject(ParsedmarcFormat.ToParsedmarcRow(head.Row, head.Source.GetAwaiter().GetResult()));
            }
        }

        protected override void EndProcessing()
        {
            if (Enricher != null) WriteReady(all: true);
            base.EndProcessing();
        }
    }
}
