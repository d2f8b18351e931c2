using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using MailOps.Tests.Reports;

namespace MailOps.Tests.Common
{
    /// <summary>The one way user files are opened, and the bounded directory walk (issues 16 and 17).</summary>
    public sealed class InputFileTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        internal static string MakeFifo(string path)
        {
            using var p = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!;
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            return path;
        }

        private static bool Unix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        [Fact]
        public void A_fifo_and_dev_zero_are_refused_before_they_are_opened()
        {
            if (!Unix) return; // no FIFOs or /dev/zero on Windows
            var fifo = MakeFifo(Path.Combine(_tmp.Root, "pipe"));
            Assert.Equal(InputFileType.Fifo, InputFile.GetType(fifo));
            Assert.Equal(InputFileType.CharacterDevice, InputFile.GetType("/dev/zero"));
            var sw = Stopwatch.StartNew();
            var ex = Assert.Throws<InputFileException>(() => InputFile.OpenRead(fifo, 1000, "zone file"));
            Assert.Equal(InputFileProblem.NotRegular, ex.Problem);
            Assert.Contains("named pipe", ex.Message);
            ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes("/dev/zero", 1000, "certificate file"));
            Assert.Equal(InputFileProblem.NotRegular, ex.Problem);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2));
        }

        [Fact]
        public void A_link_to_a_fifo_is_a_fifo_and_a_link_to_a_file_is_the_same_file()
        {
            if (!Unix) return;
            var fifo = MakeFifo(Path.Combine(_tmp.Root, "pipe"));
            var link = Path.Combine(_tmp.Root, "innocent.xml");
            File.CreateSymbolicLink(link, fifo);
            Assert.Equal(InputFileType.Fifo, InputFile.GetType(link));
            var file = _tmp.File("a.txt", "x");
            var fileLink = Path.Combine(_tmp.Root, "b.txt");
            File.CreateSymbolicLink(fileLink, file);
            Assert.Equal(InputFile.Identity(file), InputFile.Identity(fileLink));
            Assert.NotEqual(InputFile.Identity(file), InputFile.Identity(fifo));
        }

        [Fact]
        public void A_file_over_its_cap_is_refused_and_a_small_one_is_read()
        {
            var big = _tmp.File("key.pem", new byte[InputFile.MaxPrivateKeyBytes + 1]);
            var ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllText(big, InputFile.MaxPrivateKeyBytes, "DKIM private key file"));
            Assert.Equal(InputFileProblem.TooLarge, ex.Problem);
            Assert.Contains("65,536", ex.Message);
            Assert.IsAssignableFrom<IOException>(ex);
            Assert.Equal("hello", InputFile.ReadAllText(_tmp.File("small.txt", "hello"), 100, "file"));
            Assert.Throws<FileNotFoundException>(() => InputFile.OpenRead(Path.Combine(_tmp.Root, "none"), 10, "file"));
        }

        [Fact]
        public void Dkim_private_key_file_is_capped_and_must_be_regular()
        {
            var big = _tmp.File("huge.pem", "-----BEGIN PRIVATE KEY-----\n" + new string('A', 200_000) + "\n-----END PRIVATE KEY-----\n");
            var ex = Assert.ThrowsAny<IOException>(() => MailOps.Dkim.DkimRecordCheck.ReadPrivateKeyFile(big));
            Assert.Contains("limit", ex.Message);
            if (!Unix) return;
            var fifo = MakeFifo(Path.Combine(_tmp.Root, "key.fifo"));
            Assert.Contains("named pipe", Assert.ThrowsAny<IOException>(() => MailOps.Dkim.DkimRecordCheck.ReadPrivateKeyFile(fifo)).Message);
        }

        [Fact]
        public void Certificate_file_from_dev_zero_is_refused_not_read()
        {
            if (!Unix) return;
            Assert.ThrowsAny<IOException>(() => MailOps.Transport.CertificateFile.Load("/dev/zero"));
        }

        private static string[] Files(InputFileWalker w, string root, out FileWalkItem[] all)
        {
            all = w.Walk(root, CancellationToken.None).ToArray();
            return all.Where(i => i.Kind == FileWalkItemKind.File).Select(i => Path.GetFileName(i.Path)).ToArray();
        }

        [Fact]
        public void Walk_does_not_follow_directory_links_into_loops_and_reads_each_file_once()
        {
            if (!Unix) return;
            _tmp.File("d/a.xml", "a");
            _tmp.File("d/sub/b.xml", "b");
            var d = Path.Combine(_tmp.Root, "d");
            Directory.CreateSymbolicLink(Path.Combine(d, "self1"), ".");
            Directory.CreateSymbolicLink(Path.Combine(d, "self2"), ".");
            Directory.CreateSymbolicLink(Path.Combine(d, "sub", "up"), "..");
            File.CreateSymbolicLink(Path.Combine(d, "c.xml"), Path.Combine(d, "a.xml"));
            var sw = Stopwatch.StartNew();
            var w = new InputFileWalker(new FileWalkOptions { Recurse = true });
            var files = Files(w, d, out var all);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
            Assert.Equal(new[] { "a.xml", "b.xml" }, files.OrderBy(f => f, StringComparer.Ordinal));
            Assert.Equal(3, all.Count(i => i.Kind == FileWalkItemKind.Note && (i.Message ?? "").Contains("link to a directory")));
            Assert.Contains(all, i => i.Kind == FileWalkItemKind.Note && (i.Message ?? "").Contains("already read"));
            // The same walker given the folder again (or a folder inside it) reads nothing twice.
            Assert.Empty(Files(w, d, out _));
            Assert.Empty(Files(w, Path.Combine(d, "sub"), out _));
        }

        [Fact]
        public void Walk_reports_fifos_and_goes_on()
        {
            if (!Unix) return;
            _tmp.File("d/a.xml", "a");
            MakeFifo(Path.Combine(_tmp.Root, "d", "b.fifo"));
            _tmp.File("d/c.xml", "c");
            var files = Files(new InputFileWalker(new FileWalkOptions()), Path.Combine(_tmp.Root, "d"), out var all);
            Assert.Equal(new[] { "a.xml", "c.xml" }, files);
            Assert.Single(all, i => i.Kind == FileWalkItemKind.NotRegular && i.Path.EndsWith("b.fifo"));
        }

        [Fact]
        public void Walk_is_bounded_in_depth_and_count()
        {
            var deep = Path.Combine(_tmp.Root, "deep");
            var p = deep;
            for (int i = 0; i < 6; i++) { p = Path.Combine(p, "l" + i); Directory.CreateDirectory(p); File.WriteAllText(Path.Combine(p, "f.xml"), "x"); }
            var files = Files(new InputFileWalker(new FileWalkOptions { Recurse = true, MaxDepth = 3 }), deep, out var all);
            Assert.Equal(3, files.Length);
            Assert.Single(all, i => i.Kind == FileWalkItemKind.LimitReached && (i.Message ?? "").Contains("more than 3 levels"));

            for (int i = 0; i < 20; i++) _tmp.File($"many/f{i:00}.xml", "x");
            files = Files(new InputFileWalker(new FileWalkOptions { MaxFiles = 25 }), Path.Combine(_tmp.Root, "many"), out all);
            Assert.Equal(20, files.Length);
            files = Files(new InputFileWalker(new FileWalkOptions { MaxFiles = 5 }), Path.Combine(_tmp.Root, "many"), out all);
            Assert.Empty(files);
            Assert.Single(all, i => i.Kind == FileWalkItemKind.LimitReached);
        }

        [Fact]
        public void Walk_is_lazy_and_stops_on_cancellation()
        {
            for (int i = 0; i < 50; i++) _tmp.File($"w/d{i:00}/f.xml", "x");
            using var cts = new CancellationTokenSource();
            var w = new InputFileWalker(new FileWalkOptions { Recurse = true });
            int seen = 0;
            Assert.Throws<OperationCanceledException>(() =>
            {
                foreach (var item in w.Walk(Path.Combine(_tmp.Root, "w"), cts.Token))
                {
                    if (item.Kind == FileWalkItemKind.File && ++seen == 3) cts.Cancel();
                }
            });
            Assert.Equal(3, seen);
        }
    }
}
