using System;

namespace MailOps.Reports
{
    /// <summary>
    /// One row (one &lt;record&gt;) of a DMARC aggregate report (RFC 7489 appendix C, RFC 9990), flat enough for
    /// Export-Csv: the report's metadata and published policy are repeated on every row. Values are as reported,
    /// trimmed; empty elements are null; result words are lower-cased ("Pass" becomes "pass").
    /// </summary>
    public sealed class DmarcReportRow : IMailboxSourced
    {
        internal DmarcReportRow() => _report = new ReportValues();

        /// <summary>A row of a report read by <see cref="DmarcReportReader"/>: the report's values are shared by its rows
        /// (read once, never changed afterwards), not copied into each.</summary>
        internal DmarcReportRow(ReportValues report)
        {
            _report = report;
            _shared = true;
        }

        private ReportValues _report;
        private bool _shared;

        /// <summary>The report values of this row alone, copied first when they are shared (a setter never changes another row).</summary>
        private ReportValues Own()
        {
            if (_shared)
            {
                _report = _report.Copy();
                _shared = false;
            }
            return _report;
        }

        /// <summary>What every row of one report (one parse of one &lt;feedback&gt; document, one file or member) has in common.</summary>
        internal sealed class ReportValues
        {
            public string SourceFile = "";
            public string? SourceEntry;
            public string XmlSchema = "";
            public string? XmlNamespace;
            public bool IsRfc9990;
            public string? OrgName;
            public string? OrgEmail;
            public string? OrgExtraContactInfo;
            public string? ReportId;
            public DateTime? BeginDate;
            public DateTime? EndDate;
            public ResultList<string> ReportErrors = ResultList<string>.Empty;
            public string? Generator;
            public string? Domain;
            public string? Adkim;
            public string? Aspf;
            public string? P;
            public string? Sp;
            public string? Np;
            public string? Pct;
            public string? Fo;
            public string? Testing;
            public string? DiscoveryMethod;
            public long ReportSerial;

            public ReportValues Copy() => (ReportValues)MemberwiseClone();
        }

        /// <summary>The IMAP UID of the message the row was read from (-ImapServer); null for files.</summary>
        public uint? ImapUid { get; private set; }

        /// <summary>The Message-ID of that message (without angle brackets); null for files.</summary>
        public string? MessageId { get; private set; }

        /// <summary>The Date header of that message; null for files.</summary>
        public DateTimeOffset? MessageDate { get; private set; }

        void IMailboxSourced.SetMailboxSource(uint uid, string? messageId, DateTimeOffset? date)
        {
            ImapUid = uid;
            MessageId = messageId;
            MessageDate = date;
        }

        /// <summary>The file the row came from (full path).</summary>
        public string SourceFile { get => _report.SourceFile; internal set => Own().SourceFile = value; }

        /// <summary>Where in the file: zip member, message and attachment; null for a plain XML file.</summary>
        public string? SourceEntry { get => _report.SourceEntry; internal set => Own().SourceEntry = value; }

        /// <summary>The &lt;version&gt; of the report, or "draft" when there is none (as parsedmarc says).</summary>
        public string XmlSchema { get => _report.XmlSchema; internal set => Own().XmlSchema = value; }

        /// <summary>The XML namespace of &lt;feedback&gt; (urn:ietf:params:xml:ns:dmarc-2.0 for RFC 9990), or null.</summary>
        public string? XmlNamespace { get => _report.XmlNamespace; internal set => Own().XmlNamespace = value; }

        /// <summary>True for an RFC 9990 report: the dmarc-2.0 namespace, or any element only RFC 9990 has (np, testing, discovery_method, generator).</summary>
        public bool IsRfc9990 { get => _report.IsRfc9990; internal set => Own().IsRfc9990 = value; }

        public string? OrgName { get => _report.OrgName; internal set => Own().OrgName = value; }
        public string? OrgEmail { get => _report.OrgEmail; internal set => Own().OrgEmail = value; }
        public string? OrgExtraContactInfo { get => _report.OrgExtraContactInfo; internal set => Own().OrgExtraContactInfo = value; }
        public string? ReportId { get => _report.ReportId; internal set => Own().ReportId = value; }

        /// <summary>Start of the reporting period (UTC).</summary>
        public DateTime? BeginDate { get => _report.BeginDate; internal set => Own().BeginDate = value; }

        /// <summary>End of the reporting period (UTC).</summary>
        public DateTime? EndDate { get => _report.EndDate; internal set => Own().EndDate = value; }

        /// <summary>&lt;error&gt; elements of the report metadata.</summary>
        public ResultList<string> ReportErrors { get => _report.ReportErrors; internal set => Own().ReportErrors = value; }

        /// <summary>The RFC 9990 &lt;generator&gt; (the software that wrote the report).</summary>
        public string? Generator { get => _report.Generator; internal set => Own().Generator = value; }

        /// <summary>policy_published/domain.</summary>
        public string? Domain { get => _report.Domain; internal set => Own().Domain = value; }
        public string? Adkim { get => _report.Adkim; internal set => Own().Adkim = value; }
        public string? Aspf { get => _report.Aspf; internal set => Own().Aspf = value; }
        public string? P { get => _report.P; internal set => Own().P = value; }
        public string? Sp { get => _report.Sp; internal set => Own().Sp = value; }
        public string? Np { get => _report.Np; internal set => Own().Np = value; }
        public string? Pct { get => _report.Pct; internal set => Own().Pct = value; }
        public string? Fo { get => _report.Fo; internal set => Own().Fo = value; }
        /// <summary>policy_published/testing (RFC 9990, the t tag): y or n.</summary>
        public string? Testing { get => _report.Testing; internal set => Own().Testing = value; }
        /// <summary>policy_published/discovery_method (RFC 9990): treewalk or psl.</summary>
        public string? DiscoveryMethod { get => _report.DiscoveryMethod; internal set => Own().DiscoveryMethod = value; }

        public string? SourceIP { get; internal set; }
        public long Count { get; internal set; }

        /// <summary>policy_evaluated/disposition: none, quarantine, reject (RFC 9990 adds pass).</summary>
        public string? Disposition { get; internal set; }

        /// <summary>policy_evaluated/dkim: the DMARC-aligned DKIM result (pass or fail).</summary>
        public string? PolicyDkim { get; internal set; }

        /// <summary>policy_evaluated/spf: the DMARC-aligned SPF result (pass or fail).</summary>
        public string? PolicySpf { get; internal set; }

        public bool DkimAligned => PolicyDkim == "pass";
        public bool SpfAligned => PolicySpf == "pass";

        /// <summary>pass when DKIM or SPF passed aligned, else fail.</summary>
        public string DmarcResult => DkimAligned || SpfAligned ? "pass" : "fail";

        public ResultList<string> PolicyOverrideReasons { get => _policyOverrideReasons ?? ResultList<string>.Empty; internal set => _policyOverrideReasons = value; }
        private ResultList<string>? _policyOverrideReasons;
        public ResultList<string> PolicyOverrideComments { get => _policyOverrideComments ?? ResultList<string>.Empty; internal set => _policyOverrideComments = value; }
        private ResultList<string>? _policyOverrideComments;

        public string? HeaderFrom { get; internal set; }
        public string? EnvelopeFrom { get; internal set; }
        public string? EnvelopeTo { get; internal set; }

        /// <summary>auth_results/dkim: one entry per signature, in order (empty text where an element is missing).</summary>
        public ResultList<string> DkimDomains { get => _dkimDomains ?? ResultList<string>.Empty; internal set => _dkimDomains = value; }
        private ResultList<string>? _dkimDomains;
        public ResultList<string> DkimSelectors { get => _dkimSelectors ?? ResultList<string>.Empty; internal set => _dkimSelectors = value; }
        private ResultList<string>? _dkimSelectors;
        public ResultList<string> DkimResults { get => _dkimResults ?? ResultList<string>.Empty; internal set => _dkimResults = value; }
        private ResultList<string>? _dkimResults;

        /// <summary>auth_results/spf: one entry per SPF result, in order.</summary>
        public ResultList<string> SpfDomains { get => _spfDomains ?? ResultList<string>.Empty; internal set => _spfDomains = value; }
        private ResultList<string>? _spfDomains;
        public ResultList<string> SpfScopes { get => _spfScopes ?? ResultList<string>.Empty; internal set => _spfScopes = value; }
        private ResultList<string>? _spfScopes;
        public ResultList<string> SpfResults { get => _spfResults ?? ResultList<string>.Empty; internal set => _spfResults = value; }
        private ResultList<string>? _spfResults;

        /// <summary>Which report (one parse of one &lt;feedback&gt; document) the row belongs to: rows of one report share it.</summary>
        internal long ReportSerial { get => _report.ReportSerial; set => Own().ReportSerial = value; }

        public override string ToString() => $"{OrgName} {ReportId}: {SourceIP} x{Count} {HeaderFrom} dkim={PolicyDkim} spf={PolicySpf} -> {Disposition}";
    }
}
