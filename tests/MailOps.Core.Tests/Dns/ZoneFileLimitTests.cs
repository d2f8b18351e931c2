using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using MailOps.Dns;
using MailOps.Tests.Common;
using MailOps.Tests.Reports;

namespace MailOps.Tests.Dns
{
    /// <summary>-ZoneFile under hostile input (issue 17): bounded size, includes and records; no special files; no content echoed.</summary>
    public sealed class ZoneFileLimitTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        private static ZoneFileException Fails(string path, ZoneFileLimits? limits = null) =>
            Assert.Throws<ZoneFileException>(() => MasterFileParser.ParseFile(path, null, limits, CancellationToken.None));

        [Fact]
        public void A_zone_including_itself_is_an_include_loop()
        {
            var z = _tmp.File("self.zone", "$ORIGIN example.com.\n@ 60 IN A 192.0.2.1\n$INCLUDE self.zone\n");
            var ex = Fails(z);
            Assert.Equal(3, ex.Line);
            Assert.Contains("include loop", ex.Message);
        }

        [Fact]
        public void Include_fan_out_is_bounded_in_total_not_only_in_depth()
        {
            // z0 includes z1 ten times, z1 includes z2 ten times ...: 10 + 100 + 1,000 inclusions, never deeper than 3.
            for (int i = 0; i < 3; i++)
                _tmp.File($"z{i}.zone", $"$ORIGIN example.com.\nh{i} 60 IN A 192.0.2.1\n" + string.Concat(Enumerable.Repeat($"$INCLUDE z{i + 1}.zone\n", 10)));
            _tmp.File("z3.zone", "h3 60 IN A 192.0.2.9\n");
            var sw = Stopwatch.StartNew();
            var ex = Fails(Path.Combine(_tmp.Root, "z0.zone"));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), sw.Elapsed.ToString());
            Assert.Contains("more than 64 $INCLUDEs", ex.Message);
        }

        [Fact]
        public void Special_files_are_refused_as_the_zone_and_as_an_include()
        {
            if (OperatingSystem.IsWindows()) return;
            var fifo = InputFileTests.MakeFifo(Path.Combine(_tmp.Root, "fifo.zone"));
            Assert.Contains("not a regular file", Fails(fifo).Message);
            var z = _tmp.File("inc.zone", "$ORIGIN example.com.\n$INCLUDE /dev/zero\n");
            var ex = Fails(z);
            Assert.Equal(2, ex.Line);
            Assert.Contains("/dev/zero", ex.Message);
            Assert.Contains("not a regular file", ex.Message);
            z = _tmp.File("inc2.zone", $"$ORIGIN example.com.\n$INCLUDE {fifo}\n");
            Assert.Contains("not a regular file", Fails(z).Message);
        }

        [Fact]
        public void An_included_non_zone_file_is_named_but_its_content_is_never_echoed()
        {
            _tmp.File("secret.txt", "api_key S3CR3T-VALUE-123\n");
            var z = _tmp.File("leak.zone", "$ORIGIN example.com.\n@ 60 IN A 192.0.2.1\n$INCLUDE secret.txt\n");
            var ex = Fails(z);
            Assert.DoesNotContain("S3CR3T", ex.Message);
            Assert.EndsWith("secret.txt", ex.Path);
            Assert.Equal(1, ex.Line);
            // The top-level file still gets the detailed message.
            Assert.Contains("unknown record type 'BOGUS'", Fails(_tmp.File("top.zone", "a.example. 60 IN BOGUS x\n")).Message);
        }

        [Fact]
        public void Size_records_and_line_length_are_bounded()
        {
            var big = _tmp.File("big.zone", "$ORIGIN example.com.\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"h{i} 60 IN A 192.0.2.1\n")));
            Assert.Contains("larger than 10,000 bytes", Fails(big, new ZoneFileLimits { MaxFileBytes = 10_000 }).Message);
            Assert.Contains("more than 1,000 records", Fails(big, new ZoneFileLimits { MaxRecords = 1000 }).Message);
            Assert.Equal(2000, MasterFileParser.ParseFile(big, null, null, CancellationToken.None).Records.Count);
            var longLine = _tmp.File("line.zone", "a.example. 60 IN TXT " + new string('x', 200_000) + "\n");
            Assert.Contains("longer than 65,536 characters", Fails(longLine).Message);
            _tmp.File("part.zone", string.Concat(Enumerable.Range(0, 500).Select(i => $"p{i} 60 IN A 192.0.2.1\n")));
            var total = _tmp.File("total.zone", "$ORIGIN example.com.\n" + string.Concat(Enumerable.Repeat("$INCLUDE part.zone\n", 10)));
            Assert.Contains("together", Fails(total, new ZoneFileLimits { MaxFileBytes = 20_000, MaxTotalBytes = 50_000 }).Message);
        }

        [Fact]
        public void Loading_stops_on_cancellation()
        {
            var big = _tmp.File("c.zone", "$ORIGIN example.com.\n" + string.Concat(Enumerable.Range(0, 20000).Select(i => $"h{i} 60 IN A 192.0.2.1\n")));
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => MasterFileParser.ParseFile(big, null, null, cts.Token));
        }
    }
}
