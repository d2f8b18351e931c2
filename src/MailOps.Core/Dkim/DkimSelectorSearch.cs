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
        internal DkimSelectorInfo(string selector, string provider, string source)
        {
            Selector = selector;
            Provider = provider;
            Source = source;
        }

        public string Selector { get; }
        public string Provider { get; }
        public string Source { get; }

        public override string ToString() => $"{Selector} ({Provider})";
    }

    /// <summary>What one Find-DkimSelector run learned about a domain.</summary>
    public sealed class DkimSelectorSearchProgress
    {
        internal DkimSelectorSearchProgress(int done, int total, string selector)
        {
            Done = done;
            Total = total;
            Selector = selector;
        }

        public int Done { get; }
        public int Total { get; }
        public string Selector { get; }
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
        public static IReadOnlyList<DkimSelectorInfo> Candidates(IEnumerable<string> extra, bool includeBuiltIn = true)
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
        /// Probes every candidate with at most <paramref name="throttleLimit"/> questions in flight. Calls
        /// <paramref name="found"/> for each published selector as soon as it is known, <paramref name="failed"/> for
        /// each whose question went unanswered, <paramref name="progress"/> after each. Before the list, asks for a
        /// random selector: a domain that answers that one (a wildcard) would make every selector look published,
        /// and each result then carries a DkimWildcardRecord finding.
        /// </summary>
        public static async Task RunAsync(IDnsResolver dns, string domain, IReadOnlyList<DkimSelectorInfo> candidates, int throttleLimit,
            Action<MailDkimRecord> found, Action<DkimSelectorInfo, DnsQueryFailedException> failed, Action<DkimSelectorSearchProgress> progress,
            CancellationToken ct)
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

            using (var gate = new SemaphoreSlim(Math.Max(1, throttleLimit)))
            {
                int done = 0;
                var tasks = candidates.Select(async c =>
                {
                    await gate.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        var r = await DkimRecordCheck.RunAsync(dns, domain, c.Selector, null, null, ct).ConfigureAwait(false);
                        if (r.Found)
                        {
                            r = r.WithSource(c.Provider);
                            if (wildcard) r = WithWildcardFinding(r);
                            found(r);
                        }
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        failed(c, ex);
                    }
                    finally
                    {
                        gate.Release();
                        progress?.Invoke(new DkimSelectorSearchProgress(Interlocked.Increment(ref done), candidates.Count, c.Selector));
                    }
                }).ToList();
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
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
