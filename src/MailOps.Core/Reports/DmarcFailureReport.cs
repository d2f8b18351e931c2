using System;

namespace MailOps.Reports
{
    /// <summary>
    /// One DMARC failure (forensic) report: an ARF message (RFC 5965, multipart/report; report-type=feedback-report) whose
    /// message/feedback-report part says Feedback-Type: auth-failure (RFC 6591, RFC 7489 §7.3, RFC 9991), with what the
    /// copy of the failed message (message/rfc822, or only its headers as text/rfc822-headers) says. Field values are as
    /// reported, trimmed; fields that are absent are null (lists empty). Flat enough for Export-Csv.
    /// </summary>
    public sealed class DmarcFailureReport : IMailboxSourced
    {
        internal DmarcFailureReport() { }

        /// <summary>With -ImapServer: the report message's IMAP UID in its folder; null for files.</summary>
        public uint? ImapUid { get; private set; }

        /// <summary>With -ImapServer: the report message's own Message-ID (MessageId is the failed message's); null for files.</summary>
        public string? ReportMessageId { get; private set; }

        void IMailboxSourced.SetMailboxSource(uint uid, string? messageId, DateTimeOffset? date)
        {
            ImapUid = uid;
            ReportMessageId = messageId;
            if (ReportDate == null && date.HasValue) ReportDate = date.Value.UtcDateTime;
        }

        /// <summary>The file the report came from (full path).</summary>
        public string SourceFile { get; internal set; } = "";

        /// <summary>Where in the file: mbox message, zip member; null for an .eml file.</summary>
        public string? SourceEntry { get; internal set; }

        /// <summary>Feedback-Type: auth-failure for a DMARC failure report (other ARF types, such as abuse, are reported
        /// as they are).</summary>
        public string? FeedbackType { get; internal set; }

        /// <summary>User-Agent: the software that wrote the report.</summary>
        public string? UserAgent { get; internal set; }

        /// <summary>Version (of ARF): 1.</summary>
        public string? Version { get; internal set; }

        /// <summary>Auth-Failure, lower-cased: dmarc, spf, signature, bodyhash, revoked, adsp (RFC 6591 §3.2.2).</summary>
        public string? AuthFailure { get; internal set; }

        /// <summary>Delivery-Result, lower-cased: delivered, spam, policy, reject, other (RFC 6591 §3.2.1).</summary>
        public string? DeliveryResult { get; internal set; }

        /// <summary>Identity-Alignment (RFC 7489 §7.3.1, RFC 9991): the mechanisms whose identifiers were aligned, dkim
        /// and/or spf; empty for "none" or when the field is absent.</summary>
        public ResultList<string> IdentityAlignment { get; internal set; } = ResultList<string>.Empty;

        /// <summary>Reported-Domain: the domain whose policy failed (yours). Several when the report names several.</summary>
        public ResultList<string> ReportedDomain { get; internal set; } = ResultList<string>.Empty;

        /// <summary>Source-IP: the address the failed message came from.</summary>
        public string? SourceIP { get; internal set; }

        /// <summary>Arrival-Date (UTC), when given and a valid RFC 5322 date; else the report message's Date.</summary>
        public DateTime? ArrivalDate { get; internal set; }

        public string? OriginalMailFrom { get; internal set; }
        public ResultList<string> OriginalRcptTo { get; internal set; } = ResultList<string>.Empty;
        public string? OriginalEnvelopeId { get; internal set; }
        public string? ReportingMta { get; internal set; }

        /// <summary>Incidents: how many messages this report stands for (1 when absent).</summary>
        public long Incidents { get; internal set; } = 1;

        /// <summary>Authentication-Results fields of the report (the receiver's verdict).</summary>
        public ResultList<string> AuthenticationResults { get; internal set; } = ResultList<string>.Empty;

        public string? DkimDomain { get; internal set; }
        public string? DkimIdentity { get; internal set; }
        public string? DkimSelector { get; internal set; }

        /// <summary>SPF-DNS: the SPF records the receiver used (RFC 6591 §3.2.3).</summary>
        public ResultList<string> SpfDns { get; internal set; } = ResultList<string>.Empty;

        public ResultList<string> ReportedUri { get; internal set; } = ResultList<string>.Empty;

        /// <summary>Who sent the report (the From address of the report message).</summary>
        public string? ReporterAddress { get; internal set; }

        /// <summary>The report message's Date (UTC).</summary>
        public DateTime? ReportDate { get; internal set; }

        /// <summary>The failed message's Subject, From, To and Message-ID, from its copy in the report.</summary>
        public string? Subject { get; internal set; }
        public string? HeaderFrom { get; internal set; }
        public string? HeaderTo { get; internal set; }
        public string? MessageId { get; internal set; }

        /// <summary>True when the report carries only the failed message's headers (text/rfc822-headers, or a copy without
        /// a body), as most reporters send for privacy.</summary>
        public bool SampleHeadersOnly { get; internal set; }

        /// <summary>The failed message's header block as the report carries it, at most <see cref="DmarcFailureReportReader.MaxOriginalHeaderChars"/>
        /// characters (longer blocks are cut, see <see cref="OriginalHeadersTruncated"/>); null when the report has no copy.</summary>
        public string? OriginalHeaders { get; internal set; }

        public bool OriginalHeadersTruncated { get; internal set; }

        /// <summary>The Arrival-Date field as written (parsedmarc's arrival_date), or the report message's Date header.</summary>
        internal string? ArrivalDateText { get; set; }

        public override string ToString() =>
            $"{FeedbackType} {AuthFailure} {string.Join(",", ReportedDomain)} from {SourceIP} ({OriginalMailFrom}) -> {DeliveryResult}";
    }
}
