using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Spf
{
    /// <summary>
    /// Audits a domain's SPF record without a client IP: finds the record(s), parses every term, follows include and
    /// redirect, and counts what RFC 7208 §4.6.4 counts (DNS-querying terms, void lookups, MX names), per term and per
    /// subtree. Terms whose target holds macros depend on the message and are counted but not followed.
    /// </summary>
    public static class SpfAudit
    {
        /// <summary>Audits one domain; the outcome's Unanswered holds the secondary questions that went unanswered (the tree is incomplete there). Throws <see cref="DnsQueryFailedException"/> when the domain's own TXT query goes unanswered.</summary>
        public static async Task<CheckOutcome<SpfAuditResult>> RunAsync(IDnsResolver dns, string domain, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            domain = DnsName.Normalize(domain.Trim());
            var auditor = new Auditor(dns, ct);
            var result = await auditor.AuditAsync(domain).ConfigureAwait(false);
            return CheckOutcome.Of(result, auditor.Unanswered);
        }

        private sealed class Fetched
        {
            public required DnsQueryResult Query;
            public List<string> Records = new List<string>();
            public SpfParsedRecord? Parsed;
        }

        private sealed class Auditor
        {
            private readonly IDnsResolver _dns;
            private readonly CancellationToken _ct;
            private readonly List<Finding> _findings = new List<Finding>();
            private readonly WorkLanes _lanes = new WorkLanes(Concurrency);
            private int _followed;
            private int _queries;
            private int _unanswered;
            private int _skippedForBudget;
            private int _skippedForUnanswered;

            /// <summary>DNS questions one audit asks at most, beyond the domain's own TXT and SPF: enough for any record
            /// within the RFC limits (10 terms, 10 MX names each), and a bound on what a hostile record can make it ask.</summary>
            internal const int QueryLimit = 100;

            /// <summary>Once this many questions went unanswered, the audit asks no more: the servers are not answering.</summary>
            internal const int UnansweredLimit = 10;

            /// <summary>Questions in flight at once (independent names are asked concurrently).</summary>
            internal const int Concurrency = 8;

            /// <summary>Includes and redirects followed per audit at most: far past the limit of 10, and a bound on what a
            /// hostile record (wide trees of distinct includes) can make the audit ask.</summary>
            internal const int FollowLimit = 40;
            public readonly List<DnsQueryResult> Unanswered = new List<DnsQueryResult>();

            public Auditor(IDnsResolver dns, CancellationToken ct)
            {
                _dns = dns;
                _ct = ct;
            }

            /// <summary>Takes <paramref name="count"/> questions from the budget; null when they may be asked, else the
            /// note saying why the term is not looked up (and the skip is counted for the finding).</summary>
            private string? Reserve(int count)
            {
                if (Volatile.Read(ref _unanswered) >= UnansweredLimit) return SkippedForUnanswered();
                if (Interlocked.Add(ref _queries, count) > QueryLimit)
                {
                    Interlocked.Add(ref _queries, -count);
                    Interlocked.Increment(ref _skippedForBudget);
                    return $"not looked up: the audit asks at most {QueryLimit} DNS questions";
                }
                return null;
            }

            private string SkippedForUnanswered()
            {
                Interlocked.Increment(ref _skippedForUnanswered);
                return $"not looked up: {UnansweredLimit} questions of this audit had already gone unanswered";
            }

            /// <summary>Asks one question when a slot is free; null (not asked) when by then too many went unanswered.</summary>
            private async Task<DnsQueryResult?> QueryAsync(string name, DnsRecordType type)
            {
                var r = await _lanes.Run<DnsQueryResult?>(async () => Volatile.Read(ref _unanswered) >= UnansweredLimit
                    ? null
                    : await _dns.QueryAsync(name, type, _ct).ConfigureAwait(false), _ct).ConfigureAwait(false);
                if (r == null) return null;
                if (r.IsError)
                {
                    Interlocked.Increment(ref _unanswered);
                    lock (Unanswered) Unanswered.Add(r);
                }
                return r;
            }

            private void Add(string code, FindingSeverity severity, string message, string remedy, string subject) =>
                _findings.Add(new Finding(code, severity, message, remedy, subject));

            public async Task<SpfAuditResult> AuditAsync(string domain)
            {
                var txtTask = _dns.QueryAsync(domain, DnsRecordType.TXT, _ct);
                var spfTask = _dns.QueryAsync(domain, DnsRecordType.SPF, _ct);
                var txt = await txtTask.ConfigureAwait(false);
                DnsQueryResult spf99;
                try { spf99 = await spfTask.ConfigureAwait(false); }
                catch (OperationCanceledException) { throw; }
                if (txt.IsError) throw new DnsQueryFailedException(txt);
                if (spf99.IsError) Unanswered.Add(spf99);

                var records = txt.RecordsOf<TxtRecord>().Where(t => SpfParser.IsSpfRecord(t.Text)).ToList();
                CheckSize(domain, txt);

                var obsolete = spf99.RecordsOf<TxtRecord>().Where(t => SpfParser.IsSpfRecord(t.Text)).ToList();
                if (obsolete.Count > 0)
                {
                    var differs = records.Count > 0 && !obsolete.Any(o => o.Text == records[0].Text);
                    Add("ObsoleteSpfRecordType", FindingSeverity.Warning,
                        $"{domain} publishes an SPF record of the obsolete DNS type SPF (99). RFC 7208 §3.1 removed that type; receivers read only TXT"
                        + (records.Count == 0 ? ", so this domain has no SPF policy at all." : differs ? ", and this one differs from the TXT record, which is the one that counts." : "."),
                        records.Count == 0
                            ? $"Publish the record as TXT at {domain} and delete the type SPF record."
                            : $"Delete the type SPF record of {domain}; keep the TXT record.", domain);
                }

                if (records.Count == 0)
                {
                    var why = txt.Outcome == DnsOutcome.NxDomain ? $"{domain} does not exist (NXDOMAIN)" : $"{domain} has no TXT record starting with v=spf1";
                    Add("NoSpfRecord", FindingSeverity.Fail,
                        $"{why}: receivers get SPF result 'none' and cannot tell your mail from forgeries; many treat it as suspicious.",
                        $"Publish a TXT record at {domain} listing your senders and ending in -all or ~all, e.g. \"v=spf1 mx -all\"; for a domain that sends no mail, \"v=spf1 -all\".",
                        domain);
                    return new SpfAuditResult(domain, "", 0, 0, ResultList<SpfTerm>.Empty, new ResultList<Finding>(_findings));
                }
                if (records.Count > 1)
                {
                    Add("MultipleSpfRecords", FindingSeverity.Fail,
                        $"{domain} publishes {records.Count} v=spf1 TXT records; RFC 7208 §4.5 makes that a permerror, so receivers ignore all of them: {string.Join(" | ", records.Select(r => r.Text))}",
                        "Merge them into one record (combine the mechanisms, keep one 'all' at the end) and delete the others.", domain);
                }

                var parsed = SpfParser.Parse(records[0].Text);
                if (!parsed.IsValid)
                    Add("SyntaxError", FindingSeverity.Fail,
                        $"The SPF record of {domain} has a {parsed.DescribeError()}. Receivers return permerror for the whole record.",
                        "Correct the term at that position; the record is: " + Printable(records[0].Text), domain);

                var path = new List<string> { domain.ToLowerInvariant() };
                var terms = await TermsAsync(parsed, domain, path, _findings).ConfigureAwait(false);
                CheckBudget(domain);

                CheckPolicy(domain, parsed, terms);
                int lookups = terms.Sum(t => t.SubtreeLookupCost);
                int voids = terms.Sum(t => t.SubtreeVoidLookups);
                CheckLimits(domain, terms, lookups, voids);
                return new SpfAuditResult(domain, records[0].Text, lookups, voids, new ResultList<SpfTerm>(terms), new ResultList<Finding>(_findings));
            }

            private static string Printable(string s) => new string(s.Select(ch => ch < 0x20 || ch == 0x7f ? '?' : ch).ToArray());

            private void CheckSize(string domain, DnsQueryResult txt)
            {
                var all = txt.RecordsOf<TxtRecord>().ToList();
                foreach (var r in all.Where(r => r.Strings.Any(s => Encoding.UTF8.GetByteCount(s) > 255)))
                    Add("TxtStringTooLong", FindingSeverity.Fail,
                        $"A TXT record of {domain} has a string of {r.Strings.Max(s => Encoding.UTF8.GetByteCount(s))} bytes; a DNS character-string holds at most 255, so the record cannot be served as written.",
                        "Split the record into several quoted strings of at most 255 bytes each (\"v=spf1 ...\" \"...\"); receivers join them without spaces.", domain);
                // Header 12 + question (name + 2 + 4) + each answer (compressed owner 2 + type/class/ttl/rdlength 10 + strings).
                int size = 12 + Encoding.UTF8.GetByteCount(domain) + 2 + 4
                    + all.Sum(r => 12 + r.Strings.Sum(s => 1 + Math.Min(255, Encoding.UTF8.GetByteCount(s))));
                if (size > 512)
                    Add("RecordTooLongForUdp", FindingSeverity.Warning,
                        $"The TXT answer for {domain} is about {size} bytes, more than the 512 bytes of a plain UDP DNS answer (RFC 7208 §3.4). Receivers whose resolvers lack EDNS0 or TCP get a truncated answer and may return temperror.",
                        "Shorten the record (replace lists of ip4: ranges with CIDR blocks, drop unused includes) or move other TXT records at this name elsewhere.", domain);
            }

            private void CheckBudget(string domain)
            {
                int skipped = _skippedForBudget + _skippedForUnanswered;
                if (skipped == 0) return;
                var why = _skippedForUnanswered > 0
                    ? $"{UnansweredLimit} of its DNS questions went unanswered"
                    : $"it reached its limit of {QueryLimit} DNS questions";
                Add("AuditIncomplete", FindingSeverity.Warning,
                    $"The audit of {domain} stopped looking names up because {why}: {skipped} term(s) are listed and counted but were not resolved, "
                    + "so their void lookups, MX counts and include trees are unknown (their Note says 'not looked up'). A record that needs this many lookups is far past the RFC 7208 limit of 10.",
                    "Fix the lookup count first (see TooManyLookups); if the servers were not answering, run the audit again.", domain);
            }

            /// <summary>The terms of a record as tree nodes; include and redirect are followed. Terms are looked up
            /// concurrently (the gate bounds the questions in flight); findings keep the record's order.</summary>
            private async Task<List<SpfTerm>> TermsAsync(SpfParsedRecord record, string domain, List<string> path, List<Finding> sink)
            {
                _ct.ThrowIfCancellationRequested();
                bool hasAll = record.Mechanisms.Any(m => m.Name == "all");
                var sinks = record.Terms.Select(_ => new List<Finding>()).ToList();
                var tasks = new List<Task<SpfTerm>>(record.Terms.Count);
                for (int i = 0; i < record.Terms.Count; i++)
                {
                    if ((i & 255) == 0) _ct.ThrowIfCancellationRequested();
                    tasks.Add(TermAsync(record.Terms[i], domain, path, hasAll, sinks[i]));
                }
                var nodes = await Task.WhenAll(tasks).ConfigureAwait(false);
                foreach (var s in sinks) sink.AddRange(s);
                return nodes.ToList();
            }

            private async Task<SpfTerm> TermAsync(SpfParsedTerm t, string domain, List<string> path, bool recordHasAll, List<Finding> sink)
            {
                void Add(string code, FindingSeverity severity, string message, string remedy, string subject) =>
                    sink.Add(new Finding(code, severity, message, remedy, subject));
                _ct.ThrowIfCancellationRequested();
                string qualifier = t.IsModifier ? "" : t.QualifierResult;
                string Target() => t.Domain == null ? domain : t.Domain.HasMacros ? t.Domain.Text : SpfMacro.ToQueryName(t.Domain.Text) ?? t.Domain.Text;
                SpfTerm Node(int cost, int voids, string? target, string? note, string? record = null, List<SpfTerm>? children = null) =>
                    new SpfTerm(domain, t.Text, t.Name, qualifier, target, cost, voids, record, note, children == null ? null : new ResultList<SpfTerm>(children));
                bool macro = t.Domain != null && t.Domain.HasMacros;
                const string macroNote = "target holds macros: it depends on the message, so it is counted but not looked up";
                if (t.Domain != null && !macro && t.Name != "exp" && SpfMacro.ToQueryName(t.Domain.Text) == null)
                {
                    // Valid domain-spec syntax, but no DNS name (an empty label, a label over 63 octets).
                    bool fatal = t.Name == "include" || (t.Name == "redirect" && !recordHasAll);
                    Add(fatal ? (t.Name == "include" ? "IncludeNoSpf" : "RedirectNoSpf") : "InvalidTargetName", fatal ? FindingSeverity.Fail : FindingSeverity.Warning,
                        $"'{t.Text}' in the record of {domain} names '{t.Domain.Text}', which is not a valid DNS name (an empty label or a label over 63 characters)"
                        + (fatal ? "; there is no SPF record to find there, so receivers return permerror." : "; the term can never match."),
                        $"Correct the domain in '{t.Text}'.", domain);
                    return Node(t.CountsLookup && !(t.Name == "redirect" && recordHasAll) ? 1 : 0, 0, t.Domain.Text, "not a valid DNS name; never matches");
                }

                switch (t.Name)
                {
                    case "all":
                    case "ip4":
                    case "ip6":
                        return Node(0, 0, null, null);
                    case "exp":
                        return Node(0, 0, macro ? t.Domain!.Text : Target(), "explanation for fail results; not counted");
                    case "a":
                    {
                        var target = Target();
                        if (macro) return Node(1, 0, target, macroNote);
                        var skip = Reserve(2);
                        if (skip != null) return Node(1, 0, target, skip);
                        var a = QueryAsync(target, DnsRecordType.A);
                        var aaaa = QueryAsync(target, DnsRecordType.AAAA);
                        var ra = await a.ConfigureAwait(false);
                        var raaaa = await aaaa.ConfigureAwait(false);
                        if (ra == null || raaaa == null) return Node(1, 0, target, SkippedForUnanswered());
                        if (ra.IsError || raaaa.IsError) return Node(1, 0, target, $"lookup unanswered ({(ra.IsError ? ra.Outcome : raaaa.Outcome)}); not checked");
                        int n = ra.Records.Count + raaaa.Records.Count;
                        if (n == 0) return Node(1, 1, target, $"void: {target} has no A or AAAA record");
                        return Node(1, 0, target, $"{ra.Records.Count} IPv4, {raaaa.Records.Count} IPv6 address(es)");
                    }
                    case "mx":
                    {
                        var target = Target();
                        if (macro) return Node(1, 0, target, macroNote);
                        var skip = Reserve(1);
                        if (skip != null) return Node(1, 0, target, skip);
                        var mx = await QueryAsync(target, DnsRecordType.MX).ConfigureAwait(false);
                        if (mx == null) return Node(1, 0, target, SkippedForUnanswered());
                        if (mx.IsError) return Node(1, 0, target, $"lookup unanswered ({mx.Outcome}); not checked");
                        var hosts = mx.RecordsOf<MxRecord>().ToList();
                        if (hosts.Count == 0) return Node(1, 1, target, $"void: {target} has no MX record");
                        if (hosts.Count > SpfEvaluator.NameLimit)
                            Add("MxTooManyNames", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain}: {target} has {hosts.Count} MX records; RFC 7208 §4.6.4 allows {SpfEvaluator.NameLimit} per mx mechanism, so receivers return permerror when they reach it.",
                                $"List the mail servers with ip4:/ip6: or a: terms instead of '{t.Text}', or reduce the MX records of {target} to 10.", domain);
                        return Node(1, 0, target, $"{hosts.Count} MX host(s): {string.Join(", ", hosts.OrderBy(h => h.Preference).Select(h => h.Exchange))}");
                    }
                    case "ptr":
                        Add("PtrMechanism", FindingSeverity.Warning,
                            $"The record of {domain} uses '{t.Text}'. RFC 7208 §5.5 says ptr SHOULD NOT be used: it is slow, costs the receiver's DNS, depends on reverse DNS the sender may not control, and some receivers skip it.",
                            "Replace ptr with ip4:/ip6: ranges or a:/mx: terms naming the sending hosts.", domain);
                        return Node(1, 0, Target(), "deprecated; the result depends on the client IP's reverse DNS (at most 10 PTR names are checked)");
                    case "exists":
                    {
                        var target = Target();
                        if (macro) return Node(1, 0, target, macroNote);
                        var skip = Reserve(1);
                        if (skip != null) return Node(1, 0, target, skip);
                        var a = await QueryAsync(target, DnsRecordType.A).ConfigureAwait(false);
                        if (a == null) return Node(1, 0, target, SkippedForUnanswered());
                        if (a.IsError) return Node(1, 0, target, $"lookup unanswered ({a.Outcome}); not checked");
                        return a.Records.Count == 0 ? Node(1, 1, target, $"void: {target} has no A record") : Node(1, 0, target, "exists");
                    }
                    case "include":
                    case "redirect":
                    {
                        bool include = t.Name == "include";
                        if (!include && recordHasAll)
                        {
                            Add("RedirectIgnored", FindingSeverity.Warning,
                                $"The record of {domain} has both 'all' and '{t.Text}'; redirect takes effect only when no mechanism matches, and 'all' always matches, so the redirect is never used (RFC 7208 §6.1).",
                                "Remove the redirect, or remove 'all' if the redirected policy is the one you mean.", domain);
                            return Node(0, 0, Target(), "ignored: the record has 'all', which always matches first");
                        }
                        var target = Target();
                        if (macro) return Node(1, 0, target, macroNote);
                        var label = include ? "include" : "redirect";
                        if (path.Contains(target.ToLowerInvariant()))
                        {
                            Add(include ? "IncludeLoop" : "RedirectLoop", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain} leads back to {target} ({string.Join(" -> ", path)} -> {target}). Evaluation loops until the 10-lookup limit: permerror.",
                                $"Remove the {label} that points back into the chain.", domain);
                            return Node(1, 0, target, "loop: already on the path " + string.Join(" -> ", path));
                        }
                        if (Interlocked.Increment(ref _followed) > FollowLimit)
                            return Node(1, 0, target, $"not followed: the audit stops following includes after {FollowLimit}, far past the limit of 10");
                        var skip = Reserve(1);
                        if (skip != null) return Node(1, 0, target, skip);
                        var fetched = await FetchAsync(target).ConfigureAwait(false);
                        if (fetched == null) return Node(1, 0, target, SkippedForUnanswered());
                        var q = fetched.Query;
                        string code = include ? "Include" : "Redirect";
                        if (q.IsError)
                        {
                            Add(code + "Unanswered", FindingSeverity.Warning,
                                $"The TXT lookup for {target} ('{t.Text}' in the record of {domain}) went unanswered ({q.Outcome}); this part of the tree could not be checked, and receivers that see the same get temperror.",
                                "Check that the name servers of " + target + " answer, then run the check again.", target);
                            return Node(1, 0, target, $"lookup unanswered ({q.Outcome}); not followed");
                        }
                        if (fetched.Records.Count == 0)
                        {
                            bool isVoid = q.IsEmpty;
                            Add(code + "NoSpf", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain}: {target} {(q.Outcome == DnsOutcome.NxDomain ? "does not exist" : "has no SPF record")}. RFC 7208 §{(include ? "5.2" : "6.1")} makes that a permerror for every message.",
                                $"Remove '{t.Text}' or correct the domain (the provider's documentation names the right one).", domain);
                            return Node(1, isVoid ? 1 : 0, target, isVoid ? $"void: {target} {(q.Outcome == DnsOutcome.NxDomain ? "does not exist" : "has no TXT record")}" : "no v=spf1 record at the target");
                        }
                        if (fetched.Records.Count > 1)
                            Add(code + "MultipleRecords", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain}: {target} publishes {fetched.Records.Count} v=spf1 records, a permerror (RFC 7208 §4.5).",
                                $"Ask the owner of {target} to merge the records, or stop using it.", domain);
                        var parsed = fetched.Parsed!;   // set whenever there is a record
                        if (!parsed.IsValid)
                            Add(code + "SyntaxError", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain}: the record of {target} has a {parsed.DescribeError()}; evaluation reaching it is a permerror.",
                                $"Fix the record of {target}, or remove '{t.Text}'.", domain);
                        if (include && parsed.Mechanisms.Any(m => m.Name == "all" && m.Qualifier == '+'))
                            Add("IncludeAllowsAll", FindingSeverity.Fail,
                                $"'{t.Text}' in the record of {domain}: {target} ends in '+all', so the include matches every IP address and {domain} authorises the whole internet.",
                                $"Remove '{t.Text}' or have {target} corrected.", domain);
                        var childPath = new List<string>(path) { target.ToLowerInvariant() };
                        var children = await TermsAsync(parsed, target, childPath, sink).ConfigureAwait(false);
                        return Node(1, 0, target, null, fetched.Records[0], children);
                    }
                    default:
                        return Node(0, 0, null, t.IsModifier ? "unknown modifier; receivers ignore it" : null);
                }
            }

            private async Task<Fetched?> FetchAsync(string domain)
            {
                var query = await QueryAsync(domain, DnsRecordType.TXT).ConfigureAwait(false);
                if (query == null) return null;
                var f = new Fetched { Query = query };
                f.Records = f.Query.RecordsOf<TxtRecord>().Select(r => r.Text).Where(SpfParser.IsSpfRecord).ToList();
                if (f.Records.Count > 0) f.Parsed = SpfParser.Parse(f.Records[0]);
                return f;
            }

            private void CheckPolicy(string domain, SpfParsedRecord parsed, List<SpfTerm> terms)
            {
                var all = parsed.Mechanisms.FirstOrDefault(m => m.Name == "all");
                if (all == null && parsed.Redirect == null && parsed.IsValid)
                    Add("NoAllOrRedirect", FindingSeverity.Warning,
                        $"The record of {domain} has neither 'all' nor 'redirect=': mail from unlisted hosts gets the default result neutral, the same as no policy.",
                        "End the record with -all (reject others) or ~all (mark others as suspicious).", domain);
                // The 'all' that decides: this record's, or the redirect target's.
                var effective = all;
                string? owner = domain;
                if (effective == null)
                {
                    var redirect = terms.FirstOrDefault(t => t.Kind == "redirect");
                    var target = redirect?.Children.FirstOrDefault(c => c.Kind == "all");
                    if (redirect != null && target != null)
                    {
                        owner = redirect.Target;
                        effective = new SpfParsedTerm { Text = target.Term, Name = "all", Qualifier = target.Term[0] == '+' || target.Term[0] == '-' || target.Term[0] == '~' || target.Term[0] == '?' ? target.Term[0] : '+' };
                    }
                }
                if (effective != null && effective.Qualifier == '+')
                    Add("AllowAll", FindingSeverity.Fail,
                        $"'{effective.Text}' in the record of {owner} authorises every host on the internet to send as {domain}: SPF then protects nothing, and receivers treat the record as a spam signal.",
                        "Replace it with -all (or ~all while you are still finding all your senders).", domain);
                else if (effective != null && effective.Qualifier == '?')
                    Add("NeutralAll", FindingSeverity.Warning,
                        $"'{effective.Text}' in the record of {owner} gives unlisted hosts the result neutral: forgeries are not marked, so the record protects little.",
                        "Use ~all once your senders are listed, then -all.", domain);
                if (all != null)
                {
                    var after = parsed.Mechanisms.SkipWhile(m => m != all).Skip(1).ToList();
                    if (after.Count > 0)
                        Add("TermsAfterAll", FindingSeverity.Warning,
                            $"The record of {domain} has mechanisms after '{all.Text}' ({string.Join(" ", after.Select(m => m.Text))}); 'all' always matches, so they are never evaluated.",
                            $"Move '{all.Text}' to the end of the record.", domain);
                }
            }

            private void CheckLimits(string domain, List<SpfTerm> terms, int lookups, int voids)
            {
                if (lookups > SpfEvaluator.LookupLimit)
                {
                    var order = EvaluationOrder(terms).ToList();
                    int running = 0;
                    string? eleventh = null;
                    foreach (var (term, via) in order)
                    {
                        running += term.LookupCost;
                        if (running > SpfEvaluator.LookupLimit) { eleventh = $"'{term.Term}' in the record of {term.Domain}{via}"; break; }
                    }
                    var culprits = terms.Where(t => t.SubtreeLookupCost > 0).OrderByDescending(t => t.SubtreeLookupCost)
                        .Take(6).Select(t => $"{t.Term} ({t.SubtreeLookupCost})");
                    Add("TooManyLookups", FindingSeverity.Fail,
                        $"The SPF record of {domain} needs {(_followed > FollowLimit || _skippedForBudget + _skippedForUnanswered > 0 ? "at least " : "")}{lookups} DNS-querying terms; RFC 7208 §4.6.4 allows {SpfEvaluator.LookupLimit}, and receivers return permerror when evaluation reaches number 11"
                        + (eleventh != null ? $", {eleventh}" : "") + $". Cost by term: {string.Join(", ", culprits)}.",
                        "Remove includes you no longer use, replace a: and mx: terms with ip4:/ip6: ranges, or ask costly providers for a flatter include.", domain);
                }
                else if (lookups >= SpfEvaluator.LookupLimit - 1)
                    Add("LookupCountNearLimit", FindingSeverity.Info,
                        $"The SPF record of {domain} needs {lookups} of the {SpfEvaluator.LookupLimit} DNS-querying terms RFC 7208 allows; one more include or a provider adding one breaks it.",
                        "Keep headroom: replace a: and mx: terms with ip4:/ip6: ranges where the addresses are stable.", domain);

                if (voids > SpfEvaluator.VoidLookupLimit)
                {
                    var culprits = Flatten(terms).Where(t => t.VoidLookups > 0).Select(t => $"'{t.Term}' in the record of {t.Domain}");
                    Add("TooManyVoidLookups", FindingSeverity.Fail,
                        $"The SPF record of {domain} has {voids} void lookups (names that do not exist or have no records); RFC 7208 §4.6.4 allows {SpfEvaluator.VoidLookupLimit}, so receivers that reach the third return permerror: {string.Join(", ", culprits)}.",
                        "Remove the terms that point at names with no records.", domain);
                }
                else if (voids > 0)
                {
                    var culprits = Flatten(terms).Where(t => t.VoidLookups > 0).Select(t => $"'{t.Term}' in the record of {t.Domain}");
                    Add("VoidLookup", FindingSeverity.Warning,
                        $"The SPF record of {domain} has {voids} void lookup(s), terms whose name has no records: {string.Join(", ", culprits)}. They authorise nothing and count towards the limit of {SpfEvaluator.VoidLookupLimit}.",
                        "Remove those terms or publish the records they expect.", domain);
                }
            }

            private static IEnumerable<SpfTerm> Flatten(IEnumerable<SpfTerm> terms) =>
                terms.SelectMany(t => new[] { t }.Concat(Flatten(t.Children)));

            /// <summary>Terms in the order check_host() evaluates them: mechanisms, then the redirect; an include's or
            /// redirect's subtree right after it.</summary>
            private static IEnumerable<(SpfTerm, string)> EvaluationOrder(IEnumerable<SpfTerm> terms, string via = "")
            {
                var list = terms.ToList();
                foreach (var t in list.Where(t => t.Kind != "redirect").Concat(list.Where(t => t.Kind == "redirect")))
                {
                    yield return (t, via);
                    foreach (var inner in EvaluationOrder(t.Children, $" (via {t.Term} in {t.Domain}{via})"))
                        yield return inner;
                }
            }
        }
    }
}
