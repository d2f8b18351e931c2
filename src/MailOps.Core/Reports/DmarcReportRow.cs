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
        internal DmarcReportRow() { }

        /// <summary>The IMAP UID of the message the row was read from (-ImapServer); null for files.</summary>
        public uint? ImapUid { get; private set; }

        /// <summary>The Message-ID of that message (without angle brackets); null for files.</summary>
        public string MessageId { get; private set; }

        /// <summary>The Date header of that message; null for files.</summary>
        public DateTimeOffset? MessageDate { get; private set; }

        void IMailboxSourced.SetMailboxSource(uint uid, string messageId, DateTimeOffset? date)
        {
            ImapUid = uid;
            MessageId = messageId;
            MessageDate = date;
        }

        /// <summary>The file the row came from (full path).</summary>
        public string SourceFile { get; internal set; }

        /// <summary>Where in the file: zip member, message and attachment; null for a plain XML file.</summary>
        public string SourceEntry { get; internal set; }

        /// <summary>The &lt;version&gt; of the report, or "draft" when there is none (as parsedmarc says).</summary>
        public string XmlSchema { get; internal set; }

        /// <summary>The XML namespace of &lt;feedback&gt; (urn:ietf:params:xml:ns:dmarc-2.0 for RFC 9990), or null.</summary>
        public string XmlNamespace { get; internal set; }

        /// <summary>True for an RFC 9990 report: the dmarc-2.0 namespace, or any element only RFC 9990 has (np, testing, discovery_method, generator).</summary>
        public bool IsRfc9990 { get; internal set; }

        public string OrgName { get; internal set; }
        public string OrgEmail { get; internal set; }
        public string OrgExtraContactInfo { get; internal set; }
        public string ReportId { get; internal set; }

        /// <summary>Start of the reporting period (UTC).</summary>
        public DateTime? BeginDate { get; internal set; }

        /// <summary>End of the reporting period (UTC).</summary>
        public DateTime? EndDate { get; internal set; }

        /// <summary>&lt;error&gt; elements of the report metadata.</summary>
        public ResultList<string> ReportErrors { get; internal set; } = ResultList<string>.Empty;

        /// <summary>The RFC 9990 &lt;generator&gt; (the software that wrote the report).</summary>
        public string Generator { get; internal set; }

        /// <summary>policy_published/domain.</summary>
        public string Domain { get; internal set; }
        public string Adkim { get; internal set; }
        public string Aspf { get; internal set; }
        public string P { get; internal set; }
        public string Sp { get; internal set; }
        public string Np { get; internal set; }
        public string Pct { get; internal set; }
        public string Fo { get; internal set; }
        /// <summary>policy_published/testing (RFC 9990, the t tag): y or n.</summary>
        public string Testing { get; internal set; }
        /// <summary>policy_published/discovery_method (RFC 9990): treewalk or psl.</summary>
        public string DiscoveryMethod { get; internal set; }

        public string SourceIP { get; internal set; }
        public long Count { get; internal set; }

        /// <summary>policy_evaluated/disposition: none, quarantine, reject (RFC 9990 adds pass).</summary>
        public string Disposition { get; internal set; }

        /// <summary>policy_evaluated/dkim: the DMARC-aligned DKIM result (pass or fail).</summary>
        public string PolicyDkim { get; internal set; }

        /// <summary>policy_evaluated/spf: the DMARC-aligned SPF result (pass or fail).</summary>
        public string PolicySpf { get; internal set; }

        public bool DkimAligned => PolicyDkim == "pass";
        public bool SpfAligned => PolicySpf == "pass";

        /// <summary>pass when DKIM or SPF passed aligned, else fail.</summary>
        public string DmarcResult => DkimAligned || SpfAligned ? "pass" : "fail";

        public ResultList<string> PolicyOverrideReasons { get; internal set; } = ResultList<string>.Empty;
        public ResultList<string> PolicyOverrideComments { get; internal set; } = ResultList<string>.Empty;

        public string HeaderFrom { get; internal set; }
        public string EnvelopeFrom { get; internal set; }
        public string EnvelopeTo { get; internal set; }

        /// <summary>auth_results/dkim: one entry per signature, in order (empty text where an element is missing).</summary>
        public ResultList<string> DkimDomains { get; internal set; } = ResultList<string>.Empty;
        public ResultList<string> DkimSelectors { get; internal set; } = ResultList<string>.Empty;
        public ResultList<string> DkimResults { get; internal set; } = ResultList<string>.Empty;

        /// <summary>auth_results/spf: one entry per SPF result, in order.</summary>
        public ResultList<string> SpfDomains { get; internal set; } = ResultList<string>.Empty;
        public ResultList<string> SpfScopes { get; internal set; } = ResultList<string>.Empty;
        public ResultList<string> SpfResults { get; internal set; } = ResultList<string>.Empty;

        /// <summary>Which report (one parse of one &lt;feedback&gt; document) the row belongs to: rows of one report share it.</summary>
        internal long ReportSerial { get; set; }

        public override string ToString() => $"{OrgName} {ReportId}: {SourceIP} x{Count} {HeaderFrom} dkim={PolicyDkim} spf={PolicySpf} -> {Disposition}";
    }
}
