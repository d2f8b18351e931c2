using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MailOps.Reports
{
    /// <summary>
    /// One DMARC failure report in parsedmarc's forensic CSV shape (Import-DmarcFailureReport -Format Parsedmarc): exactly
    /// the 21 columns of parsedmarc's parsed_forensic_reports_to_csv, in its order and with its names, so Export-Csv writes
    /// the header that dashboards built for parsedmarc's forensic.csv expect. Conventions as parsedmarc: a field given
    /// more than once counts with its last value; version "1" and auth_failure "dmarc" when absent; arrival_date as
    /// written (else the report message's Date), arrival_date_utc as "yyyy-MM-dd HH:mm:ss"; authentication_mechanisms
    /// is Identity-Alignment without "none", joined with ","; reported_domain falls back to the failed message's From
    /// domain; subject and message_id come from the copy of the failed message. source_country, source_reverse_dns and
    /// source_base_domain come from the same enrichment as the aggregate rows (Import-DmarcFailureReport -Format
    /// Parsedmarc; empty with -NoEnrichment or when DNS did not answer).
    /// </summary>
    [SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "parsedmarc's column names are the contract.")]
    public sealed class ParsedmarcForensicRow
    {
        internal ParsedmarcForensicRow() { }

        /// <summary>parsedmarc's forensic CSV columns, in its order.</summary>
        public static IReadOnlyList<string> Columns { get; } = new[]
        {
            "feedback_type", "user_agent", "version", "original_envelope_id", "original_mail_from", "original_rcpt_to",
            "arrival_date", "arrival_date_utc", "subject", "message_id", "authentication_results", "dkim_domain",
            "source_ip_address", "source_country", "source_reverse_dns", "source_base_domain", "delivery_result",
            "auth_failure", "reported_domain", "authentication_mechanisms", "sample_headers_only",
        };

        // Declaration order is column order (PowerShell lists a type's properties in this order).
        public string feedback_type { get; internal set; } = "";
        public string user_agent { get; internal set; } = "";
        public string version { get; internal set; } = "";
        public string original_envelope_id { get; internal set; } = "";
        public string original_mail_from { get; internal set; } = "";
        public string original_rcpt_to { get; internal set; } = "";
        public string arrival_date { get; internal set; } = "";
        public string arrival_date_utc { get; internal set; } = "";
        public string subject { get; internal set; } = "";
        public string message_id { get; internal set; } = "";
        public string authentication_results { get; internal set; } = "";
        public string dkim_domain { get; internal set; } = "";
        public string source_ip_address { get; internal set; } = "";
        public string source_country { get; internal set; } = "";
        public string source_reverse_dns { get; internal set; } = "";
        public string source_base_domain { get; internal set; } = "";
        public string delivery_result { get; internal set; } = "";
        public string auth_failure { get; internal set; } = "";
        public string reported_domain { get; internal set; } = "";
        public string authentication_mechanisms { get; internal set; } = "";
        public bool sample_headers_only { get; internal set; }

        /// <summary>The report in parsedmarc's forensic shape.</summary>
        public static ParsedmarcForensicRow From(DmarcFailureReport r) => From(r, null);

        /// <summary>The report in parsedmarc's forensic shape, its source columns filled from <paramref name="source"/> (null: empty).</summary>
        public static ParsedmarcForensicRow From(DmarcFailureReport r, SourceInfo? source) => new ParsedmarcForensicRow
        {
            feedback_type = r.FeedbackType ?? "",
            user_agent = r.UserAgent ?? "",
            version = r.Version ?? "1",
            original_envelope_id = r.OriginalEnvelopeId ?? "",
            original_mail_from = r.OriginalMailFrom ?? "",
            original_rcpt_to = Last(r.OriginalRcptTo),
            arrival_date = r.ArrivalDateText ?? "",
            arrival_date_utc = r.ArrivalDate?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
            subject = r.Subject ?? "",
            message_id = r.MessageId ?? "",
            authentication_results = Last(r.AuthenticationResults),
            dkim_domain = r.DkimDomain ?? "",
            source_ip_address = r.SourceIP ?? "",
            source_country = source?.Country ?? "",
            source_reverse_dns = source?.ReverseDns ?? "",
            source_base_domain = source?.BaseDomain ?? "",
            delivery_result = r.DeliveryResult ?? "",
            auth_failure = r.AuthFailure == null ? "dmarc" : string.Join(",", r.AuthFailure.Split(',')),
            reported_domain = Last(r.ReportedDomain),
            authentication_mechanisms = string.Join(",", r.IdentityAlignment),
            sample_headers_only = r.SampleHeadersOnly,
        };

        private static string Last(ResultList<string> items) => items.Count == 0 ? "" : items[items.Count - 1];

        public override string ToString() => $"{feedback_type} {auth_failure} {reported_domain} from {source_ip_address} ({original_mail_from}) -> {delivery_result}";
    }
}
