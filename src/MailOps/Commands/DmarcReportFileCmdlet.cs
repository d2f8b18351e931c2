using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Dmarc;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of the DMARC report importers (Import-DmarcReport, Import-DmarcFailureReport): -Format MailOps|Parsedmarc and,
    /// for parsedmarc's source columns, the one enrichment (<see cref="SourceEnricher"/>: PTR, base domain, country, ASN,
    /// each address once) with -NoEnrichment, -Server and -ZoneFile declared as the DNS cmdlets declare them and the
    /// resolver built by <see cref="DnsResolverBuilder"/> (-TimeoutSec is the base's: DNS answers wait 5 s unless given).
    /// Lookups that go unanswered leave the columns empty and end in one warning, never an error.
    /// </summary>
    public abstract class DmarcReportFileCmdlet : ReportFileCmdlet
    {
        /// <summary>Addresses looked up at once.</summary>
        internal const int EnrichmentConcurrency = 16;

        /// <summary>MailOps (default): MailOps' objects. Parsedmarc: objects with exactly parsedmarc's CSV columns, the
        /// source columns enriched unless -NoEnrichment.</summary>
        [Parameter]
        [ValidateSet("MailOps", "Parsedmarc", IgnoreCase = true)]
        public string Format { get; set; } = "MailOps";

        /// <summary>With -Format Parsedmarc: leave the source columns (reverse DNS, base domain, country, ASN) empty and ask no DNS.</summary>
        [Parameter]
        public SwitchParameter NoEnrichment { get; set; }

        /// <summary>DNS servers to ask, in order: ip, host, ip:port or [v6]:port. Default: this machine's resolvers.</summary>
        [Parameter]
        [Alias("NameServer")]
        [ValidateNotNullOrEmpty]
        public string[]? Server { get; set; }

        /// <summary>Master files whose names are answered from the file instead of the network.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ZoneFile { get; set; }

        /// <summary>True with -Format Parsedmarc.</summary>
        protected bool Parsedmarc { get; private set; }

        /// <summary>The enrichment of this invocation; null unless -Format Parsedmarc without -NoEnrichment.</summary>
        protected SourceEnricher? Enricher { get; private set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            Parsedmarc = string.Equals(Format, "Parsedmarc", StringComparison.OrdinalIgnoreCase);
            if (!Parsedmarc || NoEnrichment) return;
            var dns = DnsResolverBuilder.Build(this, Server, DnsAnswerTimeout, ZoneFile, false,
                Sink, ThrowTerminatingError, CancelToken);
            Enricher = new SourceEnricher(dns, LoadPublicSuffixList(this),
                EnrichmentConcurrency);
        }

        /// <summary>The bundled Public Suffix List for base domains; null (with a warning) when it cannot be read.</summary>
        internal static PublicSuffixList? LoadPublicSuffixList(Cmdlet cmdlet)
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

        /// <summary>Derived classes write what still waits for enrichment first, then call this.</summary>
        protected override void EndProcessing()
        {
            if (Enricher != null)
            {
                if (Enricher.ProblemCount > 0)
                    WriteWarning(EnrichmentWarning(Enricher));
                WriteVerbose($"Enrichment: {Enricher.Sources} distinct source address(es) looked up.");
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
