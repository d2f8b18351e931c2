using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using MailOps.Reports;
using MailOps.Testing;
using MailOps.Tests.Common;
using MimeKit;

namespace MailOps.Tests.Reports
{
    /// <summary>The hostile-input campaign's container cases (issues 16 and 17): each bounded, each one clear error per file.</summary>
    public sealed class HostileReportTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        private static (List<DmarcReportRow> Rows, List<ReportImportProblem> Problems) Read(string path, ReportImportOptions? o = null)
        {
            var items = DmarcReportReader.ReadFile(path, o).ToList();
            return (items.OfType<DmarcReportRow>().ToList(), items.OfType<ReportImportProblem>().ToList());
        }

        [Fact]
        public void A_fifo_given_as_a_report_is_refused_at_once()
        {
            if (OperatingSystem.IsWindows()) return;
            var fifo = InputFileTests.MakeFifo(Path.Combine(_tmp.Root, "report.xml"));
            var sw = Stopwatch.StartNew();
            var (rows, problems) = Read(fifo);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2));
            Assert.Empty(rows);
            Assert.Equal(ReportProblemKind.NotRegularFile, Assert.Single(problems).Kind);
            Assert.Contains("named pipe", problems[0].Message);
        }

        /// <summary>Zips nested <paramref name="levels"/> deep, each holding <paramref name="width"/> copies of the level below.</summary>
        private static byte[] NestedZips(int levels, int width)
        {
            var data = Encoding.UTF8.GetBytes(ReportFiles.Report("deep.example", "d", 1));
            for (int l = 0; l < levels; l++)
                data = ReportFiles.Zip(Enumerable.Range(0, width).Select(i => ($"l{l}-{i}.zip", data)).ToArray());
            return data;
        }

        [Fact]
        public void Six_levels_of_nested_zips_are_one_error_for_the_file()
        {
            var file = _tmp.File("nested.zip", NestedZips(6, 10));
            var sw = Stopwatch.StartNew();
            var (rows, problems) = Read(file);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.TooLarge, p.Kind);
            Assert.Contains("levels deep", p.Message);
            Assert.Empty(rows);
        }

        [Fact]
        public void Total_zip_members_across_levels_are_bounded_with_one_error_and_a_count()
        {
            var file = _tmp.File("wide.zip", NestedZips(3, 30)); // 30 + 900 + 27,000 members
            var (rows, problems) = Read(file, new ReportImportOptions { MaxTotalEntries = 1000 });
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.TooManyEntries, p.Kind);
            Assert.Contains("1,000 zip members", p.Message);
            Assert.Contains("counted", p.Message);
            Assert.True(rows.Count < 1000);
        }

        [Fact]
        public void Zip_member_named_dot_dot_is_only_a_label_and_nothing_is_written()
        {
            var report = Encoding.UTF8.GetBytes(ReportFiles.Report("zipslip.example", "z", 2));
            var file = _tmp.File("slip.zip", ReportFiles.Zip(("../../evil.xml", report), ("/abs/evil2.xml", report)));
            var before = Directory.GetFileSystemEntries(Path.GetTempPath()).Length;
            var (rows, problems) = Read(file);
            Assert.Empty(problems);
            Assert.Equal(4, rows.Count);
            Assert.Equal("../../evil.xml", rows[0].SourceEntry);
            Assert.False(File.Exists(Path.Combine(_tmp.Root, "..", "..", "evil.xml")));
            Assert.False(File.Exists(Path.GetFullPath(Path.Combine(Path.GetTempPath(), "..", "evil.xml"))));
        }

        [Fact]
        public void A_zip_inside_a_gzip_larger_than_the_memory_copy_is_spilled_to_a_deleted_temp_file()
        {
            // Incompressible padding makes the inner zip bigger than the in-memory limit of the test (64 KiB).
            var noise = new byte[300_000];
            new Random(1).NextBytes(noise);
            var zip = ReportFiles.Zip(("a.xml", Encoding.UTF8.GetBytes(ReportFiles.Report("spill.example", "s", 3))), ("noise.bin", noise));
            var file = _tmp.File("r.zip.gz", ReportFiles.Gzip(zip));
            var tempsBefore = Directory.GetFiles(Path.GetTempPath(), "mailops-*.tmp").Length;
            var (rows, problems) = Read(file, new ReportImportOptions { MaxInMemoryCopyBytes = 64 * 1024 });
            Assert.Equal(3, rows.Count);
            Assert.Single(problems); // noise.bin is not a report
            Assert.Equal(tempsBefore, Directory.GetFiles(Path.GetTempPath(), "mailops-*.tmp").Length);
        }

        [Fact]
        public void Gzip_of_a_zip_bomb_stops_at_the_decompression_limit()
        {
            // A zip whose one member inflates to 256 MiB of XML text, gzipped: built streaming, a few hundred KB on disk.
            var path = Path.Combine(_tmp.Root, "bomb.zip.gz");
            var zipMs = new MemoryStream();
            using (var zip = new ZipArchive(zipMs, ZipArchiveMode.Create, true))
            using (var member = zip.CreateEntry("bomb.xml", CompressionLevel.Fastest).Open())
                new GeneratedStream("<?xml version=\"1.0\"?><feedback><record><row><source_ip>", "aaaaaaaaaaaaaaaa", 16L << 20, "</source_ip></row></record></feedback>").CopyTo(member, 1 << 20);
            using (var f = File.Create(path)) { zipMs.Position = 0; GeneratedStream.GzipTo(zipMs, f); }
            var sw = Stopwatch.StartNew();
            var (rows, problems) = Read(path, new ReportImportOptions { MaxDecompressedBytes = 64L << 20 });
            Assert.Empty(rows);
            Assert.Equal(ReportProblemKind.TooLarge, Assert.Single(problems).Kind);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
        }

        private static string Multipart(int depth)
        {
            var sb = new StringBuilder("From: a@example.com\r\nTo: b@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
            for (int i = 0; i < depth; i++) sb.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
            sb.Append("Content-Type: text/plain\r\n\r\nhello\r\n");
            for (int i = depth - 1; i >= 0; i--) sb.Append($"--b{i}--\r\n");
            return sb.ToString();
        }

        [Theory]
        [InlineData(1_000)]
        [InlineData(100_000)]
        public void Deeply_nested_multiparts_end_in_one_error_quickly(int depth)
        {
            var file = _tmp.File("deep.eml", Multipart(depth));
            var sw = Stopwatch.StartNew();
            var (rows, problems) = Read(file);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), sw.Elapsed.ToString());
            Assert.Empty(rows);
            Assert.Single(problems);
        }

        [Theory]
        [InlineData(1_000)]
        [InlineData(20_000)]
        public void Deeply_nested_message_rfc822_is_one_nesting_error(int depth)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < depth; i++) sb.Append("From: a@example.com\r\nSubject: level\r\nContent-Type: message/rfc822\r\n\r\n");
            sb.Append("From: a@example.com\r\nSubject: bottom\r\nContent-Type: text/plain\r\n\r\nhi\r\n");
            var file = _tmp.File("rfc822.eml", sb.ToString());
            var sw = Stopwatch.StartNew();
            var (rows, problems) = Read(file);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), sw.Elapsed.ToString());
            Assert.Empty(rows);
            Assert.Single(problems);
        }

        [Fact]
        public void Mbox_with_ten_thousand_messages_gives_every_row_and_caps_repeated_errors()
        {
            var report = ReportFiles.Gzip(ReportFiles.Report("mbox.example", "m", 1));
            var msgs = Enumerable.Range(0, 10_000).Select(i => i % 2 == 0
                ? ReportFiles.Mail("Report " + i, ("r.xml.gz", "application/gzip", report))
                : ReportFiles.Mail("Not a report " + i)).ToArray();
            var file = _tmp.File("big.mbox", ReportFiles.Mbox(msgs));
            var (rows, problems) = Read(file);
            Assert.Equal(5_000, rows.Count);
            Assert.Equal(101, problems.Count); // 100 shown, then one that counts the rest
            Assert.Contains("4,900 more problem(s)", problems[100].Message);
        }

        [Fact]
        public void Utf16_report_is_read_and_invalid_utf8_is_malformed()
        {
            var xml = ReportFiles.Report("utf16.example", "u", 2).Replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
            var (rows, problems) = Read(_tmp.File("u16.xml", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(xml)).ToArray()));
            Assert.Empty(problems);
            Assert.Equal(2, rows.Count);
            var bad = Encoding.UTF8.GetBytes(ReportFiles.Report("bad.example", "b", 1).Replace("bad.example</org_name>", "bad\u0001X</org_name>"));
            var i = Array.IndexOf(bad, (byte)1);
            bad[i] = 0xC3; bad[i + 1] = 0x28; // an invalid UTF-8 sequence
            (rows, problems) = Read(_tmp.File("bad.xml", bad));
            Assert.Empty(rows);
            Assert.Equal(ReportProblemKind.Malformed, Assert.Single(problems).Kind);
        }

        [Fact]
        public void External_entities_are_never_fetched_or_read()
        {
            var secret = _tmp.File("secret.txt", "S3CR3T");
            var xml = $"<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x SYSTEM \"file://{secret}\"><!ENTITY y SYSTEM \"http://127.0.0.1:9/x\">]><feedback><report_metadata><org_name>&x;&y;</org_name></report_metadata></feedback>";
            var (rows, problems) = Read(_tmp.File("xxe.xml", xml));
            Assert.Empty(rows);
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.DtdProhibited, p.Kind);
            Assert.DoesNotContain("S3CR3T", p.Message);
        }
    }
}
