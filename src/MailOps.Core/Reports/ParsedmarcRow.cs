using System.Diagnostics.CodeAnalysis;

namespace MailOps.Reports
{
    /// <summary>
    /// One DMARC report row in parsedmarc's flat CSV shape (Import-DmarcReport -Format Parsedmarc): exactly parsedmarc's
    /// 44 columns, in its order and with its names, so Export-Csv writes the header dashboards built for parsedmarc
    /// expect. Built by <see cref="ParsedmarcFormat.ToParsedmarcRow(DmarcReportRow, SourceInfo)"/>; see there for the conventions.
    /// </summary>
    [SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "parsedmarc's column names are the contract.")]
    public sealed class ParsedmarcRow
    {
        internal ParsedmarcRow() { }

        // Declaration order is column order (PowerShell lists a type's properties in this order).
        public string xml_schema { get; internal set; } = "";
        public string org_name { get; internal set; } = "";
        public string org_email { get; internal set; } = "";
        public string org_extra_contact_info { get; internal set; } = "";
        public string report_id { get; internal set; } = "";
        public string begin_date { get; internal set; } = "";
        public string end_date { get; internal set; } = "";
        public bool normalized_timespan { get; internal set; }
        public string errors { get; internal set; } = "";
        public string domain { get; internal set; } = "";
        public string adkim { get; internal set; } = "";
        public string aspf { get; internal set; } = "";
        public string p { get; internal set; } = "";
        public string sp { get; internal set; } = "";
        public string np { get; internal set; } = "";
        public string pct { get; internal set; } = "";
        public string fo { get; internal set; } = "";
        public string testing { get; internal set; } = "";
        public string discovery_method { get; internal set; } = "";
        public string source_ip_address { get; internal set; } = "";
        public string source_country { get; internal set; } = "";
        public string source_reverse_dns { get; internal set; } = "";
        public string source_base_domain { get; internal set; } = "";
        public string source_name { get; internal set; } = "";
        public string source_type { get; internal set; } = "";
        public string source_asn { get; internal set; } = "";
        public string source_as_name { get; internal set; } = "";
        public string source_as_domain { get; internal set; } = "";
        public long count { get; internal set; }
        public bool spf_aligned { get; internal set; }
        public bool dkim_aligned { get; internal set; }
        public bool dmarc_aligned { get; internal set; }
        public string disposition { get; internal set; } = "";
        public string policy_override_reasons { get; internal set; } = "";
        public string policy_override_comments { get; internal set; } = "";
        public string envelope_from { get; internal set; } = "";
        public string header_from { get; internal set; } = "";
        public string envelope_to { get; internal set; } = "";
        public string dkim_domains { get; internal set; } = "";
        public string dkim_selectors { get; internal set; } = "";
        public string dkim_results { get; internal set; } = "";
        public string spf_domains { get; internal set; } = "";
        public string spf_scopes { get; internal set; } = "";
        public string spf_results { get; internal set; } = "";

        /// <summary>The values in column order (<see cref="ParsedmarcFormat.Columns"/>).</summary>
        internal object[] Values() => new object[]
        {
            xml_schema,
            org_name,
            org_email,
            org_extra_contact_info,
            report_id,
            begin_date,
            end_date,
            normalized_timespan,
            errors,
            domain,
            adkim,
            aspf,
            p,
            sp,
            np,
            pct,
            fo,
            testing,
            discovery_method,
            source_ip_address,
            source_country,
            source_reverse_dns,
            source_base_domain,
            source_name,
            source_type,
            source_asn,
            source_as_name,
            source_as_domain,
            count,
            spf_aligned,
            dkim_aligned,
            dmarc_aligned,
            disposition,
            policy_override_reasons,
            policy_override_comments,
            envelope_from,
            header_from,
            envelope_to,
            dkim_domains,
            dkim_selectors,
            dkim_results,
            spf_domains,
            spf_scopes,
            spf_results,
        };

        public override string ToString() => $"{org_name} {report_id}: {source_ip_address} x{count} {header_from} dmarc_aligned={dmarc_aligned} -> {disposition}";
    }
}
