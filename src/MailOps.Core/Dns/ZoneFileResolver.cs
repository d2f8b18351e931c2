using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Dns
{
    /// <summary>
    /// Answers names inside the given zone files from the files, and hands every other name to the inner
    /// resolver. Inside a zone it behaves as an authoritative server would: NXDOMAIN for names that do not
    /// exist, NODATA for names (or empty non-terminals) without the asked type, CNAMEs followed, and
    /// wildcards (RFC 4592) synthesised.
    /// </summary>
    public sealed class ZoneFileResolver : IDnsResolver
    {
        private readonly IDnsResolver _inner;
        private readonly List<Zone> _zones = new List<Zone>();

        private sealed class Zone
        {
            public string? Apex;                 // null: the file speaks only for its exact owner names
            public string? Path;
            public readonly Dictionary<string, List<DnsRecord>> Names = new Dictionary<string, List<DnsRecord>>(StringComparer.OrdinalIgnoreCase);
            public readonly HashSet<string> ExistingNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            public int NegativeTtl = 300;
        }

        public ZoneFileResolver(IEnumerable<ZoneFile> files, IDnsResolver inner)
        {
            _inner = inner;
            foreach (var f in files)
            {
                var z = new Zone { Apex = f.Apex, Path = f.Path };
                foreach (var r in f.Records)
                {
                    if (!z.Names.TryGetValue(r.Name, out var list)) z.Names[r.Name] = list = new List<DnsRecord>();
                    list.Add(r);
                    // Every ancestor down to the apex exists too (empty non-terminals answer NODATA, not NXDOMAIN).
                    for (var n = r.Name; n != "." && (z.Apex == null ? DnsName.EqualNames(n, r.Name) : DnsName.IsAtOrBelow(n, z.Apex)); n = DnsName.Parent(n))
                        z.ExistingNames.Add(n);
                    if (r is SoaRecord soa) z.NegativeTtl = Math.Min(soa.Ttl, soa.Minimum);
                }
                _zones.Add(z);
            }
        }

        /// <summary>The zone files' apexes (null entries omitted), for -Verbose.</summary>

        public Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
            => QueryAsync(name, type, cancellationToken, 0);

        private async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken ct, int depth)
        {
            ct.ThrowIfCancellationRequested();
            var normalized = DnsName.Normalize(name);
            var zone = FindZone(normalized);
            if (zone == null) return await _inner.QueryAsync(normalized, type, ct).ConfigureAwait(false);

            var sw = Stopwatch.StartNew();
            var server = "zonefile:" + zone.Path;
            var rrset = Lookup(zone, normalized);
            if (rrset == null)
                return new DnsQueryResult(normalized, type, DnsOutcome.NxDomain, null, server, sw.Elapsed, negativeTtl: zone.NegativeTtl);

            var matching = rrset.Where(r => r.Type == type).ToList();
            if (matching.Count > 0)
                return new DnsQueryResult(normalized, type, DnsOutcome.Answer, matching, server, sw.Elapsed);

            var cname = rrset.OfType<NameRecord>().FirstOrDefault(r => r.Type == DnsRecordType.CNAME);
            if (cname != null && type != DnsRecordType.CNAME)
            {
                if (depth >= 8)
                    return new DnsQueryResult(normalized, type, DnsOutcome.ServerFailure, new DnsRecord[] { cname }, server, sw.Elapsed, "CNAME chain longer than 8 or looping");
                var next = await QueryAsync(cname.Target, type, ct, depth + 1).ConfigureAwait(false);
                var answers = new List<DnsRecord> { cname };
                answers.AddRange(next.Answers);
                return new DnsQueryResult(normalized, type, next.Outcome, answers, next.Server == server ? server : server + "," + next.Server,
                    sw.Elapsed, next.ErrorMessage, next.AuthenticData, next.NegativeTtl);
            }
            return new DnsQueryResult(normalized, type, DnsOutcome.NoData, null, server, sw.Elapsed, negativeTtl: zone.NegativeTtl);
        }

        private Zone? FindZone(string name)
        {
            Zone? best = null;
            int bestLabels = -1;
            foreach (var z in _zones)
            {
                if (z.Apex == null)
                {
                    if (z.Names.ContainsKey(name) && bestLabels < DnsName.LabelCount(name)) { best = z; bestLabels = DnsName.LabelCount(name); }
                    continue;
                }
                if (DnsName.IsAtOrBelow(name, z.Apex) && DnsName.LabelCount(z.Apex) > bestLabels)
                {
                    best = z;
                    bestLabels = DnsName.LabelCount(z.Apex);
                }
            }
            return best;
        }

        /// <summary>The records at a name (empty list for an empty non-terminal), or null when it does not exist.</summary>
        private static List<DnsRecord>? Lookup(Zone zone, string name)
        {
            if (zone.Names.TryGetValue(name, out var list)) return list;
            if (zone.ExistingNames.Contains(name)) return new List<DnsRecord>();
            if (zone.Apex == null) return null;
            // RFC 4592: find the closest encloser, then look for *.<closest encloser>.
            for (var encloser = DnsName.Parent(name); DnsName.IsAtOrBelow(encloser, zone.Apex); encloser = DnsName.Parent(encloser))
            {
                if (!zone.ExistingNames.Contains(encloser) && !DnsName.EqualNames(encloser, zone.Apex)) continue;
                if (zone.Names.TryGetValue("*." + encloser, out var wild))
                    return wild.Select(r => r.WithOwner(name, r.Ttl)).ToList();
                return null;
            }
            return null;
        }
    }
}
