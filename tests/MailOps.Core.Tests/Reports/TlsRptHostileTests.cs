using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using MailOps.Reports;
using MailOps.Testing;

namespace MailOps.Tests.Reports
{
    /// <summary>TLS-RPT JSON bounds and count validation (issues 16 and 17), with inputs generated as streams.</summary>
    public sealed class TlsRptHostileTests
    {
        private static object[] Parse(Stream s) => TlsRptReportReader.Parse(s, "t.json", null, new ReportImportOptions()).ToArray();

        private static string Report(string successful) =>
            "{\"organization-name\":\"x\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"}," +
            $"\"summary\":{{\"total-successful-session-count\":{successful},\"total-failure-session-count\":0}}}}]}}";

        [Theory]
        [InlineData("1e400")]
        [InlineData("-1e23")]
        [InlineData("-1")]
        [InlineData("1.5")]
        [InlineData("1e20")]
        [InlineData("\"many\"")]
        public void Counts_that_are_not_whole_non_negative_numbers_are_malformed(string count)
        {
            var ex = Assert.Throws<ReportFormatException>(() => Parse(new MemoryStream(Encoding.UTF8.GetBytes(Report(count)))));
            Assert.Equal(ReportProblemKind.Malformed, ex.Kind);
            Assert.Contains("total-successful-session-count", ex.Message);
        }

        [Theory]
        [InlineData("0", 0)]
        [InlineData("5326", 5326)]
        [InlineData("1e3", 1000)]
        [InlineData("9007199254740992", 9007199254740992)]
        public void Whole_counts_are_read(string count, long expected)
        {
            var row = (TlsRptPolicyRow)Parse(new MemoryStream(Encoding.UTF8.GetBytes(Report(count)))).Single();
            Assert.Equal(expected, row.SuccessfulSessionCount);
        }

        [Theory]
        [InlineData("1,")]                                 // one huge array of numbers
        [InlineData("{\"a\":1},")]                         // of objects
        [InlineData("\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",")] // of strings
        public void A_60_MB_array_is_refused_without_building_it(string element)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var repeats = 60L * 1024 * 1024 / element.Length;
            var s = new GeneratedStream("{\"organization-name\":\"x\",\"policies\":[", element, repeats, "1]}");
            var sw = Stopwatch.StartNew();
            var ex = Assert.Throws<ReportFormatException>(() => Parse(s));
            Assert.Equal(ReportProblemKind.TooLarge, ex.Kind);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
            // What this thread allocated is bounded by the limits (1M values, 16 MiB), not by the 60 MB document.
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 400L << 20, $"{(GC.GetAllocatedBytesForCurrentThread() - before) >> 20} MiB allocated");
        }

        [Fact]
        public void One_huge_string_is_refused_at_its_limit()
        {
            var s = new GeneratedStream("{\"organization-name\":\"", "x", 10L << 20, "\",\"policies\":[]}");
            var ex = Assert.Throws<ReportFormatException>(() => Parse(s));
            Assert.Equal(ReportProblemKind.TooLarge, ex.Kind);
            Assert.Contains("string longer than", ex.Message);
        }

        [Fact]
        public void Deep_nesting_is_refused()
        {
            var s = new GeneratedStream("{\"organization-name\":", "[", 100_000, "");
            Assert.Equal(ReportProblemKind.TooLarge, Assert.Throws<ReportFormatException>(() => Parse(s)).Kind);
        }

        [Fact]
        public void Invalid_utf8_is_malformed()
        {
            var bytes = Encoding.UTF8.GetBytes(Report("1")).ToList();
            bytes.InsertRange(5, new byte[] { 0xC3, 0x28 });
            Assert.Equal(ReportProblemKind.Malformed, Assert.Throws<ReportFormatException>(() => Parse(new MemoryStream(bytes.ToArray()))).Kind);
        }
    }
}
