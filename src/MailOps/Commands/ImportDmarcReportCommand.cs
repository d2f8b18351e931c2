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
        /// <summary>With -Format Parsedmarc: leave the source columns (reverse DNS, base domain, country, ASN) empty and ask no DNS.</summary>
        [Parameter]
        public SwitchParameter NoEnrichment { get; set; }

        // -Server and -ZoneFile declared as DnsCmdlet declares them, -TimeoutSec by the base (ReportFileCmdlet: also the IMAP
        // deadline; DNS answers wait 5 s unless it is given) (ModuleTests compares the two); the
        // resolver is built by the same DnsResolverBuilder. Used by the -Format Parsedmarc enrichment only.

        /// <summary>DNS servers to ask, in order: ip, host, ip:port or [v6]:port. Default: this machine's resolvers.</summary>
        [Parameter]
        [Alias("NameServer")]
        [ValidateNotNullOrEmpty]
        public string[] Server { get; set; }

        /// <summary>Master files whose names are answered from the file instead of the network.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] ZoneFile { get; set; }

        /// <summary>Rows waiting for their source's lookup before the oldest is waited for (rows keep their order).</summary>
        private const int MaxPending = 4096;

        /// <summary>Addresses looked up at once.</summary>
        internal const int EnrichmentConcurrency = 16;

        private SourceEnricher _enricher;
        private readonly Queue<(DmarcReportRow Row, Task<SourceInfo> Source)> _pending = new Queue<(DmarcReportRow, Task<SourceInfo>)>();
        private bool _parsedmarc;

        protected override string What => "DMARC aggregate report";

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _parsedmarc = string.Equals(Format, "Parsedmarc", StringComparison.OrdinalIgnoreCase);
            if (!_parsedmarc || NoEnrichment) return;
            var dns = DnsResolverBuilder.Build(this, Server, DnsAnswerTimeout, ZoneFile, false,
                line => Post(() => WriteVerbose(line)), ThrowTerminatingError, CancelToken);
            _enricher = new SourceEnricher(dns, LoadPublicSuffixList(this), EnrichmentConcurrency);
        }

        /// <summary>The bundled Public Suffix List for base domains; null (with a warning) when it cannot be read.</summary>
        internal static PublicSuffixList LoadPublicSuffixList(Cmdlet cmdlet)
        {
            var path = TestMailDmarcCommand.PublicSuffixListPath;
            try
            {
                return PublicSuffixList.Load(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                cmdlet.WriteWarning($"The Public Suffix List could not be read from '{path}' ({ex.Message}): source base domains stay empty. Reinstall the module.");
                return null;
            }
        }

        protected override IEnumerable<object> Read(string file, ReportImportOptions options) =>
            DmarcReportReader.ReadFile(file, options, CancelToken);

        protected override IEnumerable<object> ReadStream(System.IO.Stream stream, string source, ReportImportOptions options) =>
            DmarcReportReader.ReadStream(stream, source, options, CancelToken);

        protected override void WriteRow(object row)
        {
            if (!_parsedmarc)
            {
                WriteObject(row);
                return;
            }
            var r = (DmarcReportRow)row;
            if (_enricher == null)
            {
                WriteObject(ParsedmarcFormat.ToParsedmarcRow(r, null));
                return;
            }
            _pending.Enqueue((r, _enricher.GetAsync(r.SourceIP, CancelToken)));
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
            if (_enricher != null)
            {
                WriteReady(all: true);
                if (_enricher.ProblemCount > 0)
                    WriteWarning(EnrichmentWarning(_enricher));
                WriteVerbose($"Enrichment: {_enricher.Sources} distinct source address(es) looked up.");
            }
            base.EndProcessing();
        }

        /// <summary>The one warning about sources whose lookups went unanswered (shared with Get-DmarcSummary).</summary>
        internal static string EnrichmentWarning(SourceEnricher enricher) =>
            $"{enricher.ProblemCount} of {enricher.Sources} source address(es) could not be fully enriched ("
            + string.Join(", ", enricher.ProblemKinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key}: {k.Value}"))
            + "): their reverse DNS, base domain or ASN columns are empty because DNS did not answer, not because there is no record. "
            + "Check -Server and -TimeoutSec (the -Verbose stream lists each query), or use -NoEnrichment.";
    }
}
