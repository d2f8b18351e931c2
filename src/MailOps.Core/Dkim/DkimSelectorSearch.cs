using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Dkim
{
    /// <summary>A selector Find-DkimSelector knows, with who uses it and where that is documented.</summary>
    public sealed class DkimSelectorInfo
    {
        internal DkimSelectorInfo(string selector, string? provider, string? source)
        {
            Selector = selector;
            Provider = provider;
            Source = source;
        }

        public string Selector { get; }
        public string? Provider { get; }
        public string? Source { get; }

        public override string ToString() => $"{Selector} ({Provider})";
    }

    /// <summary>What one selector search learned about a domain: the selectors published and the ones whose question went
    /// unanswered, each in candidate order.</summary>
    public sealed class DkimSelectorSearchResult
    {
        internal DkimSelectorSearchResult(IReadOnlyList<MailDkimRecord> found, IReadOnlyList<DkimSelectorFailure> failed)
        {
            Found = found;
            Failed = failed;
        }

        /// <summary>The published selectors, in candidate order.</summary>
        public IReadOnlyList<MailDkimRecord> Found { get; }

        /// <summary>The selectors whose question went unanswered, in candidate order: for these, "not published" is unknown.</summary>
        public IReadOnlyList<DkimSelectorFailure> Failed { get; }
    }

    /// <summary>A selector whose question went unanswered.</summary>
    public sealed class DkimSelectorFailure
    {
        internal DkimSelectorFailure(DkimSelectorInfo candidate, DnsQueryFailedException error)
        {
            Candidate = candidate;
            Error = error;
        }

        public DkimSelectorInfo Candidate { get; }
        public DnsQueryFailedException Error { get; }
    }

    /// <summary>Probes many selectors of a domain in parallel (bounded) and reports the ones published.</summary>
    public static class DkimSelectorSearch
    {
        private static readonly Lazy<IReadOnlyList<DkimSelectorInfo>> Catalog = new Lazy<IReadOnlyList<DkimSelectorInfo>>(Load);

        /// <summary>The built-in list (embedded data file dkim-selectors.tsv).</summary>
        public static IReadOnlyList<DkimSelectorInfo> BuiltIn => Catalog.Value;

        private static IReadOnlyList<DkimSelectorInfo> Load()
        {
            var list = new List<DkimSelectorInfo>();
            using (var stream = typeof(DkimSelectorSearch).Assembly.GetManifestResourceStream("MailOps.Dkim.dkim-selectors.tsv"))
            using (var reader = new StreamReader(stream))
            {
                string line;
                while ((line = reader.ReadLine()) != null)
                {
                    if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal)) continue;
                    var cols = line.Split('\t');
                    list.Add(new DkimSelectorInfo(cols[0], cols.Length > 1 ? cols[1] : null, cols.Length > 2 ? cols[2] : null));
                }
            }
            return list;
        }

        /// <summary>The selectors to probe: the built-in list (unless <paramref name="includeBuiltIn"/> is false) and
        /// the extra ones, without duplicates, extras labelled "-Selector".</summary>
        public static IReadOnlyList<DkimSelectorInfo> Candidates(IEnumerable<string>? extra, bool includeBuiltIn = true)
        {
            var result = new List<DkimSelectorInfo>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (includeBuiltIn)
                foreach (var s in BuiltIn)
                    if (seen.Add(s.Selector)) result.Add(s);
            foreach (var s in extra ?? Enumerable.Empty<string>())
                if (seen.Add(s.Trim())) result.Add(new DkimSelectorInfo(s.Trim(), "-Selector", null));
            return result;
        }

        /// <summary>
        /// Probes every candidate with at most <paramref name="throttleLimit"/> questions in flight and returns the selectors
        /// published and the ones whose question went unanswered, in candidate order; tells <paramref name="sink"/> of each
        /// probe as progress. Before the list, asks for a random selector: a domain that answers that one (a wildcard) would
        /// make every selector look published, and each result then carries a DkimWildcardRecord finding.
        /// </summary>
        public static async Task<DkimSelectorSearchResult> RunAsync(IDnsResolver dns, string domain, IReadOnlyList<DkimSelectorInfo> candidates,
            int throttleLimit, ICheckSink? sink, CancellationToken ct)
        {
            var probeSelector = "mailops-probe-" + Guid.NewGuid().ToString("N").Substring(0, 12);
            bool wildcard = false;
            try
            {
                var probe = await DkimRecordCheck.RunAsync(dns, domain, probeSelector, null, null, ct).ConfigureAwait(false);
                wildcard = probe.Found;
            }
            catch (DnsQueryFailedException)
            {
                // The list below will report its own failures.
            }

            var found = new MailDkimRecord[candidates.Count];
            var failed = new DkimSelectorFailure[candidates.Count];
            var progress = sink.Counter($"DKIM selectors of {domain}", candidates.Count);
            var lanes = new WorkLanes(Math.Max(1, throttleLimit));
            var tasks = candidates.Select((c, i) => lanes.Run(async () =>
            {
                try
                {
                    var r = await DkimRecordCheck.RunAsync(dns, domain, c.Selector, null, null, ct).ConfigureAwait(false);
                    if (r.Found)
                    {
                        r = r.WithSource(c.Provider);
                        found[i] = wildcard ? WithWildcardFinding(r) : r;
                    }
                }
                catch (DnsQueryFailedException ex)
                {
                    failed[i] = new DkimSelectorFailure(c, ex);
                }
                finally
                {
                    progress.Step(c.Selector);
                }
            }, ct)).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return new DkimSelectorSearchResult(found.Where(r => r != null).ToList(), failed.Where(f => f != null).ToList());
        }

        private static MailDkimRecord WithWildcardFinding(MailDkimRecord r)
        {
            var findings = r.Findings.ToList();
            findings.Add(new Finding("DkimWildcardRecord", FindingSeverity.Warning,
                $"*._domainkey.{r.Domain} answers for any selector (a random one returned a key too), so finding '{r.Selector}' proves nothing about which selectors are in use.",
                "Remove the wildcard TXT record under _domainkey; publish each selector's key by name.", r.DnsName));
            return new MailDkimRecord(r.Domain, r.Selector, r.Found, r.GetRawRecord(), r.CnameTarget, r.Version, r.KeyType, r.KeySize, r.HashAlgorithms,
                r.ServiceTypes, r.Flags, r.Notes, r.PublicKey, r.PrivateKeyPath, r.PrivateKeyMatches, r.Source, new ResultList<Finding>(findings));
        }
    }
}
