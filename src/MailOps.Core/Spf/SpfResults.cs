using System.Linq;
using System.Text;

namespace MailOps.Spf
{
    /// <summary>One step of an SPF evaluation: a term evaluated (or a record fetched) and what came of it.</summary>
    public sealed class SpfTraceStep
    {
        internal SpfTraceStep(int depth, string domain, string? term, string outcome, string? detail)
        {
            Depth = depth;
            Domain = domain;
            Term = term;
            Outcome = outcome;
            Detail = detail;
        }

        /// <summary>0 for the checked domain's record, 1 inside an include or redirect, and so on.</summary>
        public int Depth { get; }

        /// <summary>The domain whose record holds the term.</summary>
        public string Domain { get; }

        /// <summary>The term as written ("include:_spf.example.net"), or "record" for the record lookup.</summary>
        public string? Term { get; }

        /// <summary>match, no match, void, pass, fail, softfail, neutral, none, temperror, permerror, or "found" for a record.</summary>
        public string Outcome { get; }

        /// <summary>What was looked up or why, in plain words.</summary>
        public string? Detail { get; }

        public override string ToString() =>
            TextSafety.Escape($"{new string(' ', Depth * 2)}{Domain}: {Term} -> {Outcome}{(Strings.IsNullOrEmpty(Detail) ? "" : " (" + Detail + ")")}");
    }

    /// <summary>The result of an RFC 7208 check_host() evaluation for one domain and client IP.</summary>
    public sealed class SpfEvaluationResult
    {
        internal SpfEvaluationResult(string domain, string ipAddress, string sender, string heloName, string result, string matchedTerm,
            string explanation, int lookups, int voidLookups, ResultList<SpfTraceStep> trace)
        {
            Domain = domain;
            IPAddress = ipAddress;
            Sender = sender;
            HeloName = heloName;
            Result = result;
            MatchedTerm = matchedTerm;
            Explanation = explanation;
            LookupsUsed = lookups;
            VoidLookupsUsed = voidLookups;
            Trace = trace;
        }

        public string Domain { get; }

        /// <summary>The client IP evaluated (an IPv4-mapped IPv6 address is shown as the IPv4 address it is).</summary>
        public string IPAddress { get; }

        /// <summary>The MAIL FROM address used for macros (postmaster@domain when none was given).</summary>
        public string Sender { get; }

        public string HeloName { get; }

        /// <summary>none, neutral, pass, fail, softfail, temperror or permerror (RFC 7208 §2.6).</summary>
        public string Result { get; }

        /// <summary>The directive that decided the result ("-all", "include:_spf.example.net"); empty when none did.</summary>
        public string MatchedTerm { get; }

        /// <summary>For fail: the domain's exp= text or the default explanation. For none, temperror and permerror: why.</summary>
        public string Explanation { get; }

        /// <summary>DNS-querying terms evaluated (RFC 7208 §4.6.4 allows 10).</summary>
        public int LookupsUsed { get; }

        /// <summary>DNS-querying terms whose lookup found nothing (RFC 7208 §4.6.4 allows 2).</summary>
        public int VoidLookupsUsed { get; }

        /// <summary>Every term evaluated, in order, with its outcome.</summary>
        public ResultList<SpfTraceStep> Trace { get; }

        /// <summary>True for pass.</summary>
        public bool IsPass => Result == "pass";

        public override string ToString() =>
            TextSafety.Escape($"{Domain} {IPAddress}: {Result}{(Strings.IsNullOrEmpty(MatchedTerm) ? "" : " (" + MatchedTerm + ")")}");
    }

    /// <summary>One term of an SPF record in the audit tree, with what it costs against the RFC 7208 §4.6.4 limits.</summary>
    public sealed class SpfTerm
    {
        internal SpfTerm(string domain, string term, string? kind, string qualifier, string? target, int lookupCost, int voidLookups,
            string? record, string? note, ResultList<SpfTerm>? children)
        {
            Domain = domain;
            Term = term;
            Kind = kind;
            Qualifier = qualifier;
            Target = target;
            LookupCost = lookupCost;
            VoidLookups = voidLookups;
            _record = record;
            Note = note;
            Children = children ?? ResultList<SpfTerm>.Empty;
        }

        /// <summary>The domain whose record holds this term.</summary>
        public string Domain { get; }

        /// <summary>The term as written.</summary>
        public string Term { get; }

        /// <summary>The mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or modifier (redirect, exp, or another name).</summary>
        public string? Kind { get; }

        /// <summary>For mechanisms: pass, fail, softfail or neutral. Empty for modifiers.</summary>
        public string Qualifier { get; }

        /// <summary>The domain the term looks up, when it has one.</summary>
        public string? Target { get; }

        /// <summary>1 when the term itself counts against the limit of 10 DNS-querying terms, else 0.</summary>
        public int LookupCost { get; }

        /// <summary>This term's cost plus everything below it (an include's whole subtree).</summary>
        public int SubtreeLookupCost => LookupCost + Children.Sum(c => c.SubtreeLookupCost);

        /// <summary>Void lookups (NXDOMAIN or no records) of this term itself.</summary>
        public int VoidLookups { get; }

        /// <summary>Void lookups of this term and everything below it.</summary>
        public int SubtreeVoidLookups => VoidLookups + Children.Sum(c => c.SubtreeVoidLookups);

        /// <summary>For include and redirect: the record found at the target.
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record => TextSafety.Escape(_record);

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string? GetRawRecord() => _record;

        private readonly string? _record;

        /// <summary>What the audit found about this term (void, not followed, loop...).</summary>
        public string? Note { get; }

        /// <summary>For include and redirect: the terms of the target's record.</summary>
        public ResultList<SpfTerm> Children { get; }

        public override string ToString() =>
            TextSafety.Escape($"{Term} (cost {SubtreeLookupCost}{(SubtreeVoidLookups > 0 ? $", void {SubtreeVoidLookups}" : "")})");

        internal void AppendTree(StringBuilder sb, int depth)
        {
            sb.Append(new string(' ', depth * 2)).Append(TextSafety.Escape(Term)).Append("  [cost ").Append(LookupCost);
            if (Children.Count > 0) sb.Append(", subtree ").Append(SubtreeLookupCost);
            if (VoidLookups > 0) sb.Append(", void ").Append(VoidLookups);
            sb.Append(']');
            if (!Strings.IsNullOrEmpty(Note)) sb.Append("  ").Append(TextSafety.Escape(Note));
            sb.Append('\n');
            foreach (var c in Children) c.AppendTree(sb, depth + 1);
        }
    }

    /// <summary>The audit of one domain's SPF record: the record, its include/redirect tree with lookup costs, and findings.</summary>
    public sealed class SpfAuditResult
    {
        internal SpfAuditResult(string domain, string record, int lookups, int voids, ResultList<SpfTerm> terms, ResultList<Finding> findings)
        {
            Domain = domain;
            _record = record;
            LookupCount = lookups;
            VoidLookupCount = voids;
            Terms = terms;
            Findings = findings;
        }

        public string Domain { get; }

        /// <summary>The v=spf1 record (the first one, when there are several); empty when there is none.
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record => TextSafety.Escape(_record);

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string GetRawRecord() => _record;

        private readonly string _record;

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        /// <summary>DNS-querying terms in the whole tree (RFC 7208 §4.6.4 allows 10).</summary>
        public int LookupCount { get; }

        /// <summary>Terms in the whole tree whose lookup found nothing (RFC 7208 §4.6.4 allows 2).</summary>
        public int VoidLookupCount { get; }

        /// <summary>The record's terms; include and redirect terms hold their target's terms as Children.</summary>
        public ResultList<SpfTerm> Terms { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Test-MailSpf (audit): when the record needs more than 10 lookups, a flattened record that fits
        /// (<see cref="SpfFlattening"/>); null otherwise. A proposal only: nothing is published.</summary>
        public SpfFlatteningProposal? FlatteningProposal { get; internal set; }

        /// <summary>The tree as indented text, one term a line, with costs.</summary>
        public string ToTreeString()
        {
            var sb = new StringBuilder();
            sb.Append(Domain).Append("  [lookups ").Append(LookupCount).Append("/10, void ").Append(VoidLookupCount).Append("/2]\n");
            foreach (var t in Terms) t.AppendTree(sb, 1);
            return sb.ToString().TrimEnd('\n');
        }

        public override string? ToString() => TextSafety.Escape($"{Domain}: {Status}, {LookupCount} lookup(s), {VoidLookupCount} void");
    }
}
