using System;

namespace MailOps.Bounces
{
    /// <summary>One failed (or delayed) recipient of a non-delivery report, or an auto-reply / feedback report recognised as such.</summary>
    public sealed class BounceRecord : MailOps.Reports.IMailboxSourced
    {
        /// <summary>The IMAP UID of the message the row was read from (-ImapServer); null for files.</summary>
        public uint? ImapUid { get; private set; }

        /// <summary>The Message-ID of that message (without angle brackets); null for files.</summary>
        public string? MessageId { get; private set; }

        /// <summary>The Date header of that message; null for files.</summary>
        public DateTimeOffset? MessageDate { get; private set; }

        void MailOps.Reports.IMailboxSourced.SetMailboxSource(uint uid, string? messageId, DateTimeOffset? date)
        {
            ImapUid = uid;
            MessageId = messageId;
            MessageDate = date;
        }

        internal BounceRecord(string kind, string? recipient, DeliveryClassification c, int? replyCode, string? diagnostic, string? remoteMta,
            string? reportingMta, string action, string? originalMessageId, string? sender, string? subject, DateTimeOffset? date, string path, string? entry)
        {
            Kind = kind;
            Recipient = recipient;
            Status = c.Status;
            StatusInferred = c.StatusInferred;
            ReplyCode = replyCode;
            Diagnostic = diagnostic;
            RemoteMta = remoteMta;
            ReportingMta = reportingMta;
            Reason = c.Reason;
            HardBounce = c.HardBounce;
            Deliverability = c.Deliverability;
            Provider = c.Provider;
            ProviderSupportUrl = c.ProviderSupportUrl;
            Blocklist = c.Blocklist;
            BlocklistUrl = c.BlocklistUrl;
            Action = action;
            OriginalMessageId = originalMessageId;
            Sender = sender;
            Subject = subject;
            Date = date;
            Path = path;
            Entry = entry;
            Remedy = c.Remedy;
            RemedyCommand = c.RemedyCommand;
            Rule = c.Rule;
        }

        /// <summary>Bounce (failed), Delay (still being retried), Delivered (a success DSN), AutoReply (RFC 3834) or FeedbackReport (ARF, RFC 5965).</summary>
        public string Kind { get; }

        public string? Recipient { get; }

        /// <summary>The enhanced status code (RFC 3463); when the report carries none, the reason's internal code (see StatusInferred).</summary>
        public string? Status { get; }

        public bool StatusInferred { get; }

        /// <summary>The SMTP reply code of the remote server, when the report gives it.</summary>
        public int? ReplyCode { get; }

        /// <summary>The remote server's reply or the reporting MTA's explanation.</summary>
        public string? Diagnostic { get; }

        public string? RemoteMta { get; }

        public string? ReportingMta { get; }

        /// <summary>The classifier's reason (blocked, userunknown, ...; see docs/monitoring.md).</summary>
        public string Reason { get; }

        /// <summary>True when the address itself is bad: remove it.</summary>
        public bool HardBounce { get; }

        /// <summary>True for sender-side reasons (reputation, authentication, blocks, spam, policy, rate limits).</summary>
        public bool Deliverability { get; }

        public string? Provider { get; }

        public string? ProviderSupportUrl { get; }

        /// <summary>The blocklist the reply names, if any.</summary>
        public string? Blocklist { get; }

        public string? BlocklistUrl { get; }

        /// <summary>The DSN action: failed, delayed, delivered, relayed, expanded; auto-replied or feedback for the others.</summary>
        public string Action { get; }

        /// <summary>The Message-ID of the message that bounced, when the report includes it.</summary>
        public string? OriginalMessageId { get; }

        /// <summary>Who sent the message that bounced.</summary>
        public string? Sender { get; }

        /// <summary>The subject of the message that bounced (or of the report when the original is not included).</summary>
        public string? Subject { get; }

        /// <summary>The date of the report.</summary>
        public DateTimeOffset? Date { get; }

        public string Path { get; }

        /// <summary>The message inside the file (mbox message number), or null.</summary>
        public string? Entry { get; }

        public string? Remedy { get; }

        /// <summary>The MailOps cmdlet that proves or fixes the reason.</summary>
        public string? RemedyCommand { get; }

        /// <summary>The classification rule that decided (file, line, source).</summary>
        public string? Rule { get; }

        public override string ToString() => $"{Recipient} {Status} {Reason}";
    }
}
