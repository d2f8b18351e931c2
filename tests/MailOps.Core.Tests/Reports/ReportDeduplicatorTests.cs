using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MailOps.Reports;
using Xunit;

namespace MailOps.Tests.Reports
{
    /// <summary>De-duplication of reports within one run and -ExcludeReportId, on rows read by the real readers.</summary>
    public sealed class ReportDeduplicatorTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        private static (List<object> Kept, List<string> Notes) Run(ReportDeduplicator d, params string[] files)
        {
            var kept = new List<object>();
            var notes = new List<string>();
            foreach (var f in files)
                foreach (var item in f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".json.gz", StringComparison.Ordinal)
                    ? TlsRptReportReader.ReadFile(f) : DmarcReportReader.ReadFile(f))
                {
                    Assert.IsNotType<ReportImportProblem>(item);
                    if (d.Keep(item, out var note)) kept.Add(item);
                    if (note != null) notes.Add(note);
                }
            return (kept, notes);
        }

        [Fact]
        public void The_same_report_as_xml_as_gzip_and_mailed_twice_in_an_mbox_counts_once()
        {
            var xml = ReportFiles.Report("google.com", "1234567890", 3);
            var a = _tmp.File("a.xml", xml);
            var b = _tmp.File("b.xml.gz", ReportFiles.Gzip(xml));
            var mail = ReportFiles.Mail("Report domain: example.com", ("r.xml.gz", "application/gzip", ReportFiles.Gzip(xml)));
            var c = _tmp.File("c.mbox", ReportFiles.Mbox(mail, mail));
            var d = new ReportDeduplicator();
            var (kept, notes) = Run(d, a, b, c);
            Assert.Equal(3, kept.Count);
            Assert.All(kept, r => Assert.Equal(a, ((DmarcReportRow)r).SourceFile));
            Assert.Equal(3, notes.Count); // one per skipped copy, not one per row
            Assert.Equal(3, d.SkippedReports);
            Assert.Contains($"'{b}'", notes[0]);
            Assert.Contains($"already imported from '{a}'", notes[0]);
            Assert.Contains($"'{c}' (message 1 'Report domain: example.com' / attachment r.xml.gz)", notes[1]);
            Assert.Contains($"'{c}' (message 2 ", notes[2]);
        }

        [Fact]
        public void Another_organisations_report_with_the_same_id_or_another_period_is_kept()
        {
            var a = _tmp.File("a.xml", ReportFiles.Report("google.com", "42", 2));
            var b = _tmp.File("b.xml", ReportFiles.Report("Yahoo", "42", 2));
            var c = _tmp.File("c.xml", ReportFiles.Report("GOOGLE.COM", "42", 2).Replace("<end>1700086399</end>", "<end>1700172799</end>"));
            var e = _tmp.File("e.xml", ReportFiles.Report("Google.com", "42", 2)); // org names differ only in case: the same report
            var (kept, notes) = Run(new ReportDeduplicator(), a, b, c, e);
            Assert.Equal(6, kept.Count);
            Assert.Single(notes);
        }

        [Fact]
        public void A_report_without_an_id_is_never_taken_for_a_duplicate()
        {
            var xml = ReportFiles.Report("noid.example", "x", 1).Replace("<report_id>x</report_id>", "");
            var (kept, notes) = Run(new ReportDeduplicator(), _tmp.File("a.xml", xml), _tmp.File("b.xml", xml));
            Assert.Equal(2, kept.Count);
            Assert.Empty(notes);
        }

        [Fact]
        public void Excluded_ids_match_plain_org_and_parsedmarc_forms_and_ignore_comments()
        {
            var a = _tmp.File("a.xml", ReportFiles.Report("google.com", "111", 1));
            var b = _tmp.File("b.xml", ReportFiles.Report("Yahoo", "111", 1));
            var c = _tmp.File("c.xml", ReportFiles.Report("Mail.ru", "&lt;333@mail.ru&gt;", 1));
            var e = _tmp.File("e.xml", ReportFiles.Report("other.example", "444", 1));
            // org|id: only that organisation's report 111.
            var (k1, n1) = Run(new ReportDeduplicator(new[] { "# seen by the nightly job", "", "  yahoo|111 " }), a, b, c, e);
            Assert.Equal(new[] { "google.com", "Mail.ru", "other.example" }, k1.Select(r => ((DmarcReportRow)r).OrgName));
            Assert.Contains("among the report ids to exclude", Assert.Single(n1));
            // A plain id: every organisation's; parsedmarc's report_id form (333) matches <333@mail.ru>.
            var (k2, _) = Run(new ReportDeduplicator(new[] { "111", "333" }), a, b, c, e);
            Assert.Equal("other.example", ((DmarcReportRow)Assert.Single(k2)).OrgName);
        }

        [Fact]
        public void Tls_reports_are_identified_by_report_id()
        {
            var j = _tmp.File("t.json", ReportFiles.TlsRpt);
            var g = _tmp.File("t.json.gz", ReportFiles.Gzip(ReportFiles.TlsRpt));
            var other = _tmp.File("u.json", ReportFiles.TlsRpt.Replace("5065427c-23d3-47ca-b6e0-946ea0e8c4be", "another-id"));
            var (kept, notes) = Run(new ReportDeduplicator(), j, g, other);
            Assert.Equal(4, kept.Count); // two policies per report, two distinct reports
            Assert.Contains("SMTP TLS report '5065427c-23d3-47ca-b6e0-946ea0e8c4be'", Assert.Single(notes));
            var (excluded, _) = Run(new ReportDeduplicator(new[] { "Company-X|another-id" }), other);
            Assert.Empty(excluded);
        }
        [Fact]
        public void A_copy_cut_short_does_not_hide_a_later_complete_copy()
        {
            // A cut .xml.gz first (rows written, then an error), the complete .xml after it: the complete copy must still be
            // imported, or the rows after the cut would be lost.
            var xml = ReportFiles.Report("cut.example", "c-1", 200);
            var gz = ReportFiles.Gzip(xml);
            var cut = _tmp.File("a.xml.gz", gz.Take(gz.Length / 2).ToArray());
            var whole = _tmp.File("b.xml", xml);
            var d = new ReportDeduplicator();
            var kept = new List<DmarcReportRow>();
            var problems = 0;
            foreach (var f in new[] { cut, whole })
                foreach (var item in DmarcReportReader.ReadFile(f))
                {
                    if (item is ReportImportProblem p) { problems++; d.Failed(p); continue; }
                    if (d.Keep(item, out _)) kept.Add((DmarcReportRow)item);
                }
            Assert.Equal(1, problems);
            Assert.True(kept.Count(r => r.SourceFile == cut) > 0);
            Assert.Equal(200, kept.Count(r => r.SourceFile == whole));
        }
    }
}
