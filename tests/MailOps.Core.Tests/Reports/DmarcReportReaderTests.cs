using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Xml.Linq;
using MailOps.Reports;
using MailOps.Testing;
using MimeKit;

namespace MailOps.Tests.Reports
{
    /// <summary>Import-DmarcReport's engine: the shared corpus (checked against the XML itself, read here with XDocument),
    /// every container, and hostile files.</summary>
    public sealed class DmarcReportReaderTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        private static (List<DmarcReportRow> Rows, List<ReportImportProblem> Problems) Read(string path, ReportImportOptions? options = null)
        {
            var items = DmarcReportReader.ReadFile(path, options).ToList();
            return (items.OfType<DmarcReportRow>().ToList(), items.OfType<ReportImportProblem>().ToList());
        }

        private static string Corpus(string relative) => Path.Combine(Paths.Corpora!, "dmarc-aggregate", relative);

        public static IEnumerable<object[]> WellFormedSamples => new[]
        {
            "aggregate/example.net!example.com!1529366400!1529452799.xml",
            "aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml",
            "aggregate/usssa.com!example.com!1538784000!1538870399.xml",
            "aggregate/veeam.com!example.com!1530133200!1530219600.xml",
            "aggregate/old_draft_from_wiki.xml",
            "aggregate/rfc9990-sample.xml",
            "aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz",
            "aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip",
            "aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
            "aggregate_invalid/report_with_upper_cased_pass.xml",
        }.Select(f => new object[] { f });

        /// <summary>The report's XML, taken out of its container here, independently of the reader under test.</summary>
        private static XDocument LoadIndependently(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (path.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                var ms = new MemoryStream();
                gz.CopyTo(ms);
                bytes = ms.ToArray();
            }
            else if (path.EndsWith(".eml", StringComparison.Ordinal))
            {
                var message = MimeMessage.Load(new MemoryStream(bytes));
                var part = message.Attachments.OfType<MimePart>().Single(p => p.FileName?.EndsWith(".zip", StringComparison.Ordinal) == true);
                var ms = new MemoryStream();
                part.Content!.DecodeTo(ms);
                bytes = ms.ToArray();
            }
            if (bytes.Length > 2 && bytes[0] == 'P' && bytes[1] == 'K')
            {
                using var zip = new ZipArchive(new MemoryStream(bytes));
                using var s = zip.Entries.Single().Open();
                var ms = new MemoryStream();
                s.CopyTo(ms);
                bytes = ms.ToArray();
            }
            return XDocument.Load(new MemoryStream(bytes));
        }

        private static XElement? E(XElement? e, string name) => e?.Elements().FirstOrDefault(x => x.Name.LocalName == name);

        private static string? V(XElement? e, string name)
        {
            var t = E(e, name)?.Value.Trim();
            return string.IsNullOrEmpty(t) ? null : t;
        }

        private static IEnumerable<XElement> All(XElement? e, string name) => e?.Elements().Where(x => x.Name.LocalName == name) ?? Enumerable.Empty<XElement>();

        [CorpusTheory("dmarc-aggregate"), MemberData(nameof(WellFormedSamples))]
        public void Corpus_sample_imports_with_the_rows_and_values_of_its_xml(string relative)
        {
            var path = Corpus(relative);
            var (rows, problems) = Read(path);
            Assert.Empty(problems);

            var doc = LoadIndependently(path);
            var feedback = doc.Root!;
            var meta = E(feedback, "report_metadata");
            var policy = E(feedback, "policy_published");
            var records = All(feedback, "record").ToList();
            Assert.Equal(records.Count, rows.Count);
            Assert.True(rows.Count > 0);

            for (int i = 0; i < records.Count; i++)
            {
                var row = rows[i];
                var rec = records[i];
                var r = E(rec, "row");
                var pe = E(r, "policy_evaluated");
                var ids = E(rec, "identifiers");
                var auth = E(rec, "auth_results");
                Assert.Equal(Path.GetFullPath(path), row.SourceFile);
                Assert.Equal(V(feedback, "version") ?? "draft", row.XmlSchema);
                Assert.Equal(feedback.Name.NamespaceName.Length == 0 ? null : feedback.Name.NamespaceName, row.XmlNamespace);
                Assert.Equal(V(meta, "org_name"), row.OrgName);
                Assert.Equal(V(meta, "email"), row.OrgEmail);
                Assert.Equal(V(meta, "extra_contact_info"), row.OrgExtraContactInfo);
                Assert.Equal(V(meta, "report_id"), row.ReportId);
                Assert.Equal(V(meta, "generator"), row.Generator);
                var begin = long.Parse(V(E(meta, "date_range"), "begin")!, CultureInfo.InvariantCulture);
                var end = long.Parse(V(E(meta, "date_range"), "end")!, CultureInfo.InvariantCulture);
                Assert.Equal(DateTime.UnixEpoch.AddSeconds(begin), row.BeginDate);
                Assert.Equal(DateTime.UnixEpoch.AddSeconds(end), row.EndDate);
                Assert.Equal(DateTimeKind.Utc, row.BeginDate!.Value.Kind);
                Assert.Equal(V(policy, "domain"), row.Domain);
                Assert.Equal(V(policy, "adkim"), row.Adkim);
                Assert.Equal(V(policy, "aspf"), row.Aspf);
                Assert.Equal(V(policy, "p"), row.P);
                Assert.Equal(V(policy, "sp"), row.Sp);
                Assert.Equal(V(policy, "np"), row.Np);
                Assert.Equal(V(policy, "pct"), row.Pct);
                Assert.Equal(V(policy, "fo"), row.Fo);
                Assert.Equal(V(policy, "testing"), row.Testing);
                Assert.Equal(V(policy, "discovery_method"), row.DiscoveryMethod);
                Assert.Equal(V(r, "source_ip"), row.SourceIP);
                Assert.Equal(long.Parse(V(r, "count")!, CultureInfo.InvariantCulture), row.Count);
                Assert.Equal(V(pe, "disposition")?.ToLowerInvariant(), row.Disposition);
                Assert.Equal(V(pe, "dkim")?.ToLowerInvariant(), row.PolicyDkim);
                Assert.Equal(V(pe, "spf")?.ToLowerInvariant(), row.PolicySpf);
                Assert.Equal(V(pe, "dkim")?.ToLowerInvariant() == "pass", row.DkimAligned);
                Assert.Equal(V(pe, "spf")?.ToLowerInvariant() == "pass", row.SpfAligned);
                Assert.Equal(row.DkimAligned || row.SpfAligned ? "pass" : "fail", row.DmarcResult);
                Assert.Equal(All(pe, "reason").Select(x => V(x, "type") ?? ""), row.PolicyOverrideReasons);
                Assert.Equal(V(ids, "header_from"), row.HeaderFrom);
                Assert.Equal(V(ids, "envelope_from"), row.EnvelopeFrom);
                Assert.Equal(V(ids, "envelope_to"), row.EnvelopeTo);
                Assert.Equal(All(auth, "dkim").Select(x => V(x, "domain") ?? ""), row.DkimDomains);
                Assert.Equal(All(auth, "dkim").Select(x => V(x, "selector") ?? ""), row.DkimSelectors);
                Assert.Equal(All(auth, "dkim").Select(x => V(x, "result")?.ToLowerInvariant() ?? ""), row.DkimResults);
                Assert.Equal(All(auth, "spf").Select(x => V(x, "domain") ?? ""), row.SpfDomains);
                Assert.Equal(All(auth, "spf").Select(x => V(x, "scope") ?? ""), row.SpfScopes);
                Assert.Equal(All(auth, "spf").Select(x => V(x, "result")?.ToLowerInvariant() ?? ""), row.SpfResults);
            }
        }

        [CorpusFact("dmarc-aggregate")]
        public void Known_deviations_are_read_as_the_report_means_them()
        {
            var upper = Read(Corpus("aggregate_invalid/report_with_upper_cased_pass.xml")).Rows.Single();
            Assert.Equal("pass", upper.PolicyDkim);
            Assert.Equal("none", upper.Disposition);
            Assert.Equal(new[] { "pass" }, upper.DkimResults);
            Assert.Equal("pass", upper.DmarcResult);
            Assert.Equal("example.com", upper.OrgName); // "example.com " trimmed

            var usssa = Read(Corpus("aggregate/usssa.com!example.com!1538784000!1538870399.xml")).Rows;
            Assert.Equal(2, usssa.Count);
            Assert.All(usssa, r => Assert.Null(r.EnvelopeFrom));

            var veeam = Read(Corpus("aggregate/veeam.com!example.com!1530133200!1530219600.xml")).Rows.Single();
            Assert.Equal("draft", veeam.XmlSchema);
            Assert.False(veeam.IsRfc9990);

            var bis = Read(Corpus("aggregate/rfc9990-sample.xml")).Rows.Single();
            Assert.True(bis.IsRfc9990);
            Assert.Equal(ReportFiles.Ns9990, bis.XmlNamespace);
            Assert.Equal("treewalk", bis.DiscoveryMethod);
            Assert.Equal("pass", bis.Disposition);
            Assert.Equal(123, bis.Count);
            Assert.Equal(new[] { "abc123" }, bis.DkimSelectors);

            // The file name says example.com; the report says indemed.com: the report wins.
            var fastmail = Read(Corpus("aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz")).Rows.Single();
            Assert.Equal("indemed.com", fastmail.Domain);
            Assert.Null(fastmail.SourceEntry);

            var zip = Read(Corpus("aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip")).Rows.Single();
            Assert.Equal("estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml", zip.SourceEntry);

            var eml = Read(Corpus("aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml")).Rows.Single();
            Assert.Equal("attachment google.com!borschow.com!1549929600!1550015999.zip / google.com!borschow.com!1549929600!1550015999.xml", eml.SourceEntry);
            Assert.Equal("reject", eml.Disposition);
        }

        [CorpusFact("dmarc-aggregate")]
        public void Empty_and_malformed_files_are_per_file_errors_and_the_batch_goes_on()
        {
            var files = new[]
            {
                "aggregate/example.net!example.com!1529366400!1529452799.xml",
                "empty.xml",
                "aggregate/invalid_xml.xml",
                "aggregate/usssa.com!example.com!1538784000!1538870399.xml",
            }.Select(Corpus).ToList();
            var rows = new List<DmarcReportRow>();
            var problems = new List<ReportImportProblem>();
            foreach (var f in files)
            {
                var (r, p) = Read(f);
                rows.AddRange(r);
                problems.AddRange(p);
            }
            Assert.Equal(3, rows.Count);
            Assert.Equal(2, problems.Count);
            Assert.Equal(ReportProblemKind.Empty, problems[0].Kind);
            Assert.Equal(Path.GetFullPath(files[1]), problems[0].SourceFile);
            Assert.Contains("empty.xml", problems[0].Message);
            Assert.Contains("is empty", problems[0].Message);
            // invalid_xml.xml is not recovered (parsedmarc recovers it leniently): an error naming the file and the spot.
            Assert.Equal(ReportProblemKind.Malformed, problems[1].Kind);
            Assert.Contains("invalid_xml.xml", problems[1].Message);
            Assert.Contains("not well-formed XML", problems[1].Message);
            Assert.Contains("Line 5, position 18", problems[1].Message);
        }

        [Fact]
        public void Xxe_and_billion_laughs_are_refused_without_expansion_or_fetch()
        {
            var secret = _tmp.File("secret.txt", "TOP-SECRET");
            var xxe = _tmp.File("xxe.xml", $"<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY x SYSTEM \"file://{secret}\">]>\n<feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>");
            var lol = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
            for (int i = 1; i < 10; i++) lol.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString())};", 10))}\">");
            lol.Append("]>\n<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>");
            var laughs = _tmp.File("laughs.xml", lol.ToString());
            foreach (var f in new[] { xxe, laughs })
            {
                var (rows, problems) = Read(f);
                Assert.Empty(rows);
                var p = Assert.Single(problems);
                Assert.Equal(ReportProblemKind.DtdProhibited, p.Kind);
                Assert.Contains("DTD", p.Message);
                Assert.DoesNotContain("TOP-SECRET", p.Message);
            }
        }

        [Fact]
        public void Gzip_bomb_is_refused_at_the_limit()
        {
            var bomb = ReportFiles.Gzip(ReportFiles.Bomb(64 << 20));
            Assert.True(bomb.Length < 1 << 20);
            var f = _tmp.File("bomb.xml.gz", bomb);
            var (rows, problems) = Read(f, new ReportImportOptions { MaxDecompressedBytes = 8 << 20 });
            Assert.Empty(rows);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.TooLarge, p.Kind);
            Assert.Contains("8,388,608", p.Message);
            Assert.Contains("bomb", p.Message);
        }

        [Fact]
        public void Zip_bomb_is_refused_and_so_is_a_zip_with_too_many_members()
        {
            var f = _tmp.File("bomb.zip", ReportFiles.Zip(("big.xml", ReportFiles.Bomb(64 << 20))));
            var (rows, problems) = Read(f, new ReportImportOptions { MaxDecompressedBytes = 8 << 20 });
            Assert.Empty(rows);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.TooLarge, p.Kind);
            Assert.Equal("big.xml", p.SourceEntry);

            var many = Enumerable.Range(0, 30).Select(i => ($"r{i}.xml", Encoding.UTF8.GetBytes(ReportFiles.Report("org", "id" + i, 1)))).ToArray();
            var g = _tmp.File("many.zip", ReportFiles.Zip(many));
            var (rows2, problems2) = Read(g, new ReportImportOptions { MaxArchiveEntries = 20 });
            Assert.Empty(rows2);
            Assert.Equal(ReportProblemKind.TooManyEntries, Assert.Single(problems2).Kind);
            Assert.Equal(30, Read(g).Rows.Count);
        }

        [Fact]
        public void Truncated_gzip_is_an_error_after_the_rows_that_were_whole()
        {
            var full = ReportFiles.Gzip(ReportFiles.Report("cut.example", "cut-1", 2000));
            var f = _tmp.File("cut.xml.gz", full.Take(full.Length / 2).ToArray());
            var (rows, problems) = Read(f);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.Truncated, p.Kind);
            Assert.Contains("cut.xml.gz", p.Message); Assert.Contains("truncated", p.Message);
            Assert.InRange(rows.Count, 1, 1999);
            Assert.Equal(rows.Count, p.RowsBefore);
            Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), rows.Select(r => r.Count));
        }

        [Fact]
        public void A_gzip_of_several_members_is_read_whole_and_is_not_called_truncated()
        {
            // RFC 1952 allows a file of several gzip members (`cat a.gz b.gz`, what some tools write): only the last
            // member's trailer is at the end of the file, and it describes that member only.
            var xml = Encoding.UTF8.GetBytes(ReportFiles.Report("multi.example", "multi-1", 50));
            var cut = xml.Length / 3;
            var f = _tmp.File("multi.xml.gz", ReportFiles.Gzip(Encoding.UTF8.GetString(xml, 0, cut)).Concat(ReportFiles.Gzip(Encoding.UTF8.GetString(xml, cut, xml.Length - cut))).ToArray());
            var (rows, problems) = Read(f);
            Assert.Empty(problems);
            Assert.Equal(50, rows.Count);
        }

        [Fact]
        public void A_gzip_cut_right_after_its_data_without_the_trailer_is_truncated()
        {
            var full = ReportFiles.Gzip(ReportFiles.Report("cut.example", "cut-2", 20));
            var f = _tmp.File("notrailer.xml.gz", full.Take(full.Length - 8).ToArray());
            var (_, problems) = Read(f);
            Assert.Equal(ReportProblemKind.Truncated, Assert.Single(problems).Kind);
        }

        [Fact]
        public void Zip_with_several_reports_yields_every_member_and_names_it()
        {
            var f = _tmp.File("batch.zip", ReportFiles.Zip(
                ("a.xml", Encoding.UTF8.GetBytes(ReportFiles.Report("a.example", "A", 2))),
                ("nested/b.xml.gz", ReportFiles.Gzip(ReportFiles.Report("b.example", "B", 3))),
                ("broken.xml", Encoding.UTF8.GetBytes("<feedback><record>")),
                ("c.xml", Encoding.UTF8.GetBytes(ReportFiles.Report("c.example", "C", 1, ReportFiles.Ns9990)))));
            var (rows, problems) = Read(f);
            Assert.Equal(new[] { "A", "A", "B", "B", "B", "C" }, rows.Select(r => r.ReportId));
            Assert.Equal(new[] { "a.xml", "a.xml", "nested/b.xml.gz", "nested/b.xml.gz", "nested/b.xml.gz", "c.xml" }, rows.Select(r => r.SourceEntry));
            var p = Assert.Single(problems);
            Assert.Equal("broken.xml", p.SourceEntry);
            Assert.Equal(ReportProblemKind.Malformed, p.Kind);
            Assert.True(rows.Last().IsRfc9990);
        }

        [Fact]
        public void Mbox_with_several_report_emails_reads_every_message()
        {
            var report = ReportFiles.Report("mbox.example", "M1", 2);
            var mbox = ReportFiles.Mbox(
                ReportFiles.Mail("Report 1", ("r1.xml.gz", "application/gzip", ReportFiles.Gzip(report))),
                ReportFiles.Mail("Just a note"),
                ReportFiles.Mail("Report 2", ("r2.zip", "application/zip", ReportFiles.Zip(("r2.xml", Encoding.UTF8.GetBytes(ReportFiles.Report("mbox.example", "M2", 3)))))),
                ReportFiles.Mail("Report 3", ("r3.xml", "text/xml", Encoding.UTF8.GetBytes(ReportFiles.Report("mbox.example", "M3", 1, ReportFiles.Ns9990)))));
            var f = _tmp.File("reports.mbox", mbox);
            var (rows, problems) = Read(f);
            Assert.Equal(new[] { "M1", "M1", "M2", "M2", "M2", "M3" }, rows.Select(r => r.ReportId));
            Assert.StartsWith("message 1 'Report 1' / attachment r1.xml.gz", rows[0].SourceEntry);
            Assert.StartsWith("message 3 'Report 2' / attachment r2.zip / r2.xml", rows[2].SourceEntry);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.NoReportInMessage, p.Kind);
            Assert.StartsWith("message 2 'Just a note'", p.SourceEntry);
        }

        [Fact]
        public void Rfc9990_namespaced_report_with_a_prefix_is_read()
        {
            var xml = @"<?xml version=""1.0""?>
<d:feedback xmlns:d=""urn:ietf:params:xml:ns:dmarc-2.0"">
  <d:version>2.0</d:version>
  <d:report_metadata><d:org_name>bis.example</d:org_name><d:email>r@bis.example</d:email><d:report_id>bis-1</d:report_id>
    <d:date_range><d:begin>1779926400</d:begin><d:end>1780012799</d:end></d:date_range><d:generator>gen 1.0</d:generator></d:report_metadata>
  <d:policy_published><d:domain>example.org</d:domain><d:p>reject</d:p><d:sp>reject</d:sp><d:np>reject</d:np><d:testing>y</d:testing><d:discovery_method>psl</d:discovery_method></d:policy_published>
  <d:record><d:row><d:source_ip>2001:db8::25</d:source_ip><d:count>7</d:count><d:policy_evaluated><d:disposition>quarantine</d:disposition><d:dkim>fail</d:dkim><d:spf>fail</d:spf>
    <d:reason><d:type>policy_test_mode</d:type><d:comment>t=y</d:comment></d:reason></d:policy_evaluated></d:row>
    <d:identifiers><d:envelope_from>example.org</d:envelope_from><d:header_from>example.org</d:header_from></d:identifiers>
    <d:auth_results><d:spf><d:domain>example.org</d:domain><d:scope>mfrom</d:scope><d:result>softfail</d:result><d:human_result>sender not listed</d:human_result></d:spf></d:auth_results></d:record>
</d:feedback>";
            var row = Assert.Single(Read(_tmp.File("bis.xml", xml)).Rows);
            Assert.Equal("2.0", row.XmlSchema);
            Assert.True(row.IsRfc9990);
            Assert.Equal("gen 1.0", row.Generator);
            Assert.Equal("y", row.Testing);
            Assert.Equal("psl", row.DiscoveryMethod);
            Assert.Equal("reject", row.Np);
            Assert.Equal("2001:db8::25", row.SourceIP);
            Assert.Equal(new[] { "policy_test_mode" }, row.PolicyOverrideReasons);
            Assert.Equal(new[] { "t=y" }, row.PolicyOverrideComments);
            Assert.Equal(new[] { "softfail" }, row.SpfResults);
            Assert.Equal(new DateTime(2026, 5, 28, 0, 0, 0, DateTimeKind.Utc), row.BeginDate);
        }

        [Fact]
        public void Rows_stream_out_before_the_file_ends()
        {
            // A report whose tail is garbage: the rows before it are delivered, then the error.
            var text = ReportFiles.Report("s.example", "S", 5).Replace("</feedback>", "<record><row>&bogus;");
            var items = DmarcReportReader.ReadFile(_tmp.File("tail.xml", text)).GetEnumerator();
            Assert.True(items.MoveNext());
            Assert.IsType<DmarcReportRow>(items.Current);
            var rest = new List<object>();
            while (items.MoveNext()) rest.Add(items.Current);
            Assert.Equal(4, rest.OfType<DmarcReportRow>().Count());
            Assert.Equal(5, Assert.IsType<ReportImportProblem>(rest.Last()).RowsBefore);
        }

        [Fact]
        public void Content_decides_not_the_extension_and_non_reports_are_named()
        {
            var disguised = _tmp.File("report.txt", ReportFiles.Gzip(ReportFiles.Report("x.example", "X", 2)));
            Assert.Equal(2, Read(disguised).Rows.Count);
            var json = _tmp.File("report.xml", ReportFiles.TlsRpt);
            var p = Assert.Single(Read(json).Problems);
            Assert.Equal(ReportProblemKind.NotAReport, p.Kind);
            Assert.Contains("an SMTP TLS report?", p.Message);
            Assert.Equal(ReportType.TlsRpt, Assert.IsType<ReportFormatException>(p.Exception).LooksLike);
            var html = _tmp.File("page.xml", "<html><body>hi</body></html>");
            Assert.Contains("<html>", Assert.Single(Read(html).Problems).Message);
            var bin = _tmp.File("x.bin", new byte[] { 0, 1, 2, 3, 4 });
            Assert.Equal(ReportProblemKind.NotAReport, Assert.Single(Read(bin).Problems).Kind);
        }

        [Fact]
        public void Cancellation_stops_the_read()
        {
            var f = _tmp.File("many.xml", ReportFiles.Report("c.example", "C", 100));
            using var cts = new CancellationTokenSource();
            var e = DmarcReportReader.ReadFile(f, null, cts.Token).GetEnumerator();
            Assert.True(e.MoveNext());
            cts.Cancel();
            Assert.Throws<OperationCanceledException>(() => e.MoveNext());
        }

        [CorpusFact("dmarc-aggregate")]
        public void Parsedmarc_format_has_its_exact_columns_and_conventions()
        {
            Assert.Equal(44, ParsedmarcFormat.Columns.Count);
            Assert.Equal("xml_schema", ParsedmarcFormat.Columns[0]);
            Assert.Equal("spf_results", ParsedmarcFormat.Columns[43]);
            var row = Read(Corpus("aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz")).Rows.Single();
            var p = ParsedmarcFormat.ToRow(row).ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal(ParsedmarcFormat.Columns, ParsedmarcFormat.ToRow(row).Select(kv => kv.Key));
            Assert.Equal("1.0", p["xml_schema"]);
            Assert.Equal("FastMail Pty Ltd", p["org_name"]);
            Assert.Equal("2018-01-16 00:00:00", p["begin_date"]);
            Assert.Equal("2018-01-16 23:59:59", p["end_date"]);
            Assert.Equal("r", p["adkim"]);          // default when not published
            Assert.Equal("none", p["sp"]);
            Assert.Equal("104.195.80.20", p["source_ip_address"]);
            Assert.Equal(1L, p["count"]);
            Assert.Equal(false, p["spf_aligned"]);
            Assert.Equal(false, p["dmarc_aligned"]);
            Assert.Equal("example.com", p["envelope_from"]);
            Assert.Equal("fastmail.fm", p["envelope_to"]);
            Assert.Equal("example.com", p["spf_domains"]);
            Assert.Equal("mfrom", p["spf_scopes"]);
            Assert.Equal("softfail", p["spf_results"]);
            Assert.Equal("", p["dkim_domains"]);

            // envelope_from missing: parsedmarc takes the last SPF domain; an SPF result with an empty domain is dropped.
            var google = Read(Corpus("aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml")).Rows.Single();
            Assert.Equal("borschow.com", ParsedmarcFormat.ToRow(google).Single(kv => kv.Key == "envelope_from").Value);
            var veeam = Read(Corpus("aggregate/veeam.com!example.com!1530133200!1530219600.xml")).Rows.Single();
            var v = ParsedmarcFormat.ToRow(veeam).ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal("", v["spf_domains"]);
            Assert.Equal("draft", v["xml_schema"]);

            // The typed row Import-DmarcReport -Format Parsedmarc writes: the same columns, in order, with the same values.
            foreach (var r in new[] { row, google, veeam })
            {
                var typed = ParsedmarcFormat.ToParsedmarcRow(r);
                var props = typeof(ParsedmarcRow).GetProperties();
                Assert.Equal(ParsedmarcFormat.Columns, props.Select(pi => pi.Name));
                Assert.Equal(ParsedmarcFormat.ToRow(r).Select(kv => kv.Value), props.Select(pi => pi.GetValue(typed)));
            }
        }

        private const string FieldHead = "<?xml version=\"1.0\"?>\n<feedback><version>1.0</version><report_metadata><org_name>big.example</org_name><report_id>r1</report_id></report_metadata>"
            + "<policy_published><domain>example.com</domain><p>none</p></policy_published><record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
            + "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf><reason><type>other</type><comment>";

        private const string FieldTail = "</comment></reason></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers></record></feedback>";

        [Fact]
        public void Consecutive_records_keep_their_own_values_when_the_reader_shares_repeated_ones()
        {
            // Each record differs from the one before in one place, by a value of the same length, by case, or by a
            // list growing or shrinking: the strings and lists the reader shares between rows never carry one row's
            // value into the next.
            static string Record(string ip, string count, string disposition, string header, string dkim, string spfScope) =>
                $"<record><row><source_ip> {ip} </source_ip><count>{count}</count><policy_evaluated><disposition>{disposition}</disposition>"
                + "<dkim>PASS</dkim><spf>Fail</spf></policy_evaluated></row>"
                + $"<identifiers><header_from>{header}</header_from></identifiers><auth_results>{dkim}"
                + $"<spf><domain>{header}</domain><scope>{spfScope}</scope><result>pass</result></spf></auth_results></record>";
            static string Dkim(string domain, string selector, string result) =>
                $"<dkim><domain>{domain}</domain><selector>{selector}</selector><result>{result}</result></dkim>";
            var xml = "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>o</org_name><report_id>r</report_id></report_metadata>"
                + "<policy_published><domain>example.com</domain></policy_published>"
                + Record("192.0.2.1", "1", "none", "example.com", Dkim("example.com", "s1", "pass"), "mfrom")
                + Record("192.0.2.2", "1", "Reject", "example.org", Dkim("example.com", "s1", "pass"), "MFROM")
                + Record("192.0.2.3", " 0010 ", "REJECT", "example.org", Dkim("example.com", "s1", "pass") + Dkim("example.org", "s2", "Fail"), "helo")
                + Record("192.0.2.4", "9223372036854775807", "QUARANTINÉ", "example.org", Dkim("example.net", "s1", "pass"), "mfrom")
                + Record("192.0.2.5", "2", "none", "example.com", "", "mfrom")
                + "</feedback>";
            var (rows, problems) = Read(_tmp.File("consecutive.xml", xml));
            Assert.Empty(problems);
            Assert.Equal(new[] { "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5" }, rows.Select(r => r.SourceIP));
            Assert.Equal(new long[] { 1, 1, 10, long.MaxValue, 2 }, rows.Select(r => r.Count));
            Assert.Equal(new[] { "none", "reject", "reject", "quarantiné", "none" }, rows.Select(r => r.Disposition));
            Assert.All(rows, r => Assert.Equal(("pass", "fail"), (r.PolicyDkim, r.PolicySpf)));
            Assert.Equal(new[] { "example.com", "example.org", "example.org", "example.org", "example.com" }, rows.Select(r => r.HeaderFrom));
            Assert.Equal(new[] { "example.com", "example.com", "example.com; example.org", "example.net", "" }, rows.Select(r => r.DkimDomains.ToString()));
            Assert.Equal(new[] { "s1", "s1", "s1; s2", "s1", "" }, rows.Select(r => r.DkimSelectors.ToString()));
            Assert.Equal(new[] { "pass", "pass", "pass; fail", "pass", "" }, rows.Select(r => r.DkimResults.ToString()));
            Assert.Equal(new[] { 1, 1, 2, 1, 0 }, rows.Select(r => r.DkimResults.Count));
            Assert.Equal(new[] { "mfrom", "mfrom", "helo", "mfrom", "mfrom" }, rows.Select(r => r.SpfScopes.Single()));
            Assert.Equal(new[] { "example.com", "example.org", "example.org", "example.org", "example.com" }, rows.Select(r => r.SpfDomains.Single()));
        }

        [Theory]
        [InlineData("12a")]
        [InlineData("-1")]
        [InlineData("+3")]
        [InlineData("1 2")]
        [InlineData("99999999999999999999")]
        public void A_row_count_that_is_not_a_whole_number_is_a_malformed_report(string count)
        {
            var xml = "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>o</org_name><report_id>r</report_id></report_metadata>"
                + $"<record><row><source_ip>192.0.2.1</source_ip><count>{count}</count></row></record></feedback>";
            var (rows, problems) = Read(_tmp.File("count.xml", xml));
            Assert.Empty(rows);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.Malformed, p.Kind);
            Assert.Contains($"row count '{count}'", p.Message);
        }

        [Fact]
        public void Rows_of_one_report_share_its_values_but_each_keeps_what_the_report_had_said_when_it_was_read()
        {
            // A record before the metadata (out of order, but read): it keeps the empty organisation it was read with.
            var xml = "<?xml version=\"1.0\"?><feedback>"
                + "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>"
                + "<report_metadata><org_name>o</org_name><report_id>r</report_id></report_metadata><version>2.0</version>"
                + "<record><row><source_ip>192.0.2.2</source_ip><count>1</count></row></record>"
                + "<record><row><source_ip>192.0.2.3</source_ip><count>1</count></row></record>"
                + "<policy_published><domain>example.com</domain></policy_published>"
                + "<record><row><source_ip>192.0.2.4</source_ip><count>1</count></row></record></feedback>";
            var (rows, problems) = Read(_tmp.File("order.xml", xml));
            Assert.Empty(problems);
            Assert.Equal(new string?[] { null, "o", "o", "o" }, rows.Select(r => r.OrgName));
            Assert.Equal(new[] { "draft", "2.0", "2.0", "2.0" }, rows.Select(r => r.XmlSchema));
            Assert.Equal(new string?[] { null, null, null, "example.com" }, rows.Select(r => r.Domain));
            Assert.Single(rows.Select(r => r.ReportSerial).Distinct());

            // Changing one row (only MailOps itself can) never changes its siblings.
            rows[1].OrgName = "changed";
            rows[1].ReportSerial = -5;
            Assert.Equal(new string?[] { null, "changed", "o", "o" }, rows.Select(r => r.OrgName));
            Assert.Equal(rows[0].ReportSerial, rows[2].ReportSerial);
            Assert.Equal("2.0", rows[1].XmlSchema);
        }

        [Fact]
        public void A_field_at_the_limit_is_read_in_its_own_column_and_one_past_it_is_a_per_file_error()
        {
            var atLimit = _tmp.File("at-limit.xml", FieldHead + new string('x', DmarcReportReader.MaxFieldLength) + FieldTail);
            var (rows, problems) = Read(atLimit);
            Assert.Empty(problems);
            var row = Assert.Single(rows);
            Assert.Equal(DmarcReportReader.MaxFieldLength, row.PolicyOverrideComments.Single().Length);
            Assert.Equal("1.0", row.XmlSchema);
            Assert.Equal("big.example", row.OrgName);
            Assert.Equal("192.0.2.1", row.SourceIP);
            Assert.Equal("other", row.PolicyOverrideReasons.Single());
            Assert.Equal("example.com", row.HeaderFrom);

            var over = _tmp.File("over.xml", FieldHead + new string('x', DmarcReportReader.MaxFieldLength + 1) + FieldTail);
            var next = _tmp.File("next.xml", ReportFiles.Report("next.example", "n1", 2));
            var items = new[] { over, next }.SelectMany(f => DmarcReportReader.ReadFile(f)).ToList();
            var p = Assert.IsType<ReportImportProblem>(items[0]);
            Assert.Equal(ReportProblemKind.TooLarge, p.Kind);
            Assert.Contains("<comment>", p.Message);
            Assert.Contains("65,536", p.Message);
            Assert.Equal(2, items.Skip(1).OfType<DmarcReportRow>().Count(r => r.OrgName == "next.example"));
        }

        [Fact]
        public void A_100_MB_text_node_is_refused_without_being_held_in_memory()
        {
            // Generated as it is read: 100 MB of text in one element, never on disk and never whole in memory.
            var head = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?>\n<feedback><version>");
            var tail = Encoding.UTF8.GetBytes("</version><record><row><source_ip>192.0.2.1</source_ip></row></record></feedback>");
            using var stream = new GeneratedStream(head, (byte)'A', 100L << 20, tail);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<ReportFormatException>(() => DmarcReportReader.Parse(stream, "huge.xml", null, CancellationToken.None).ToList());
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(ReportProblemKind.TooLarge, ex.Kind);
            Assert.Contains("<version>", ex.Message);
            Assert.True(allocated < 16L << 20, $"allocated {allocated:N0} bytes");
            Assert.True(stream.Position < 1L << 20, $"read {stream.Position:N0} bytes before stopping");
        }

        /// <summary>head, then <c>count</c> copies of one byte, then tail, made up as they are read.</summary>
        private sealed class GeneratedStream : Stream
        {
            private readonly byte[] _head, _tail;
            private readonly byte _fill;
            private readonly long _count;
            private long _pos;

            public GeneratedStream(byte[] head, byte fill, long count, byte[] tail) { _head = head; _fill = fill; _count = count; _tail = tail; }

            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = 0;
                while (n < count)
                {
                    var p = _pos;
                    if (p < _head.Length) buffer[offset + n] = _head[p];
                    else if (p < _head.Length + _count) buffer[offset + n] = _fill;
                    else if (p < _head.Length + _count + _tail.Length) buffer[offset + n] = _tail[p - _head.Length - _count];
                    else break;
                    _pos++;
                    n++;
                }
                return n;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => _pos; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
