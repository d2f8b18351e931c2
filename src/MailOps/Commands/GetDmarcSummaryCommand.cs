using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>Get-DmarcSummary: Import-DmarcReport rows summed up per source (domain and address) or per domain, with
    /// pass rates, dispositions, reporters, dates, enrichment (PTR, base domain, ASN) and findings. Rows are aggregated as
    /// they arrive and never held.</summary>
    [Cmdlet(VerbsCommon.Get, "DmarcSummary")]
    [OutputType(typeof(DmarcSourceSummary))]
    [OutputType(typeof(DmarcDomainSummary))]
    public sealed class GetDmarcSummaryCommand : DnsCmdlet
    {
        /// <summary>Rows of Import-DmarcReport (either format).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        /// <summary>Source (default): one object per domain and source address. Domain: one object per domain.</summary>
        [Parameter]
        [ValidateSet("Source", "Domain", IgnoreCase = true)]
        public string By { get; set; } = "Source";

        /// <summary>An earlier summary (Get-DmarcSummary objects, or Import-Csv of an exported one): sources not in it get a NewSource finding.</summary>
        [Parameter]
        [AllowEmptyCollection]
        public PSObject[]? Baseline { get; set; }

        /// <summary>A finding needs at least this many messages of its kind from the source.</summary>
        [Parameter]
        [ValidateRange(1L, long.MaxValue)]
        public long MinimumMessages { get; set; } = 10;

        /// <summary>...and at least this share (0 to 1) of the source's messages.</summary>
        [Parameter]
        [ValidateRange(0.0, 1.0)]
        public double FailureThreshold { get; set; } = 0.5;

        /// <summary>Ask no DNS: reverse DNS, base domain and ASN stay empty (values already in -Format Parsedmarc rows are kept).</summary>
        [Parameter]
        public SwitchParameter NoEnrichment { get; set; }

        private DmarcSummaryBuilder? _builder;
        private readonly int _activityId = new Random().Next(1, int.MaxValue);
        private readonly Stopwatch _sinceProgress = Stopwatch.StartNew();

        protected override void BeginProcessing()
        {
            if (!NoEnrichment) base.BeginProcessing();
            var options = new DmarcSummaryOptions { MinimumMessages = MinimumMessages, FailureThreshold = FailureThreshold };
            if (Baseline != null) options.Baseline = ReadBaseline(Baseline);
            _builder = new DmarcSummaryBuilder(options);
        }

        private ISet<string>? ReadBaseline(IEnumerable<PSObject> items)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (item == null) continue;
                var domain = item.Properties["Domain"]?.Value?.ToString();
                var ip = item.Properties["SourceIP"]?.Value?.ToString();
                if (!Strings.IsNullOrEmpty(domain) && !Strings.IsNullOrEmpty(ip)) set.Add(DmarcSummaryBuilder.Key(domain, ip));
            }
            if (set.Count == 0)
                WriteWarning("-Baseline holds no sources (objects with Domain and SourceIP, as Get-DmarcSummary -By Source writes): no NewSource findings are made.");
            else
                WriteVerbose($"Baseline: {set.Count} source(s).");
            return set.Count == 0 ? null : set;
        }

        protected override void ProcessRecord()
        {
            var o = InputObject?.BaseObject;
            switch (o)
            {
                case null:
                    return;
                case DmarcReportRow row:
                    Begun(_builder).Add(row);
                    break;
                case ParsedmarcRow prow:
                    Begun(_builder).Add(prow);
                    break;
                default:
                    WriteError(ErrorRecords.Create(ErrorId.ReportInputNotRecognized,
                        $"A {o.GetType().FullName} is not a DMARC report row; it is left out of the summary.", o,
                        "Pipe the rows of Import-DmarcReport (either -Format)."));
                    return;
            }
            var builder = Begun(_builder);
            if (builder.Rows == 1 || _sinceProgress.ElapsedMilliseconds >= 250)
            {
                _sinceProgress.Restart();
                WriteProgress(new ProgressRecord(_activityId, "Summarising DMARC report rows",
                    $"{builder.Rows:N0} row(s), {builder.SourceCount:N0} source(s)") { PercentComplete = -1 });
            }
        }

        protected override void EndProcessing()
        {
            var builder = Begun(_builder);
            IReadOnlyDictionary<string, SourceInfo>? enrichment = null;
            if (!NoEnrichment && builder.Rows > 0)
                enrichment = Enrich();
            if (string.Equals(By, "Domain", StringComparison.OrdinalIgnoreCase))
                foreach (var d in builder.Domains(enrichment)) WriteObject(d);
            else
                foreach (var s in builder.Sources(enrichment)) WriteObject(s);
            WriteVerbose($"{builder.Rows:N0} row(s), {builder.SourceCount:N0} source(s).");
            base.EndProcessing();
        }

        private IReadOnlyDictionary<string, SourceInfo> Enrich()
        {
            var enricher = new SourceEnricher(Dns, DmarcReportFileCmdlet.LoadPublicSuffixList(this),
                DmarcReportFileCmdlet.EnrichmentConcurrency);
            var addresses = Begun(_builder).AddressesToEnrich().ToList();
            var result = new Dictionary<string, SourceInfo>(StringComparer.OrdinalIgnoreCase);
            if (addresses.Count == 0) return result;
            var done = 0;
            var infos = Await(async ct =>
            {
                var tasks = addresses.Select(async ip =>
                {
                    var info = await enricher.GetAsync(ip, ct).ConfigureAwait(false);
                    var n = System.Threading.Interlocked.Increment(ref done);
                    if (n % 16 == 0 || n == addresses.Count)
                        Post(() => WriteProgress(new ProgressRecord(_activityId, "Looking up DMARC report sources",
                            $"{n} of {addresses.Count} address(es)") { PercentComplete = (int)(100L * n / addresses.Count) }));
                    return info;
                }).ToList();
                return await Task.WhenAll(tasks).ConfigureAwait(false);
            });
            for (int i = 0; i < addresses.Count; i++) result[addresses[i]] = infos[i];
            if (enricher.ProblemCount > 0) WriteWarning(DmarcReportFileCmdlet.EnrichmentWarning(enricher));
            return result;
        }
    }
}
