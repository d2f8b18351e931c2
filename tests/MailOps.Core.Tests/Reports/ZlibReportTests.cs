using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using MailOps.Reports;
using Xunit;

namespace MailOps.Tests.Reports
{
    /// <summary>Raw zlib payloads (RFC 1950), as some DMARC reporters send them: recognised by content, decompressed within
    /// the same limits as gzip, and a cut or damaged stream told from a whole one by its Adler-32 trailer.</summary>
    public sealed class ZlibReportTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        /// <summary>Compressed by .NET's own ZLibStream (net10), independent of the reader under test.</summary>
        public static byte[] Zlib(byte[] data, CompressionLevel level = CompressionLevel.Optimal)
        {
            var ms = new MemoryStream();
            using (var z = new ZLibStream(ms, level, true)) z.Write(data, 0, data.Length);
            return ms.ToArray();
        }

        private static (System.Collections.Generic.List<DmarcReportRow> Rows, System.Collections.Generic.List<ReportImportProblem> Problems) Read(string path, ReportImportOptions? options = null)
        {
            var items = DmarcReportReader.ReadFile(path, options).ToList();
            return (items.OfType<DmarcReportRow>().ToList(), items.OfType<ReportImportProblem>().ToList());
        }

        [Theory]
        [InlineData(CompressionLevel.Optimal)]
        [InlineData(CompressionLevel.Fastest)]
        [InlineData(CompressionLevel.SmallestSize)]
        [InlineData(CompressionLevel.NoCompression)]
        public void A_zlib_file_is_recognised_by_content_and_read_whole(CompressionLevel level)
        {
            var z = Zlib(Encoding.UTF8.GetBytes(ReportFiles.Report("zlib.example", "z-1", 30)), level);
            Assert.Equal(0x78, z[0]);
            var (rows, problems) = Read(_tmp.File("report.bin", z));
            Assert.Empty(problems);
            Assert.Equal(30, rows.Count);
            Assert.All(rows, r => Assert.Equal("z-1", r.ReportId));
        }

        [Theory]
        [InlineData(new byte[] { 0x78, 0x01 }, true)]
        [InlineData(new byte[] { 0x78, 0x5E }, true)]
        [InlineData(new byte[] { 0x78, 0x9C }, true)]
        [InlineData(new byte[] { 0x78, 0xDA }, true)]
        [InlineData(new byte[] { 0x78, 0x9D }, false)] // header checksum wrong
        [InlineData(new byte[] { 0x78, 0xBB }, false)] // FDICT set (preset dictionary): never in a report
        [InlineData(new byte[] { (byte)'x', (byte)'m' }, false)]
        public void Only_a_valid_zlib_header_is_sniffed_as_zlib(byte[] head, bool zlib)
        {
            var kind = ReportContainerReader.Sniff(new ArraySegment<byte>(head.Concat(new byte[] { 0, 0, 0 }).ToArray()));
            Assert.Equal(zlib, kind == PayloadKind.Zlib);
        }

        [Fact]
        public void A_zlib_attachment_in_a_message_and_in_an_mbox_is_read()
        {
            var z = Zlib(Encoding.UTF8.GetBytes(ReportFiles.Report("mail.example", "z-mail", 3)));
            var m = ReportFiles.Mail("Report domain: example.com", ("report.xml.z", "application/octet-stream", z));
            var (rows, problems) = Read(_tmp.File("m.eml", ReportFiles.Bytes(m)));
            Assert.Empty(problems);
            Assert.Equal(3, rows.Count);
            Assert.Equal("attachment report.xml.z", rows[0].SourceEntry);
            var (mboxRows, mboxProblems) = Read(_tmp.File("box.mbox", ReportFiles.Mbox(m)));
            Assert.Empty(mboxProblems);
            Assert.Equal(3, mboxRows.Count);
        }

        [Fact]
        public void A_zlib_stream_cut_before_its_trailer_or_in_its_data_is_truncated()
        {
            var z = Zlib(Encoding.UTF8.GetBytes(ReportFiles.Report("cut.example", "cut-z", 40)));
            var noTrailer = Read(_tmp.File("notrailer.z", z.Take(z.Length - 4).ToArray()));
            Assert.Equal(ReportProblemKind.Truncated, Assert.Single(noTrailer.Problems).Kind);
            var half = Read(_tmp.File("half.z", z.Take(z.Length / 2).ToArray()));
            var p = Assert.Single(half.Problems);
            Assert.True(p.Kind == ReportProblemKind.Truncated || p.Kind == ReportProblemKind.Malformed, p.Message);
            Assert.Contains("half.z", p.Message);
        }

        [Fact]
        public void A_zlib_stream_with_a_wrong_checksum_is_refused()
        {
            var z = Zlib(Encoding.UTF8.GetBytes(ReportFiles.Report("bad.example", "bad-z", 5)));
            z[^1] ^= 0xFF;
            var (_, problems) = Read(_tmp.File("bad.z", z));
            var p = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.Truncated, p.Kind);
            Assert.Contains("Adler-32", p.Message);
        }

        [Fact]
        public void A_zlib_bomb_is_stopped_by_the_decompression_limit()
        {
            var z = Zlib(ReportFiles.Bomb(8 << 20));
            Assert.True(z.Length < 100_000);
            var (_, problems) = Read(_tmp.File("bomb.z", z), new ReportImportOptions { MaxDecompressedBytes = 1 << 20 });
            Assert.Equal(ReportProblemKind.TooLarge, Assert.Single(problems).Kind);
        }

        [Fact]
        public void Zlib_inside_gzip_inside_zip_nests_like_any_container()
        {
            var z = Zlib(Encoding.UTF8.GetBytes(ReportFiles.Report("nest.example", "nest-z", 2)));
            var zip = ReportFiles.Zip(("r.xml.gz", ReportFiles.Gzip(z)));
            var (rows, problems) = Read(_tmp.File("n.zip", zip));
            Assert.Empty(problems);
            Assert.Equal(2, rows.Count);
        }
    }
}
