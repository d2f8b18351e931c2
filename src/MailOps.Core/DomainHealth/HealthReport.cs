using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;

namespace MailOps.DomainHealth
{
    /// <summary>The format ConvertTo-MailOpsHtml writes.</summary>
    public enum ReportFormat
    {
        Html,
        Markdown,
    }

    /// <summary>
    /// Builds the report of ConvertTo-MailOpsHtml from results: Test-MailDomain's (one section each) and the single
    /// cmdlets' (merged per domain or host, findings ranked as Test-MailDomain ranks them), plus checks that could not
    /// run. Renders a self-contained HTML page (inline CSS, no script, printable) or Markdown. Every piece of text that
    /// came from DNS or a server is escaped.
    /// </summary>
    public sealed class HealthReport
    {
        private readonly List<Section> _sections = new List<Section>();
        private readonly Dictionary<string, Section> _bySubject = new Dictionary<string, Section>(StringComparer.OrdinalIgnoreCase);

        public string Title { get; set; } = "MailOps report";

        /// <summary>When the report was made (shown in the header).</summary>
        public DateTime GeneratedUtc { get; set; } = DateTime.UtcNow;

        public int SectionCount => _sections.Count;

        private sealed class Section
        {
            public required string Subject;
            public MailDomainResult? Domain;
            public readonly List<(string Area, Finding Finding)> Loose = new List<(string, Finding)>();
            public readonly List<(string Heading, object Result)> Details = new List<(string, object)>();
            public readonly List<string> Errors = new List<string>();
            public readonly List<string> Statuses = new List<string>();
        }

        private Section For(string subject)
        {
            subject = Strings.IsNullOrWhiteSpace(subject) ? "(no name)" : subject.Trim();
            if (!_bySubject.TryGetValue(subject, out var s))
            {
                s = new Section { Subject = subject };
                _bySubject[subject] = s;
                _sections.Add(s);
            }
            return s;
        }

        /// <summary>Adds a Test-MailDomain result: its own section.</summary>
        public void Add(MailDomainResult result)
        {
            if (result == null) return;
            var s = For(result.Domain);
            s.Domain = result;
        }

        /// <summary>Adds a single cmdlet's result (anything with Findings, and a Domain or HostName). Returns false when the
        /// object is not one MailOps knows how to report.</summary>
        public bool AddResult(object result)
        {
            if (result == null) return false;
            if (result is MailDomainResult d) { Add(d); return true; }
            var type = result.GetType();
            var findings = type.GetProperty("Findings")?.GetValue(result) as IEnumerable<Finding>;
            if (findings == null) return false;
            var subject = (type.GetProperty("Domain")?.GetValue(result) as string) ?? (type.GetProperty("HostName")?.GetValue(result) as string)
                ?? (type.GetProperty("IPAddress")?.GetValue(result)?.ToString()) ?? result.ToString();
            var area = AreaOf(type.Name);
            var s = For(subject);
            foreach (var f in findings) s.Loose.Add((area, f));
            if (type.GetProperty("Status")?.GetValue(result) is string status) s.Statuses.Add(status);
            s.Details.Add(($"{area}: {result}", result));
            return true;
        }

        /// <summary>Adds a check that could not run (an error record's target and message).</summary>
        public void AddCouldNotCheck(string subject, string message)
        {
            var s = For(subject);
            if (!s.Errors.Contains(message)) s.Errors.Add(message);
        }

        internal static string AreaOf(string typeName)
        {
            switch (typeName)
            {
                case "MailMxHost": return "Mx";
                case "SpfAuditResult": return "Spf";
                case "MailDmarcResult": return "Dmarc";
                case "MailDkimRecord": return "Dkim";
                case "MtaStsResult": return "MtaSts";
                case "TlsRptResult": return "TlsRpt";
                case "MailDaneResult": return "Dane";
                case "MailServiceResult": return "Smtp";
                case "MailPtrResult": return "Ptr";
                case "DmarcSourceSummary":
                case "DmarcDomainSummary": return "DmarcReports";
                default: return typeName.Replace("Mail", "").Replace("Result", "");
            }
        }

        // ---- the view model, per section ----

        private sealed class View
        {
            public required string Subject, Anchor;
            public required IReadOnlyList<string> CouldNotCheck;
            public string? Status, Grade, Score, Summary;
            public IReadOnlyList<MailDomainFinding> Findings = Array.Empty<MailDomainFinding>();
            public IReadOnlyList<(string Heading, IReadOnlyList<(string Name, string Value)> Rows)> Details = Array.Empty<(string, IReadOnlyList<(string, string)>)>();
        }

        private IReadOnlyList<View> Views()
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            return _sections.Select(s =>
            {
                // A Test-MailDomain result lists what it could not check itself; its error records (piped from
                // -ErrorVariable) say the same in other words, so they are shown only for sections without one.
                var v = new View
                {
                    Subject = s.Subject,
                    Anchor = Anchor(s.Subject, used),
                    CouldNotCheck = (s.Domain != null ? s.Domain.CouldNotCheck.ToList() : s.Errors).Distinct().ToList(),
                };
                var details = new List<(string, IReadOnlyList<(string, string)>)>();
                if (s.Domain != null)
                {
                    var d = s.Domain;
                    v.Status = d.Status;
                    v.Grade = d.Grade;
                    v.Score = d.Score?.ToString(CultureInfo.InvariantCulture) ?? "-";
                    v.Summary = d.Summary;
                    v.Findings = d.Findings;
                    foreach (var h in d.Mx) details.Add(($"MX {h.Preference} {h.HostName}", Rows(h)));
                    if (d.Blocklists.Count > 0)
                        details.Add(("Blocklists", d.Blocklists.Where(b => b.Status != "NotListed").Select(b => ($"{b.Target} {b.Zone}", b.Status == "Listed" ? $"listed: {string.Join("; ", b.Meaning)}" : $"could not check: {b.Message}"))
                            .DefaultIfEmpty(("all", $"not listed ({d.Blocklists.Count} questions)")).ToList()));
                    if (d.Spf != null) details.Add(("SPF", Rows(d.Spf)));
                    if (d.Dmarc != null) details.Add(("DMARC", Rows(d.Dmarc)));
                    foreach (var k in d.Dkim) details.Add(($"DKIM {k.Selector}", Rows(k)));
                    if (d.MtaSts != null) details.Add(("MTA-STS", Rows(d.MtaSts)));
                    if (d.TlsRpt != null) details.Add(("TLS-RPT", Rows(d.TlsRpt)));
                    foreach (var x in d.Dane) details.Add(($"DANE {x.HostName}", Rows(x)));
                    foreach (var x in d.Smtp) details.Add(($"SMTP {x}", Rows(x)));
                    if (d.ClientRecords.Count > 0)
                        details.Add(($"Client records ({d.Profile})", d.ClientRecords.Select(c => (c.Name, c.Found ? $"{c.Type} {c.Value}" : $"missing - expected {c.Expected}")).ToList()));
                }
                else
                {
                    var shell = new MailDomainResult { Domain = s.Subject };
                    v.Findings = FindingPriority.Rank(s.Subject, s.Loose, shell);
                    var worst = s.Statuses.Contains("Fail") || v.Findings.Any(f => f.Severity == "Fail") ? "Fail"
                        : s.Statuses.Contains("Warning") || v.Findings.Any(f => f.Severity == "Warning") ? "Warning" : "Pass";
                    v.Status = v.CouldNotCheck.Count > 0 ? "Incomplete" : s.Loose.Count == 0 && s.Statuses.Count == 0 ? "Incomplete" : worst;
                    v.Grade = "-";
                    v.Score = "-";
                    var tiers = v.Findings.Where(f => f.Priority != FindingPriority.Info).GroupBy(f => f.Priority).Select(g => $"{g.Count()} {g.Key}").ToList();
                    v.Summary = tiers.Count == 0 ? (v.CouldNotCheck.Count > 0 ? "could not check" : "nothing to fix") : string.Join("; ", tiers);
                }
                foreach (var (heading, result) in s.Details) details.Add((heading, Rows(result)));
                v.Details = details;
                return v;
            }).ToList();
        }

        private static string Anchor(string subject, HashSet<string> used)
        {
            var sb = new StringBuilder("d-");
            foreach (var c in subject.ToLowerInvariant()) sb.Append(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ? c : '-');
            var a = sb.ToString();
            var n = 2;
            var candidate = a;
            while (!used.Add(candidate)) candidate = a + "-" + n++;
            return candidate;
        }

        /// <summary>The scalar properties of a result, as text: strings, numbers, booleans, dates and lists of them. Findings
        /// and nested objects are left to their own sections.</summary>
        internal static IReadOnlyList<(string Name, string Value)> Rows(object result)
        {
            var rows = new List<(string, string)>();
            foreach (var p in result.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.GetIndexParameters().Length > 0 || p.Name == "Findings") continue;
                object value;
                try { value = p.GetValue(result); }
                catch (TargetInvocationException) { continue; }
                var text = Text(value);
                if (!Strings.IsNullOrEmpty(text)) rows.Add((p.Name, text));
            }
            return rows;
        }

        private static string? Text(object value)
        {
            switch (value)
            {
                case null: return null;
                case string s: return s;
                case bool b: return b ? "True" : "False";
                case DateTime dt: return dt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
                case IFormattable f when value.GetType().IsPrimitive || value is decimal: return f.ToString(null, CultureInfo.InvariantCulture);
                case Enum e: return e.ToString();
                case IEnumerable list:
                    var items = list.Cast<object>().ToList();
                    if (items.Count == 0) return null;
                    if (items.All(i => i is string || i != null && i.GetType().IsPrimitive)) return string.Join("; ", items);
                    return string.Join("; ", items.Select(i => i?.ToString()));
                default:
                    return value.GetType().IsPrimitive ? value.ToString() : null;
            }
        }

        // ---- rendering ----

        public string Render(ReportFormat format) => format == ReportFormat.Markdown ? RenderMarkdown() : RenderHtml();

        private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

        private static string StatusClass(string? status)
        {
            switch (status)
            {
                case "Pass": return "pass";
                case "Warning": return "warn";
                case "Fail": return "fail";
                default: return "inc";
            }
        }

        public string RenderHtml()
        {
            var views = Views();
            var sb = new StringBuilder();
            sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
            sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
            sb.Append("<meta name=\"generator\" content=\"MailOps ConvertTo-MailOpsHtml\">\n");
            sb.Append("<title>").Append(H(Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
            sb.Append("<header><h1>").Append(H(Title)).Append("</h1>\n<p class=\"meta\">")
              .Append(views.Count).Append(views.Count == 1 ? " domain" : " domains").Append(", generated ")
              .Append(H(GeneratedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)))
              .Append(" by MailOps. Findings are listed in fix-first order: Blocking, Broken, Deliverability, Hardening, Info.</p></header>\n");

            sb.Append("<section id=\"summary\"><h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr><th>Domain</th><th>Status</th><th>Grade</th><th>Score</th><th>Fix first</th><th>Findings</th></tr></thead>\n<tbody>\n");
            foreach (var v in views)
            {
                var first = v.Findings.FirstOrDefault(f => f.Priority != FindingPriority.Info);
                var fixFirst = first != null ? $"{first.Area}/{first.Code}" : v.CouldNotCheck.Count > 0 ? "could not check" : "nothing to fix";
                sb.Append("<tr class=\"").Append(StatusClass(v.Status)).Append("\"><td><a href=\"#").Append(v.Anchor).Append("\">").Append(H(v.Subject)).Append("</a></td>")
                  .Append("<td><span class=\"badge ").Append(StatusClass(v.Status)).Append("\">").Append(H(v.Status)).Append("</span></td>")
                  .Append("<td class=\"grade\">").Append(H(v.Grade)).Append("</td><td class=\"num\">").Append(H(v.Score)).Append("</td>")
                  .Append("<td>").Append(H(fixFirst)).Append("</td><td>").Append(H(v.Summary)).Append("</td></tr>\n");
            }
            sb.Append("</tbody>\n</table>\n</section>\n");

            foreach (var v in views)
            {
                sb.Append("<section class=\"domain\" id=\"").Append(v.Anchor).Append("\">\n<h2>").Append(H(v.Subject))
                  .Append(" <span class=\"badge ").Append(StatusClass(v.Status)).Append("\">").Append(H(v.Status)).Append("</span>")
                  .Append(" <span class=\"gradebox\">Grade ").Append(H(v.Grade)).Append("</span></h2>\n");
                sb.Append("<p class=\"meta\">").Append(H(v.Summary)).Append(v.Score != "-" ? $" - score {H(v.Score)}/100" : "").Append("</p>\n");
                if (v.CouldNotCheck.Count > 0)
                {
                    sb.Append("<div class=\"couldnot\"><h3>Could not check</h3><p>These questions went unanswered, so nothing is concluded from them (they are not counted as problems or as passes):</p><ul>\n");
                    foreach (var c in v.CouldNotCheck) sb.Append("<li>").Append(H(c)).Append("</li>\n");
                    sb.Append("</ul></div>\n");
                }
                var shown = v.Findings.Where(f => f.Priority != FindingPriority.Info).ToList();
                var info = v.Findings.Where(f => f.Priority == FindingPriority.Info).ToList();
                if (shown.Count == 0)
                    sb.Append("<p class=\"none\">Nothing to fix").Append(v.CouldNotCheck.Count > 0 ? " among what could be checked" : "").Append(".</p>\n");
                else
                {
                    sb.Append("<ol class=\"findings\">\n");
                    foreach (var f in shown) AppendFinding(sb, f);
                    sb.Append("</ol>\n");
                }
                if (info.Count > 0)
                {
                    sb.Append("<details><summary>").Append(info.Count).Append(" informational finding").Append(info.Count == 1 ? "" : "s").Append("</summary>\n<ol class=\"findings\">\n");
                    foreach (var f in info) AppendFinding(sb, f);
                    sb.Append("</ol>\n</details>\n");
                }
                if (v.Details.Count > 0)
                {
                    sb.Append("<details class=\"details\"><summary>Details: what was found</summary>\n");
                    foreach (var (heading, rows) in v.Details)
                    {
                        sb.Append("<h4>").Append(H(heading)).Append("</h4>\n<table class=\"kv\"><tbody>\n");
                        foreach (var (name, value) in rows)
                            sb.Append("<tr><th>").Append(H(name)).Append("</th><td>").Append(H(value)).Append("</td></tr>\n");
                        sb.Append("</tbody></table>\n");
                    }
                    sb.Append("</details>\n");
                }
                sb.Append("</section>\n");
            }
            sb.Append("<footer><p class=\"meta\">Could not check means a DNS question, a policy fetch or a connection went unanswered: run the check again, or from another network, before concluding anything.</p></footer>\n");
            sb.Append("</body>\n</html>\n");
            return sb.ToString();
        }

        private static void AppendFinding(StringBuilder sb, MailDomainFinding f)
        {
            sb.Append("<li class=\"finding ").Append(f.Priority.ToLowerInvariant()).Append("\">")
              .Append("<span class=\"prio\">").Append(H(f.Priority)).Append("</span> ")
              .Append("<code class=\"code\">").Append(H(f.Area)).Append('/').Append(H(f.Code)).Append("</code> ")
              .Append("<span class=\"sev\">").Append(H(f.Severity)).Append("</span>")
              .Append("<p class=\"msg\">").Append(H(f.Message)).Append("</p>");
            if (!Strings.IsNullOrEmpty(f.Remedy)) sb.Append("<p class=\"remedy\"><strong>Fix:</strong> ").Append(H(f.Remedy)).Append("</p>");
            if (!Strings.IsNullOrEmpty(f.Record)) sb.Append("<p class=\"rec\">Publish:</p><pre class=\"record\">").Append(H(f.Record)).Append("</pre>");
            sb.Append("</li>\n");
        }

        private const string Css = @"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
.meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}td.num,td.grade{text-align:center;font-weight:bold}
.badge{display:inline-block;border-radius:.3rem;padding:0 .4rem;font-size:.85rem;font-weight:bold;color:#fff}
.badge.pass{background:#2e7d32}.badge.warn{background:#b26a00}.badge.fail{background:#c62828}.badge.inc{background:#5c6bc0}
.gradebox{font-size:1rem;color:#333;margin-left:.5rem}
.couldnot{border:2px dashed #5c6bc0;background:#f3f4fb;padding:.3rem 1rem;margin:.5rem 0}
.couldnot h3{margin:.3rem 0;color:#3949ab}
ol.findings{padding-left:1.5rem}li.finding{margin:.6rem 0;padding:.3rem .6rem;border-left:4px solid #999}
li.blocking{border-color:#c62828}li.broken{border-color:#e65100}li.deliverability{border-color:#f9a825}li.hardening{border-color:#1565c0}li.info{border-color:#9e9e9e}
.prio{font-weight:bold;text-transform:uppercase;font-size:.8rem}.sev{color:#555;font-size:.85rem}
.msg,.remedy{margin:.2rem 0}.rec{margin:.2rem 0 0;font-size:.85rem;color:#555}
pre.record{background:#f6f8fa;border:1px solid #ddd;padding:.4rem;white-space:pre-wrap;word-break:break-all;margin:.2rem 0;user-select:all}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:bold}
table.kv th{width:14rem;background:#fafafa;font-weight:normal;color:#444}
.none{color:#2e7d32;font-weight:bold}
@media print{body{margin:0;max-width:none}details>summary{list-style:none}a{color:inherit;text-decoration:none}section.domain{break-inside:avoid-page}}
";

        // ---- Markdown ----

        private static string Md(string? s)
        {
            if (Strings.IsNullOrEmpty(s)) return "";
            var sb = new StringBuilder();
            foreach (var c in s)
            {
                switch (c)
                {
                    case '<': sb.Append("&lt;"); break;
                    case '>': sb.Append("&gt;"); break;
                    case '&': sb.Append("&amp;"); break;
                    case '|': sb.Append("\\|"); break;
                    case '\\': case '`': case '*': case '_': case '[': case ']': case '#': sb.Append('\\').Append(c); break;
                    case '\r': break;
                    case '\n': sb.Append(' '); break;
                    default: sb.Append(c); break;
                }
            }
            return sb.ToString();
        }

        public string RenderMarkdown()
        {
            var views = Views();
            var sb = new StringBuilder();
            sb.Append("# ").Append(Md(Title)).Append("\n\n");
            sb.Append(views.Count).Append(views.Count == 1 ? " domain" : " domains").Append(", generated ")
              .Append(GeneratedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append(" by MailOps. Findings in fix-first order.\n\n");
            sb.Append("| Domain | Status | Grade | Score | Fix first | Findings |\n| --- | --- | --- | --- | --- | --- |\n");
            foreach (var v in views)
            {
                var first = v.Findings.FirstOrDefault(f => f.Priority != FindingPriority.Info);
                var fixFirst = first != null ? $"{first.Area}/{first.Code}" : v.CouldNotCheck.Count > 0 ? "could not check" : "nothing to fix";
                sb.Append("| ").Append(Md(v.Subject)).Append(" | ").Append(Md(v.Status)).Append(" | ").Append(Md(v.Grade)).Append(" | ").Append(Md(v.Score))
                  .Append(" | ").Append(Md(fixFirst)).Append(" | ").Append(Md(v.Summary)).Append(" |\n");
            }
            foreach (var v in views)
            {
                sb.Append("\n## ").Append(Md(v.Subject)).Append(" - ").Append(Md(v.Status)).Append(", grade ").Append(Md(v.Grade)).Append("\n\n");
                if (v.CouldNotCheck.Count > 0)
                {
                    sb.Append("**Could not check** (nothing is concluded from these):\n\n");
                    foreach (var c in v.CouldNotCheck) sb.Append("- ").Append(Md(c)).Append('\n');
                    sb.Append('\n');
                }
                var shown = v.Findings.Where(f => f.Priority != FindingPriority.Info).ToList();
                if (shown.Count == 0) sb.Append("Nothing to fix").Append(v.CouldNotCheck.Count > 0 ? " among what could be checked" : "").Append(".\n");
                foreach (var f in shown)
                {
                    sb.Append(f.Rank).Append(". **").Append(Md(f.Priority)).Append("** `").Append(f.Area).Append('/').Append(f.Code).Append("` (").Append(Md(f.Severity)).Append("): ")
                      .Append(Md(f.Message)).Append('\n');
                    if (!Strings.IsNullOrEmpty(f.Remedy)) sb.Append("   - Fix: ").Append(Md(f.Remedy)).Append('\n');
                    if (!Strings.IsNullOrEmpty(f.Record))
                        sb.Append("\n   ```\n   ").Append(f.Record.Replace("```", "`\u200b``").Replace("\r", "").Replace("\n", " ")).Append("\n   ```\n\n");
                }
                var info = v.Findings.Where(f => f.Priority == FindingPriority.Info).ToList();
                if (info.Count > 0)
                {
                    sb.Append("\n<details><summary>").Append(info.Count).Append(" informational</summary>\n\n");
                    foreach (var f in info) sb.Append("- `").Append(f.Area).Append('/').Append(f.Code).Append("`: ").Append(Md(f.Message)).Append('\n');
                    sb.Append("\n</details>\n");
                }
            }
            return sb.ToString();
        }
    }
}
