using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using MailOps.Bounces;
using MailOps.Reports;
using MimeKit;

// The bounce corpus as one mbox, repeated; then a MimeKit-only pass (every message parsed, nothing read from it) and
// the Import-MailBounce engine pass (parse, DSN fields or text, per-recipient classification) over the same file.
string corpus = args.Length > 0 ? args[0] : FindCorpus();
int repeats = args.Length > 1 ? int.Parse(args[1]) : 20;
var files = Directory.EnumerateFiles(Path.Combine(corpus, "emails"), "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList();
var mbox = Path.Combine(Path.GetTempPath(), $"mailops-bouncebench-{files.Count}x{repeats}.mbox");
if (!File.Exists(mbox))
{
    using var w = new StreamWriter(mbox, false, new UTF8Encoding(false), 1 << 20);
    var texts = files.Select(f => File.ReadAllText(f, Encoding.Latin1).Replace("\r\n", "\n").Replace("\nFrom ", "\n>From ")).ToList();
    for (int r = 0; r < repeats; r++)
        foreach (var t in texts)
        {
            w.Write("From MAILER-DAEMON Mon Nov  2 10:15:02 2026\n");
            w.Write(t.StartsWith("From ", StringComparison.Ordinal) ? ">" + t : t);
            if (!t.EndsWith("\n", StringComparison.Ordinal)) w.Write('\n');
            w.Write('\n');
        }
}
Console.WriteLine($"mbox: {mbox}, {new FileInfo(mbox).Length / 1048576.0:F1} MiB, {files.Count} messages x {repeats}");

var sw = Stopwatch.StartNew();
long messages = 0;
using (var s = File.OpenRead(mbox))
{
    var parser = new MimeParser(s, MimeFormat.Mbox);
    while (!parser.IsEndOfStream) { parser.ParseMessage(); messages++; }
}
var baseline = sw.Elapsed.TotalSeconds;
Console.WriteLine($"MimeKit parse only: {messages:N0} messages in {baseline:F2} s = {messages / baseline:N0} messages/s");

sw.Restart();
long rows = 0, problems = 0, peak = 0;
foreach (var o in BounceReader.ReadFile(mbox, new ReportImportOptions(), CancellationToken.None))
{
    if (o is BounceRecord) rows++; else problems++;
    if (((rows + problems) & 0x3FF) == 0) peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
}
var read = sw.Elapsed.TotalSeconds;
peak = Math.Max(peak, Process.GetCurrentProcess().PeakWorkingSet64);
Console.WriteLine($"Import-MailBounce engine: {rows:N0} rows, {problems:N0} messages not bounces/unreadable, in {read:F2} s = {messages / read:N0} messages/s, {rows / read:N0} rows/s");
Console.WriteLine($"ratio (bounce read time / MimeKit parse time): {read / baseline:F1}x; peak working set {peak / 1048576.0:F0} MiB");

static string FindCorpus()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
    {
        var c = Path.Combine(d.FullName, "shared", "corpora", "bounces");
        if (Directory.Exists(c)) return c;
        c = Path.Combine(d.FullName, "..", "shared", "corpora", "bounces");
        if (Directory.Exists(c)) return Path.GetFullPath(c);
    }
    throw new DirectoryNotFoundException("the bounce corpus (shared/corpora/bounces) was not found: pass its folder as the first argument");
}
