using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MailOps.Reports
{
    /// <summary>
    /// parsedmarc's flat CSV shape (parsed_aggregate_reports_to_csv_rows / parsed_aggregate_reports_to_csv), so that
    /// dashboards built for parsedmarc's CSV keep working: the same 44 columns in the same order, the same defaults
    /// (adkim/aspf "r", sp = p, DKIM selector "none", SPF scope "mfrom", envelope_from from the last SPF domain), dates as
    /// "yyyy-MM-dd HH:mm:ss" UTC, lists joined with ",". MailOps does no IP enrichment, so the source_country,
    /// source_reverse_dns, source_base_domain, source_name, source_type, source_asn, source_as_name and
    /// source_as_domain columns are empty; reports are not split per day, so normalized_timespan is False.
    /// </summary>
    public static class ParsedmarcFormat
    {
        /// <summary>parsedmarc's aggregate CSV columns, in its order.</summary>
        public static IReadOnlyList<string> Columns { get; } = new[]
        {
            "xml_schema", "org_name", "org_email", "org_extra_contact_info", "report_id", "begin_date", "end_date",
            "normalized_timespan", "errors", "domain", "adkim", "aspf", "p", "sp", "np", "pct", "fo", "testing",
            "discovery_method", "source_ip_address", "source_country", "source_reverse_dns", "source_base_domain",
            "source_name", "source_type", "source_asn", "source_as_name", "source_as_domain", "count", "spf_aligned",
            "dkim_aligned", "dmarc_aligned", "disposition", "policy_override_reasons", "policy_override_comments",
            "envelope_from", "header_from", "envelope_to", "dkim_domains", "dkim_selectors", "dkim_results",
            "spf_domains", "spf_scopes", "spf_results",
        };

        /// <summary>The row as parsedmarc's columns and values (strings, numbers and booleans; "" where parsedmarc writes nothing).</summary>
        public static IReadOnlyList<KeyValuePair<string, object>> ToRow(DmarcReportRow r)
        {
            string Date(System.DateTime? d) => d?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";
            string Lower(string s) => (s ?? "").ToLowerInvariant();
            var dkim = Enumerable.Range(0, r.DkimDomains.Count).Where(i => r.DkimDomains[i].Length > 0).ToList();
            var spf = Enumerable.Range(0, r.SpfDomains.Count).Where(i => r.SpfDomains[i].Length > 0).ToList();
            var envelopeFrom = r.EnvelopeFrom;
            if (envelopeFrom == null && r.SpfDomains.Count > 0 && r.SpfDomains[r.SpfDomains.Count - 1].Length > 0)
                envelopeFrom = r.SpfDomains[r.SpfDomains.Count - 1].ToLowerInvariant();
            var values = new object[]
            {
                r.XmlSchema, r.OrgName ?? "", r.OrgEmail ?? "", r.OrgExtraContactInfo ?? "", ReportId(r.ReportId), Date(r.BeginDate), Date(r.EndDate),
                false, string.Join("|", r.ReportErrors), r.Domain ?? "", r.Adkim ?? "r", r.Aspf ?? "r", r.P ?? "", r.Sp ?? r.P ?? "",
                r.Np ?? "", r.Pct ?? "", r.Fo ?? "", r.Testing ?? "", r.DiscoveryMethod ?? "",
                r.SourceIP ?? "", "", "", "", "", "", "", "", "",
                r.Count, r.SpfAligned, r.DkimAligned, r.DkimAligned || r.SpfAligned, r.Disposition ?? "none",
                string.Join(",", r.PolicyOverrideReasons.Select(x => x.Length == 0 ? "none" : x)),
                string.Join("|", r.PolicyOverrideComments.Select(x => x.Length == 0 ? "none" : x)),
                envelopeFrom ?? "", Lower(r.HeaderFrom), r.EnvelopeTo ?? "",
                string.Join(",", dkim.Select(i => Lower(r.DkimDomains[i]))),
                string.Join(",", dkim.Select(i => r.DkimSelectors[i].Length == 0 ? "none" : Lower(r.DkimSelectors[i]))),
                string.Join(",", dkim.Select(i => r.DkimResults[i].Length == 0 ? "none" : r.DkimResults[i])),
                string.Join(",", spf.Select(i => Lower(r.SpfDomains[i]))),
                string.Join(",", spf.Select(i => r.SpfScopes[i].Length == 0 ? "mfrom" : r.SpfScopes[i])),
                string.Join(",", spf.Select(i => r.SpfResults[i].Length == 0 ? "none" : r.SpfResults[i])),
            };
            return Columns.Select((c, i) => new KeyValuePair<string, object>(c, values[i])).ToList();
        }

        private static string ReportId(string id)
        {
            if (id == null) return "";
            var s = id.Replace("<", "").Replace(">", "");
            var at = s.IndexOf('@');
            return at >= 0 ? s.Substring(0, at) : s;
        }
    }
}
