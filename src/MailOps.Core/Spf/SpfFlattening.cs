using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Spf
{
    /// <summary>A proposal to bring an SPF record back under 10 lookups by flattening includes into ip4/ip6 terms. Never applied.</summary>
    public sealed class SpfFlatteningProposal
    {
        internal SpfFlatteningProposal() { }

        public string? Domain { get; internal set; }
        public int LookupsBefore { get; internal set; }
        public int LookupsAfter { get; internal set; }
        /// <summary>The terms (includes, then a/mx terms of the record itself) replaced by their addresses.</summary>
        public ResultList<string> FlattenedTerms { get; internal set; } = ResultList<string>.Empty;
        /// <summary>Includes that cannot be flattened (exists, ptr, macros, non-pass terms) and stay.</summary>
        public ResultList<string> KeptIncludes { get; internal set; } = ResultList<string>.Empty;
        /// <summary>The record to publish at the domain, as zone-file lines (each TXT split into strings of at most 255 bytes).</summary>
        public ResultList<string> Records { get; internal set; } = ResultList<string>.Empty;
        /// <summary>Providers whose ranges change without notice: a flattened copy goes stale and must be refreshed.</summary>
        public ResultList<string> VolatileProviders { get; internal set; } = ResultList<string>.Empty;
        public string? Warning { get; internal set; }

        public override string ToString() => $"{Domain}: {LookupsBefore} -> {LookupsAfter} lookups, {Records.Count} record(s)";
    }

    /// <summary>
    /// Proposes a flattened SPF record when an audit counts more than 10 lookups: the costliest flattenable includes are
    /// replaced by the ip4/ip6 terms they resolve to (a and mx terms resolved through the same resolver), the result is
    /// split into TXT strings of at most 255 bytes, and into include: sub-records (_spf1, _spf2, ... under the domain)
    /// when one TXT record would exceed <see cref="MaxRecordBytes"/>. Names the providers whose ranges change often.
    /// Pure proposal: nothing is published.
    /// </summary>
    public static class SpfFlattening
    {
        /// <summary>Bytes of SPF text per TXT record, to keep answers within a 512-byte UDP response.</summary>
        public const int MaxRecordBytes = 450;

        /// <summary>Include targets (suffixes) of providers known to change their ranges; sources: the providers' own
        /// documentation asks customers to include, not copy, their records.</summary>
        public static IReadOnlyList<(string Suffix, string Provider)> Volatile { get; } = new[]
        {
            ("_spf.google.com", "Google Workspace"),
            ("spf.protection.outlook.com", "Microsoft 365"),
            ("amazonses.com", "Amazon SES"),
            ("sendgrid.net", "SendGrid"),
            ("mailgun.org", "Mailgun"),
            ("mcsv.net", "Mailchimp"),
            ("mandrillapp.com", "Mailchimp Transactional"),
            ("_spf.salesforce.com", "Salesforce"),
            ("zendesk.com", "Zendesk"),
            ("sparkpostmail.com", "SparkPost"),
            ("spf.brevo.com", "Brevo"),
            ("sendinblue.com", "Brevo"),
            ("spf.mtasv.net", "Postmark"),
        };

        public static async Task<SpfFlatteningProposal?> ProposeAsync(IDnsResolver dns, SpfAuditResult audit, CancellationToken ct)
        {
            if (audit?.Record == null || audit.LookupCount <= 10) return null;
            var top = audit.Terms.ToList();
            var p = new SpfFlatteningProposal { Domain = audit.Domain, LookupsBefore = audit.LookupCount };
            // Candidates, costliest first: includes (their whole subtree), then a and mx terms of the record itself.
            var candidates = top.Where(t => t.Kind == "include" && t.Qualifier == "pass").OrderByDescending(t => t.SubtreeLookupCost)
                .Concat(top.Where(t => (t.Kind == "a" || t.Kind == "mx") && t.Qualifier == "pass")).ToList();
            var flattenable = new List<(SpfTerm Term, List<string> Ips)>();
            var kept = new List<string>();
            foreach (var c in candidates)
            {
                var ips = new List<string>();
                var ok = c.Kind == "include"
                    ? await CollectAsync(dns, c.Children, ips, ct).ConfigureAwait(false)
                    : await CollectAsync(dns, new[] { c }, ips, ct).ConfigureAwait(false);
                if (ok) flattenable.Add((c, ips.Distinct().ToList()));
                else if (c.Kind == "include") kept.Add(c.Target!);   // include, a and mx terms always name their target
            }
            if (flattenable.Count == 0) return null;

            // Flatten the first k candidates for k = 1, 2, ... until the result (sub-record includes counted) fits.
            List<string>? records = null;
            var lookups = 0;
            var used = 0;
            for (var k = 1; k <= flattenable.Count; k++)
            {
                var chosen = flattenable.Take(k).ToDictionary(x => x.Term, x => x.Ips);
                (records, lookups) = Build(audit, top, chosen);
                used = k;
                if (lookups <= 10) break;
            }
            kept.AddRange(flattenable.Skip(used).Where(x => x.Term.Kind == "include").Select(x => x.Term.Target!));
            var replaced = flattenable.Take(used).Select(x => x.Term).ToList();
            p.LookupsAfter = lookups;
            p.FlattenedTerms = new ResultList<string>(replaced.Select(k => k.Term));
            p.KeptIncludes = new ResultList<string>(kept);
            p.Records = new ResultList<string>(records);
            var flattenedNames = replaced.SelectMany(k => Targets(k)).ToList();
            p.VolatileProviders = new ResultList<string>(Volatile.Where(v => flattenedNames.Any(n => n.Equals(v.Suffix, StringComparison.OrdinalIgnoreCase) || n.EndsWith("." + v.Suffix, StringComparison.OrdinalIgnoreCase)))
                .Select(v => v.Provider).Distinct());
            p.Warning = "A flattened record is a copy: when a provider changes its addresses, mail from the new ones fails SPF until you publish again. "
                + (p.VolatileProviders.Count > 0 ? $"{string.Join(", ", p.VolatileProviders)} change(s) ranges often: regenerate at least weekly, or keep their include and flatten others. " : "")
                + (lookups > 10 ? "Even flattened, the record needs more than 10 lookups: remove senders you no longer use. " : "")
                + "Nothing was published; check the proposal with Test-MailSpf -ZoneFile before publishing it.";
            return p;
        }

        private static (List<string> Records, int Lookups) Build(SpfAuditResult audit, List<SpfTerm> top, Dictionary<SpfTerm, List<string>> chosen)
        {
            var lookups = audit.LookupCount - chosen.Keys.Sum(t => t.SubtreeLookupCost);
            var terms = new List<string>();
            string? all = null;
            foreach (var t in top)
            {
                if (t.Kind == "all") { all = t.Term; continue; }
                if (chosen.TryGetValue(t, out var ips)) terms.AddRange(ips);
                else terms.Add(t.Term);
            }
            terms = terms.Distinct().ToList();
            all = all ?? "~all";
            var records = new List<string>();
            var main = "v=spf1 " + string.Join(" ", terms) + " " + all;
            if (Encoding.ASCII.GetByteCount(main) <= MaxRecordBytes)
            {
                records.Add(Line(audit.Domain, main));
                return (records, lookups);
            }
            // Address terms go to sub-records; the domain keeps its other terms and one include per sub-record.
            var addressTerms = terms.Where(x => x.StartsWith("ip4:") || x.StartsWith("ip6:")).ToList();
            var other = terms.Except(addressTerms).ToList();
            var chunks = new List<List<string>> { new List<string>() };
            foreach (var a in addressTerms)
            {
                var candidate = "v=spf1 " + string.Join(" ", chunks[chunks.Count - 1].Concat(new[] { a })) + " -all";
                if (Encoding.ASCII.GetByteCount(candidate) > MaxRecordBytes && chunks[chunks.Count - 1].Count > 0) chunks.Add(new List<string>());
                chunks[chunks.Count - 1].Add(a);
            }
            var subNames = chunks.Select((c, i) => $"_spf{i + 1}.{audit.Domain}").ToList();
            records.Add(Line(audit.Domain, "v=spf1 " + string.Join(" ", other.Concat(subNames.Select(n => "include:" + n))) + " " + all));
            for (var i = 0; i < chunks.Count; i++)
                records.Add(Line(subNames[i], "v=spf1 " + string.Join(" ", chunks[i]) + " -all"));
            return (records, lookups + chunks.Count);
        }

        private static IEnumerable<string> Targets(SpfTerm t) => new[] { t.Target }.Concat(t.Children.SelectMany(Targets)).OfType<string>();

        /// <summary>Collects the addresses an include's terms authorise; false when it holds something that cannot be flattened.</summary>
        private static async Task<bool> CollectAsync(IDnsResolver dns, IEnumerable<SpfTerm> terms, List<string> ips, CancellationToken ct)
        {
            foreach (var t in terms)
            {
                switch (t.Kind)
                {
                    case "all":
                        continue;
                    case "ip4":
                    case "ip6":
                        if (t.Qualifier != "pass") return false;
                        ips.Add(t.Term.TrimStart('+'));
                        continue;
                    case "include":
                    case "redirect":
                        if (t.Qualifier != "pass" && t.Kind == "include") return false;
                        if ((t.Target ?? "").Contains("%") || t.Children.Count == 0) return false;
                        if (!await CollectAsync(dns, t.Children, ips, ct).ConfigureAwait(false)) return false;
                        continue;
                    case "a":
                    case "mx":
                        if (t.Qualifier != "pass" || (t.Target ?? "").Contains("%") || t.Term.Contains("/")) return false;
                        var hosts = new List<string>();
                        if (t.Kind == "mx")
                        {
                            var mx = await dns.QueryAsync(t.Target!, DnsRecordType.MX, ct).ConfigureAwait(false);
                            if (mx.IsError) throw new DnsQueryFailedException(mx);
                            hosts.AddRange(mx.RecordsOf<MxRecord>().Select(m => m.Exchange));
                        }
                        else hosts.Add(t.Target!);
                        foreach (var h in hosts)
                            foreach (var type in new[] { DnsRecordType.A, DnsRecordType.AAAA })
                            {
                                var r = await dns.QueryAsync(h, type, ct).ConfigureAwait(false);
                                if (r.IsError) throw new DnsQueryFailedException(r);
                                foreach (var a in r.RecordsOf<AddressRecord>())
                                    ips.Add(a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "ip4:" + a.Address : "ip6:" + a.Address);
                            }
                        continue;
                    case "exp":
                        continue;
                    default:
                        return false; // exists, ptr, unknown modifiers
                }
            }
            return true;
        }

        /// <summary>A zone-file TXT line, the text split into quoted strings of at most 255 bytes.</summary>
        public static string Line(string owner, string text)
        {
            var parts = new List<string>();
            for (var i = 0; i < text.Length; i += 255) parts.Add(text.Substring(i, Math.Min(255, text.Length - i)));
            return $"{owner}. IN TXT " + string.Join(" ", parts.Select(x => "\"" + x + "\""));
        }
    }
}
