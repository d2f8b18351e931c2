using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.MtaSts
{
    /// <summary>The SMTP TLS Reporting record of one domain (RFC 8460).</summary>
    public sealed class TlsRptResult
    {
        internal TlsRptResult(string domain, string? record, IEnumerable<string>? reportUri, IEnumerable<Finding> findings)
        {
            Domain = domain;
            _record = record;
            ReportUri = new ResultList<string>(reportUri);
            Findings = new ResultList<Finding>(findings);
        }

        public string Domain { get; }

        /// <summary>The v=TLSRPTv1 TXT record at _smtp._tls.&lt;domain&gt; (the first, when there are several).
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record => TextSafety.Escape(_record);

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string? GetRawRecord() => _record;

        private readonly string? _record;

        /// <summary>The rua destinations (mailto: and https: URIs) that reports go to.</summary>
        public ResultList<string> ReportUri { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        public override string ToString() => Record == null ? $"{Domain}: no TLS-RPT record" : $"{Domain}: {Record} {Status}";
    }

    /// <summary>Checks the _smtp._tls TXT record (RFC 8460 §3).</summary>
    public static class TlsRptCheck
    {
        /// <summary>Checks one domain. Throws <see cref="DnsQueryFailedException"/> when the TXT question goes unanswered.</summary>
        public static async Task<TlsRptResult> RunAsync(IDnsResolver dns, string domain, CancellationToken ct)
        {
            domain = DnsName.Normalize(domain.Trim()).ToLowerInvariant();
            var owner = "_smtp._tls." + domain;
            var txt = await dns.QueryAsync(owner, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (txt.IsError) throw new DnsQueryFailedException(txt);
            var texts = txt.RecordsOf<TxtRecord>().Select(r => r.Text).ToList();
            var findings = new List<Finding>();
            var candidates = texts.Where(t => t.StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
            if (candidates.Count == 0)
            {
                var near = texts.FirstOrDefault(t => t.TrimStart().StartsWith("v=tlsrpt", StringComparison.OrdinalIgnoreCase));
                if (near != null)
                    findings.Add(new Finding("TlsRptRecordSyntax", FindingSeverity.Fail,
                        $"The TXT record at {owner} (\"{near}\") does not begin with 'v=TLSRPTv1' exactly (case-sensitive); senders discard it.",
                        $"Publish {owner}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\"", owner));
                else
                    findings.Add(new Finding("NoTlsRptRecord", FindingSeverity.Warning,
                        $"{domain} publishes no TLS-RPT record at {owner}: senders cannot tell you when TLS or MTA-STS delivery to you fails.",
                        $"Publish {owner}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\" (a mailbox that accepts gzip attachments, or a report service's address).", owner));
                return new TlsRptResult(domain, null, null, findings);
            }
            if (candidates.Count > 1)
                findings.Add(new Finding("MultipleTlsRptRecords", FindingSeverity.Fail,
                    $"{owner} has {candidates.Count} records starting with v=TLSRPTv1; RFC 8460 §3 says senders then assume the domain does not implement TLS-RPT.",
                    "Merge them into one record; several destinations go in one rua, separated by commas.", owner));

            var record = candidates[0];
            var uris = new List<string>();
            var fields = record.Split(';').Select(f => f.Trim(' ', '\t')).ToList();
            if (fields.Count > 0 && fields[fields.Count - 1].Length == 0) fields.RemoveAt(fields.Count - 1);
            if (fields[0] != "v=TLSRPTv1")
                findings.Add(new Finding("TlsRptRecordSyntax", FindingSeverity.Fail,
                    $"The record at {owner} must start with the field 'v=TLSRPTv1;' (RFC 8460 §3), not '{fields[0]}'.",
                    $"Write {owner}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\"", owner));
            var ruaSeen = false;
            foreach (var f in fields.Skip(1))
            {
                var eq = f.IndexOf('=');
                if (eq <= 0)
                {
                    findings.Add(new Finding("TlsRptRecordSyntax", FindingSeverity.Fail,
                        $"The field '{f}' in the record at {owner} is not name=value (RFC 8460 §3).",
                        "Separate fields with ';' and write each as name=value.", owner));
                    continue;
                }
                var name = f.Substring(0, eq).Trim();
                var value = f.Substring(eq + 1).Trim();
                if (name != "rua") continue; // extensions are ignored (RFC 8460 §3)
                if (ruaSeen)
                {
                    findings.Add(new Finding("TlsRptDuplicateRua", FindingSeverity.Warning,
                        $"The record at {owner} has more than one rua field; senders may use only the first.",
                        "Put every destination in one rua field, separated by commas.", owner));
                    continue;
                }
                ruaSeen = true;
                foreach (var raw in value.Split(','))
                {
                    var uri = raw.Trim(' ', '\t');
                    var problem = CheckUri(uri, domain);
                    uris.Add(uri);
                    if (problem != null) findings.Add(problem);
                }
            }
            if (!ruaSeen)
                findings.Add(new Finding("TlsRptMissingRua", FindingSeverity.Fail,
                    $"The record at {owner} has no rua field; RFC 8460 §3 requires at least one destination, so no report can be sent.",
                    $"Add rua=mailto:tlsrpt@{domain} (or an https: endpoint of your report service).", owner));
            return new TlsRptResult(domain, record, uris, findings);
        }

        private static Finding? CheckUri(string uri, string domain)
        {
            if (uri.Length == 0)
                return new Finding("TlsRptInvalidRua", FindingSeverity.Fail, "The rua field has an empty destination.",
                    "Remove the stray comma, or add the missing destination.", uri);
            var colon = uri.IndexOf(':');
            var scheme = colon > 0 ? uri.Substring(0, colon).ToLowerInvariant() : "";
            if (scheme == "mailto")
            {
                var address = uri.Substring(colon + 1);
                var q = address.IndexOf('?');
                if (q >= 0) address = address.Substring(0, q);
                address = Uri.UnescapeDataString(address);
                var at = address.LastIndexOf('@');
                var host = at > 0 ? address.Substring(at + 1) : null;
                if (host == null || DnsName.ValidateDomainName(host) != null || !host.Contains("."))
                    return new Finding("TlsRptInvalidRua", FindingSeverity.Fail,
                        $"'{uri}' is not a valid mailto: address (local@domain); senders cannot send reports to it.",
                        $"Write it as mailto:tlsrpt@{domain}.", uri);
                if (!DnsName.IsAtOrBelow(host, domain))
                    return new Finding("TlsRptExternalDestination", FindingSeverity.Info,
                        $"Reports go to {host}, outside {domain} (fine for a report service; TLS-RPT needs no authorisation record, unlike DMARC).",
                        null, uri);
                return null;
            }
            if (scheme == "https")
            {
                if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || Strings.IsNullOrEmpty(u.Host) || !u.Host.Contains("."))
                    return new Finding("TlsRptInvalidRua", FindingSeverity.Fail,
                        $"'{uri}' is not a valid https: URL; senders cannot post reports to it.",
                        "Write the full URL of the report endpoint, e.g. https://reports.example.net/tlsrpt.", uri);
                return null;
            }
            if (scheme == "http")
                return new Finding("TlsRptInsecureRua", FindingSeverity.Fail,
                    $"'{uri}' uses http:; RFC 8460 §3 allows only mailto: and https: destinations, so senders skip it.",
                    "Use the https: URL of the endpoint.", uri);
            return new Finding("TlsRptInvalidRua", FindingSeverity.Fail,
                $"'{uri}' is not a mailto: or https: URI (RFC 8460 §3); senders skip it.",
                $"Write the destination as mailto:tlsrpt@{domain} or https://...; commas inside a URI must be written %2C.", uri);
        }
    }
}
