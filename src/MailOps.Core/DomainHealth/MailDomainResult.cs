using System.Collections.Generic;
using MailOps.Dkim;
using MailOps.Dmarc;
using MailOps.Dnsbl;
using MailOps.MtaSts;
using MailOps.Mx;
using MailOps.Smtp;
using MailOps.Spf;

namespace MailOps.DomainHealth
{
    /// <summary>
    /// One finding of a domain health check, ranked by what to fix first (see docs/domain.md): the sub-check it came from,
    /// its priority tier, and, where one can be proposed, the exact record to publish.
    /// </summary>
    public sealed class MailDomainFinding
    {
        internal MailDomainFinding(int rank, string priority, string area, Finding finding, string? record)
        {
            Rank = rank;
            Priority = priority;
            Area = area;
            Code = finding.Code;
            Severity = finding.Severity;
            Level = finding.Level;
            Message = finding.Message;
            Remedy = finding.Remedy;
            Subject = finding.Subject;
            Record = record;
        }

        /// <summary>1 = fix first. Findings of a result are sorted by it.</summary>
        public int Rank { get; }

        /// <summary>Blocking, Broken, Deliverability, Hardening or Info (the tiers of docs/domain.md).</summary>
        public string Priority { get; }

        /// <summary>The check it came from: Mx, Blocklist, Spf, Dmarc, Dkim, Dane, MtaSts, TlsRpt, Smtp or Client.</summary>
        public string Area { get; }

        public string Code { get; }

        /// <summary>Info, Warning or Fail, as the single check reported it.</summary>
        public string Severity { get; }

        internal FindingSeverity Level { get; }

        public string? Message { get; }

        public string? Remedy { get; }

        public string? Subject { get; }

        /// <summary>The record to publish (zone-file line), when one can be proposed; else null.</summary>
        public string? Record { get; }

        public override string ToString() => $"{Rank}. [{Priority}] {Area}/{Code}: {Message}";
    }

    /// <summary>A client-configuration record a mail suite asks for (-Profile): SRV for submission/IMAP, autoconfig, ...</summary>
    public sealed class MailClientRecord
    {
        internal MailClientRecord(string domain, string name, string type, string purpose, bool found, string? value, string expected, string source)
        {
            Domain = domain;
            Name = name;
            Type = type;
            Purpose = purpose;
            Found = found;
            Value = value;
            Expected = expected;
            Source = source;
        }

        public string? Domain { get; }
        public string Name { get; }
        /// <summary>SRV, or CNAME for autoconfig/autodiscover host names (an A/AAAA answer counts as found too).</summary>
        public string Type { get; }
        public string Purpose { get; }
        public bool Found { get; }
        /// <summary>What DNS answered (SRV data or the addresses/alias), when found.</summary>
        public string? Value { get; }
        /// <summary>The zone-file line the suite's documentation asks for.</summary>
        public string Expected { get; }
        /// <summary>Where the requirement comes from.</summary>
        public string Source { get; }

        public override string ToString() => $"{Name} {Type}: {(Found ? Value : "missing")}";
    }

    /// <summary>
    /// The answer to "will my mail land, and if not, what do I fix first?" for one domain: each sub-check's own result
    /// (the objects the single cmdlets write), the merged findings in fix-first order, a Status and a Score/Grade.
    /// </summary>
    public sealed class MailDomainResult
    {
        internal MailDomainResult() { }

        public string Domain { get; internal set; } = "";

        /// <summary>Pass, Warning, Fail, or Incomplete when a check could not run (never Pass then).</summary>
        public string? Status { get; internal set; }

        /// <summary>0-100 by the rubric of docs/domain.md; null when Incomplete (a score over what could not be asked would flatter).</summary>
        public int? Score { get; internal set; }

        /// <summary>A, B, C, D or F (F whenever a Blocking finding exists); "?" when Incomplete.</summary>
        public string? Grade { get; internal set; }

        /// <summary>The profile whose client records were checked (None, Generic, Mailcow, PosteIo).</summary>
        public string? Profile { get; internal set; }

        /// <summary>True when the SMTP service of each MX was probed and DANE matched against it (-Live).</summary>
        public bool Live { get; internal set; }

        public ResultList<MailDomainFinding> Findings { get; internal set; } = ResultList<MailDomainFinding>.Empty;

        /// <summary>Checks (or parts of them) that could not run, one line each: shown as "could not check" in reports.</summary>
        public ResultList<string> CouldNotCheck { get; internal set; } = ResultList<string>.Empty;

        public ResultList<MailMxHost> Mx { get; internal set; } = ResultList<MailMxHost>.Empty;
        public SpfAuditResult? Spf { get; internal set; }
        public MailDmarcResult? Dmarc { get; internal set; }
        /// <summary>The DKIM selectors checked (-DkimSelector) or found (the Find-DkimSelector list).</summary>
        public ResultList<MailDkimRecord> Dkim { get; internal set; } = ResultList<MailDkimRecord>.Empty;
        public MtaStsResult? MtaSts { get; internal set; }
        public TlsRptResult? TlsRpt { get; internal set; }
        /// <summary>TLSA presence per MX host; with -Live the full match against the presented certificate.</summary>
        public ResultList<MailDaneResult> Dane { get; internal set; } = ResultList<MailDaneResult>.Empty;
        /// <summary>With -Live: the SMTP service of each MX host (STARTTLS, certificate).</summary>
        public ResultList<MailServiceResult> Smtp { get; internal set; } = ResultList<MailServiceResult>.Empty;
        public ResultList<MailClientRecord> ClientRecords { get; internal set; } = ResultList<MailClientRecord>.Empty;
        /// <summary>The domain on the domain blocklists and each public MX address on the IP blocklists (Get-DnsblListing's
        /// objects, Status Listed, NotListed or Error); empty with -NoBlocklist.</summary>
        public ResultList<DnsblResult> Blocklists { get; internal set; } = ResultList<DnsblResult>.Empty;
        /// <summary>"192.0.2.25 on zen.spamhaus.org" for each listing; empty when nothing is listed (or nothing was asked).</summary>
        public ResultList<string> ListedOn { get; internal set; } = ResultList<string>.Empty;

        /// <summary>How many findings of each tier, e.g. "2 Blocking; 1 Hardening".</summary>
        public string? Summary { get; internal set; }

        public override string ToString() => $"{Domain}: {Status} {Grade}";

        internal static readonly IReadOnlyList<string> Areas = new[] { "Mx", "Blocklist", "Spf", "Dmarc", "Dkim", "Dane", "MtaSts", "TlsRpt", "Smtp", "Client" };
    }
}
