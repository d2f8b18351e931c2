using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace MailOps.Reports
{
    /// <summary>Numbers each parsed report document, so that the rows of one report can be told from the rows of
    /// another copy of it.</summary>
    internal static class ReportSerials
    {
        private static long _last;

        public static long Next() => Interlocked.Increment(ref _last);
    }

    /// <summary>
    /// Skips reports already imported in the same run, and reports excluded by id, as rows stream past. A DMARC aggregate
    /// report is identified by its org_name (case-insensitive), report_id and date range (begin, end): the same report
    /// sent as .xml and .xml.gz, or mailed twice, is one report; another organisation's report with the same id is
    /// another report. An SMTP TLS report is identified by its report-id (RFC 8460 §4.4 makes it unique). A report
    /// without an id is never skipped as a duplicate. Memory holds one key per report, never per row.
    /// </summary>
    public sealed class ReportDeduplicator
    {
        private readonly HashSet<string> _excludedIds = new HashSet<string>(StringComparer.Ordinal);
        private readonly HashSet<string> _excludedOrgIds = new HashSet<string>(StringComparer.Ordinal);
        private readonly Dictionary<string, First> _seen = new Dictionary<string, First>(StringComparer.Ordinal);
        private long _lastSerial = -1;
        private bool _lastKeep;
        private string? _lastKeptKey, _lastKeptFile, _lastKeptEntry;

        private sealed class First
        {
            public long Serial;
            public string? Place;
        }

        /// <summary><paramref name="excluded"/>: report ids to skip, each either a plain id (any organisation) or
        /// "org|id" (that organisation only, case-insensitive). Blank entries and lines starting with '#' are ignored, so a
        /// file read with Get-Content can be passed as it is.</summary>
        public ReportDeduplicator(IEnumerable<string?>? excluded = null)
        {
            if (excluded == null) return;
            foreach (var raw in excluded)
            {
                var e = raw?.Trim();
                if (Strings.IsNullOrEmpty(e) || e[0] == '#') continue;
                _excludedIds.Add(e);
                var bar = e.IndexOf('|');
                if (bar > 0 && bar < e.Length - 1)
                    _excludedOrgIds.Add(e.Substring(0, bar).Trim().ToLowerInvariant() + "|" + e.Substring(bar + 1).Trim());
            }
        }

        /// <summary>Reports skipped so far (duplicates and excluded).</summary>
        public long SkippedReports { get; private set; }

        /// <summary>Whether <paramref name="row"/> is written. <paramref name="note"/> (for -Verbose) is set on the first row
        /// of a skipped report, naming it, where it is, and why (the place of the first copy for a duplicate).</summary>
        public bool Keep(object row, out string? note)
        {
            note = null;
            string kind, file;
            string? org, id, key, entry;
            long serial;
            switch (row)
            {
                case DmarcReportRow d:
                    // The rows of one report come one after the other: decide once per report (the key is built then).
                    if (d.ReportSerial == _lastSerial) return _lastKeep;
                    kind = "DMARC aggregate report"; org = d.OrgName; id = d.ReportId; serial = d.ReportSerial; file = d.SourceFile; entry = d.SourceEntry;
                    key = id == null ? null : "dmarc\n" + (org ?? "").ToLowerInvariant() + "\n" + id + "\n" + Ticks(d.BeginDate) + "\n" + Ticks(d.EndDate);
                    break;
                case TlsRptPolicyRow t:
                    kind = "SMTP TLS report"; org = t.OrganizationName; id = t.ReportId; serial = t.ReportSerial; file = t.SourceFile; entry = t.SourceEntry;
                    key = id == null ? null : "tlsrpt\n" + id;
                    break;
                default:
                    return true;
            }
            // The rows of one report come one after the other: decide once per report.
            if (serial == _lastSerial) return _lastKeep;
            _lastSerial = serial;
            var place = entry == null ? $"'{file}'" : $"'{file}' ({entry})";
            var name = $"the {kind} '{TextSafety.Escape(id ?? "(no id)")}' of '{TextSafety.Escape(org ?? "(no organisation)")}'";
            if (id != null && IsExcluded(org, id))
            {
                SkippedReports++;
                note = $"Skipped {name} in {place}: its id is among the report ids to exclude.";
                return _lastKeep = false;
            }
            if (key == null) return _lastKeep = true;
            if (_seen.TryGetValue(key, out var first))
            {
                if (first.Serial == serial) return _lastKeep = true;
                SkippedReports++;
                note = $"Skipped {name} in {place}: the same report was already imported from {first.Place}.";
                return _lastKeep = false;
            }
            _seen.Add(key, new First { Serial = serial, Place = place });
            _lastKeptKey = key;
            _lastKeptFile = file;
            _lastKeptEntry = entry;
            return _lastKeep = true;
        }

        /// <summary>Tells the de-duplicator that reading stopped with a problem. When rows of the report being read had been
        /// written (a copy cut short), the report is forgotten, so that a later complete copy is imported rather than
        /// skipped: the rows before the cut then come twice, but none is lost.</summary>
        public void Failed(ReportImportProblem problem)
        {
            if (problem == null || problem.RowsBefore == 0 || _lastKeptKey == null) return;
            if (problem.SourceFile != _lastKeptFile || problem.SourceEntry != _lastKeptEntry) return;
            _seen.Remove(_lastKeptKey);
            _lastKeptKey = null;
        }

        private bool IsExcluded(string? org, string id)
        {
            if (_excludedIds.Count == 0) return false;
            var bare = Bare(id);
            if (_excludedIds.Contains(id) || _excludedIds.Contains(bare)) return true;
            if (_excludedOrgIds.Count == 0) return false;
            var o = (org ?? "").ToLowerInvariant() + "|";
            return _excludedOrgIds.Contains(o + id) || _excludedOrgIds.Contains(o + bare);
        }

        /// <summary>The id as parsedmarc writes report_id (no angle brackets, nothing from '@' on), so ids taken from
        /// -Format Parsedmarc output match too.</summary>
        private static string Bare(string id)
        {
            var s = id.Replace("<", "").Replace(">", "");
            var at = s.IndexOf('@');
            return at >= 0 ? s.Substring(0, at) : s;
        }

        private static string Ticks(DateTime? d) => d?.Ticks.ToString(CultureInfo.InvariantCulture) ?? "";
    }
}
