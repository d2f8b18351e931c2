using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Files and folders a user (or an attacker) hands the cmdlets (issues 16 and 17), as typed in a session.</summary>
    [Collection("Runspace")]
    public sealed class HostileInputTests : IDisposable
    {
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-hostile-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, object?> _vars;

        public HostileInputTests()
        {
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?> { ["tmp"] = _tmp };
        }

        public void Dispose()
        {
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        private string P(string relative) => Path.Combine(_tmp, relative);

        private string Write(string relative, string text)
        {
            var p = P(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllText(p, text);
            return p;
        }

        private string Fifo(string relative)
        {
            var p = P(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            using var proc = Process.Start(new ProcessStartInfo("mkfifo", p) { UseShellExecute = false })!;
            proc.WaitForExit();
            return p;
        }

        private static string Report(string id, int rows)
        {
            var sb = new StringBuilder($"<?xml version=\"1.0\"?><feedback><report_metadata><org_name>o</org_name><report_id>{id}</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>");
            for (int i = 1; i <= rows; i++)
                sb.Append($"<record><row><source_ip>192.0.2.{i}</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results/></record>");
            return sb.Append("</feedback>").ToString();
        }

        [Fact]
        public void Recurse_over_links_to_itself_reads_each_report_once_and_refuses_the_fifo()
        {
            if (OperatingSystem.IsWindows()) return;
            Write("r/a.xml", Report("A", 2));
            Write("r/sub/b.xml", Report("B", 1));
            Directory.CreateSymbolicLink(P("r/self1"), ".");
            Directory.CreateSymbolicLink(P("r/self2"), ".");
            Directory.CreateSymbolicLink(P("r/sub/up"), "..");
            File.CreateSymbolicLink(P("r/again.xml"), P("r/a.xml"));
            Fifo("r/pipe.xml");
            var sw = Stopwatch.StartNew();
            var run = ModuleHost.Run("Import-DmarcReport -Path ([IO.Path]::Combine($tmp, 'r')) -Recurse -Verbose", _vars);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
            Assert.Null(run.Terminating?.Exception?.Message);
            Assert.Equal(new[] { "A", "A", "B" }, run.Output.Select(o => (string)o.Properties["ReportId"].Value).OrderBy(s => s));
            var e = Assert.Single(run.Errors);
            Assert.Equal("ReportUnreadable", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("named pipe", e.Exception.Message);
            Assert.Contains(run.Verbose, v => v.Message.Contains("not followed"));
            Assert.Contains(run.Verbose, v => v.Message.Contains("already read"));
        }

        [Fact]
        public void Special_files_as_zone_file_include_and_private_key_are_clear_errors_at_once()
        {
            if (OperatingSystem.IsWindows()) return;
            var fifo = Fifo("z/fifo.zone");
            Write("z/zero.zone", "$ORIGIN example.com.\n$INCLUDE /dev/zero\n");
            Write("z/ok.zone", "$ORIGIN example.com.\n@ 60 IN TXT \"v=DKIM1; p=\"\n");
            var keyFifo = Fifo("z/key.pem");
            var sw = Stopwatch.StartNew();
            var run = ModuleHost.Run(@"
Get-MailMx example.com -ZoneFile ([IO.Path]::Combine($tmp, 'z/fifo.zone'))
Get-MailMx example.com -ZoneFile ([IO.Path]::Combine($tmp, 'z/zero.zone'))
Test-MailDkim example.com -Selector s -ZoneFile ([IO.Path]::Combine($tmp, 'z/ok.zone')) -PrivateKeyPath ([IO.Path]::Combine($tmp, 'z/key.pem'))", _vars);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), sw.Elapsed.ToString());
            Assert.Equal(new[] { "InvalidZoneFile", "InvalidZoneFile", "DkimPrivateKeyUnreadable" }, run.ErrorIds);
            Assert.Contains("not a regular file", run.Errors[0].Exception.Message);
            Assert.Contains("/dev/zero", run.Errors[1].Exception.Message);
            Assert.Contains("named pipe", run.Errors[2].Exception.Message);
        }

        [Fact]
        public void Included_secret_file_is_named_but_never_echoed()
        {
            Write("s/secret.txt", "token S3CR3T-VALUE-123\n");
            Write("s/leak.zone", "$ORIGIN example.com.\n$INCLUDE secret.txt\n");
            var run = ModuleHost.Run("Get-MailMx example.com -ZoneFile ([IO.Path]::Combine($tmp, 's/leak.zone'))", _vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("InvalidZoneFile", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.DoesNotContain("S3CR3T", e.Exception.Message + e.ErrorDetails?.Message + e.ErrorDetails?.RecommendedAction);
            Assert.Contains("secret.txt", e.Exception.Message);
        }

        [Fact]
        public void Ctrl_C_stops_a_decompression_bomb_within_a_second()
        {
            // A multi-member gzip: one small compressed member of ~400 MB repeated 100 times inflates to ~40 GB, far more
            // than any machine reads before the stop (the size limit is raised so that only Ctrl+C can end it).
            var path = P("bomb.xml.gz");
            static byte[] Member(string head, long repeats, string tail)
            {
                using var ms = new MemoryStream();
                using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
                    new GeneratedStream(head, "<x>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</x>", repeats, tail).CopyTo(gz, 1 << 20);
                return ms.ToArray();
            }
            var body = Member("", 8_000_000, "");
            using (var f = File.Create(path))
            {
                f.Write(Member("<?xml version=\"1.0\"?><feedback>", 1, ""));
                for (int i = 0; i < 100; i++) f.Write(body);
                f.Write(Member("", 1, "</feedback>"));
            }
            var took = ModuleHost.RunAndStop("Import-DmarcReport ([IO.Path]::Combine($tmp, 'bomb.xml.gz')) -MaxDecompressedSize 1TB", _vars,
                TimeSpan.FromMilliseconds(300), () => OpenFiles.IsOpen(path));
            Assert.True(took < TimeSpan.FromSeconds(1), took.ToString());
        }

        [Fact]
        public void Ctrl_C_stops_loading_a_large_zone_file_within_a_second()
        {
            var sb = new StringBuilder();
            // ~25 MB (under the 32 MiB limit), mostly comments so that the record limit is not what ends it, included four
            // times (~100 MB, under the 128 MiB total): seconds to read on any machine.
            for (int i = 0; i < 400_000; i++)
            {
                sb.Append("; a comment line that the tokenizer has to read through to its end\n");
                if (i % 10 == 0) sb.Append("h").Append(i).Append(" 60 IN A 192.0.2.1\n");
            }
            var part = Write("big-part.zone", sb.ToString());
            Write("big.zone", "$ORIGIN example.com.\n" + string.Concat(Enumerable.Repeat("$INCLUDE big-part.zone\n", 4)));
            var took = ModuleHost.RunAndStop("Get-MailMx example.com -ZoneFile ([IO.Path]::Combine($tmp, 'big.zone'))", _vars,
                TimeSpan.FromMilliseconds(300), () => OpenFiles.IsOpen(part));
            Assert.True(took < TimeSpan.FromSeconds(1), took.ToString());
        }
    }
}
