using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MailOps.Reports
{
    /// <summary>
    /// parsedmarc's flat CSV shape (parsed_aggregate_reports_to_csv_rows / parsed_aggregate_reports_to_csv), so that
    /// dashboards built for parsedmarc's CSV keep working: the same 44 columns in the same order, the same defaults
    /// (adkim/aspf "r", sp = p, DKIM selector "none", SPF scope "mfrom", envelope_from from the last SPF domain), dates as
    /// "yyyy-MM-dd HH:mm:ss" UTC, lists joined with ",". With a <see cref="SourceInfo"/> (Import-DmarcReport enriches by
    /// default) source_reverse_dns, source_base_domain, source_country, source_asn (the number) and source_as_name are
    /// filled from DNS (PTR, Public Suffix List, Team Cymru); without one, or where DNS had no answer, they are empty.
    /// source_name, source_type and source_as_domain (parsedmarc's own sender map and ipinfo data) stay empty; reports
    /// are not split per day, so normalized_timespan is False.
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
            var values = ToParsedmarcRow(r).Values();
            var list = new List<KeyValuePair<string, object>>(values.Length);
            for (int i = 0; i < values.Length; i++) list.Add(new KeyValuePair<string, object>(Columns[i], values[i]));
            return list;
        }

        /// <summary>The row in parsedmarc's shape, as a typed object (what Import-DmarcReport -Format Parsedmarc writes).</summary>
        public static ParsedmarcRow ToParsedmarcRow(DmarcReportRow r) => ToParsedmarcRow(r, null);

        /// <summary>The row in parsedmarc's shape, its source columns filled from <paramref name="source"/> (null: empty).</summary>
        public static ParsedmarcRow ToParsedmarcRow(DmarcReportRow r, SourceInfo? source)
        {
            var envelopeFrom = r.EnvelopeFrom;
            if (envelopeFrom == null && r.SpfDomains.Count > 0 && r.SpfDomains[r.SpfDomains.Count - 1].Length > 0)
                envelopeFrom = r.SpfDomains[r.SpfDomains.Count - 1].ToLowerInvariant();
            return new ParsedmarcRow
            {
                xml_schema = r.XmlSchema,
                org_name = r.OrgName ?? "",
                org_email = r.OrgEmail ?? "",
                org_extra_contact_info = r.OrgExtraContactInfo ?? "",
                report_id = ReportId(r.ReportId),
                begin_date = Date(r.BeginDate),
                end_date = Date(r.EndDate),
                normalized_timespan = false,
                errors = Join("|", r.ReportErrors, null),
                domain = r.Domain ?? "",
                adkim = r.Adkim ?? "r",
                aspf = r.Aspf ?? "r",
                p = r.P ?? "",
                sp = r.Sp ?? r.P ?? "",
                np = r.Np ?? "",
                pct = r.Pct ?? "",
                fo = r.Fo ?? "",
                testing = r.Testing ?? "",
                discovery_method = r.DiscoveryMethod ?? "",
                source_ip_address = r.SourceIP ?? "",
                source_country = source?.Country ?? "",
                source_reverse_dns = source?.ReverseDns ?? "",
                source_base_domain = source?.BaseDomain ?? "",
                source_name = "",
                source_type = "",
                source_asn = source?.Asn?.ToString(CultureInfo.InvariantCulture) ?? "",
                source_as_name = source?.AsName ?? "",
                source_as_domain = "",
                count = r.Count,
                spf_aligned = r.SpfAligned,
                dkim_aligned = r.DkimAligned,
                dmarc_aligned = r.DkimAligned || r.SpfAligned,
                disposition = r.Disposition ?? "none",
                policy_override_reasons = Join(",", r.PolicyOverrideReasons, "none"),
                policy_override_comments = Join("|", r.PolicyOverrideComments, "none"),
                envelope_from = envelopeFrom ?? "",
                header_from = Lower(r.HeaderFrom),
                envelope_to = r.EnvelopeTo ?? "",
                dkim_domains = JoinWhere(r.DkimDomains, r.DkimDomains, null, true),
                dkim_selectors = JoinWhere(r.DkimDomains, r.DkimSelectors, "none", true),
                dkim_results = JoinWhere(r.DkimDomains, r.DkimResults, "none", false),
                spf_domains = JoinWhere(r.SpfDomains, r.SpfDomains, null, true),
                spf_scopes = JoinWhere(r.SpfDomains, r.SpfScopes, "mfrom", false),
                spf_results = JoinWhere(r.SpfDomains, r.SpfResults, "none", false),
            };
        }

        private static string Date(System.DateTime? d) => d?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

        private static string Lower(string? s) => (s ?? "").ToLowerInvariant();

        /// <summary>The items joined; an empty item becomes <paramref name="empty"/> when given.</summary>
        private static string Join(string separator, ResultList<string> items, string? empty)
        {
            if (items.Count == 0) return "";
            if (items.Count == 1) return items[0].Length == 0 && empty != null ? empty : items[0];
            var parts = new string[items.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = items[i].Length == 0 && empty != null ? empty : items[i];
            return string.Join(separator, parts);
        }

        /// <summary>parsedmarc drops a DKIM or SPF result whose domain is empty: the values at the indexes where
        /// <paramref name="domains"/> is not empty, joined with ",", an empty value becoming <paramref name="empty"/>.</summary>
        private static string JoinWhere(ResultList<string> domains, ResultList<string> values, string? empty, bool lower)
        {
            if (domains.Count == 0) return "";
            var sb = new StringBuilder();
            bool first = true;
            for (int i = 0; i < domains.Count; i++)
            {
                if (domains[i].Length == 0) continue;
                if (!first) sb.Append(',');
                first = false;
                var v = values[i];
                sb.Append(v.Length == 0 && empty != null ? empty : lower ? v.ToLowerInvariant() : v);
            }
            return sb.ToString();
        }

        private static string ReportId(string? id)
        {
            if (id == null) return "";
            var s = id.Replace("<", "").Replace(">", "");
            var at = s.IndexOf('@');
            return at >= 0 ? s.Substring(0, at) : s;
        }
    }
}
