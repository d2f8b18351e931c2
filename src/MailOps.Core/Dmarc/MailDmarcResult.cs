using System.Linq;

namespace MailOps.Dmarc
{
    /// <summary>The DMARC policy that applies to a domain, where it was found, and what is wrong with it.</summary>
    public sealed class MailDmarcResult
    {
        internal MailDmarcResult(string domain, string? record, string? policyDomain, string? organizationalDomain, string discoveryMethod,
            string? policy, string? subdomainPolicy, string? nonExistentPolicy, string? adkim, string? aspf, bool testing, string? psd,
            ResultList<string> reportUris, ResultList<string> failureReportUris, ResultList<string> queriedNames, ResultList<Finding> findings)
        {
            Domain = domain;
            _record = record;
            PolicyDomain = policyDomain;
            OrganizationalDomain = organizationalDomain;
            DiscoveryMethod = discoveryMethod;
            Policy = policy;
            SubdomainPolicy = subdomainPolicy;
            NonExistentPolicy = nonExistentPolicy;
            DkimAlignment = adkim;
            SpfAlignment = aspf;
            Testing = testing;
            PublicSuffixDomain = psd;
            ReportUris = reportUris;
            FailureReportUris = failureReportUris;
            QueriedNames = queriedNames;
            Findings = findings;
        }

        /// <summary>The domain checked.</summary>
        public string Domain { get; }

        /// <summary>The DMARC record that applies (the TXT text at _dmarc.&lt;PolicyDomain&gt;), or null when none does.
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record => TextSafety.Escape(_record);

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string? GetRawRecord() => _record;

        private readonly string? _record;

        /// <summary>Where the record was found: the domain itself, its organizational domain, or its public suffix domain.</summary>
        public string? PolicyDomain { get; }

        /// <summary>The organizational domain as the discovery method determined it.</summary>
        public string? OrganizationalDomain { get; }

        /// <summary>TreeWalk (RFC 9989) or PublicSuffixList (RFC 7489).</summary>
        public string DiscoveryMethod { get; }

        /// <summary>The p tag: none, quarantine or reject (null without a record).</summary>
        public string? Policy { get; }

        /// <summary>The policy for existing subdomains: sp, else p.</summary>
        public string? SubdomainPolicy { get; }

        /// <summary>The policy for non-existent subdomains: np, else sp, else p.</summary>
        public string? NonExistentPolicy { get; }

        /// <summary>DKIM and SPF alignment modes as "adkim=r; aspf=s" (r relaxed, s strict).</summary>
        public string? Alignment => Record == null ? null : $"adkim={DkimAlignment}; aspf={SpfAlignment}";

        /// <summary>adkim: r (relaxed) or s (strict).</summary>
        public string? DkimAlignment { get; }

        /// <summary>aspf: r (relaxed) or s (strict).</summary>
        public string? SpfAlignment { get; }

        /// <summary>True with t=y: receivers apply one level less than the policy (RFC 9989).</summary>
        public bool Testing { get; }

        /// <summary>The public suffix domain whose psd=y record stopped the tree walk, if any.</summary>
        public string? PublicSuffixDomain { get; }

        /// <summary>Aggregate report destinations (rua), as published.</summary>
        public ResultList<string> ReportUris { get; }

        /// <summary>Failure report destinations (ruf), as published.</summary>
        public ResultList<string> FailureReportUris { get; }

        /// <summary>The _dmarc names asked, in order (the tree walk asks at most 8).</summary>
        public ResultList<string> QueriedNames { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        public override string? ToString() => TextSafety.Escape(Record == null ? $"{Domain}: no DMARC record" : $"{Domain}: p={Policy} (from {PolicyDomain})");
    }
}
