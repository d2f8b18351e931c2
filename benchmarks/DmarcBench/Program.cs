using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using MailOps.Reports;

// DmarcBench: how fast Import-DmarcReport's engine reads rows, and how much memory it needs for a huge report.
//   rows   : a 200,000-row report as plain XML and as .xml.gz; rows per second (best of 3).
//   memory : a 1 GB report written to a temp file (streamed), then read; peak working set of this process.
//   write PATH ROWS : writes a ROWS-row report to PATH (for benchmarks/dmarc-pipeline.ps1).
//   raw PATH        : the reference: one raw XmlReader pass reading every value of PATH; rows per second.
//   write PATH ROWS SOURCES : as write, the rows cycling through SOURCES distinct addresses (for benchmarks/dmarc-summary.ps1).
//   summary PATH    : Get-DmarcSummary's engine alone: every row of PATH read and aggregated (DmarcSummaryBuilder), rows per
//                     second and the peak working set of this process.
var mode = args.Length > 0 ? args[0] : "all";
if (mode == "write")
{
    var n = WriteReport(args[1], long.MaxValue, int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 0);
    Console.WriteLine($"wrote {n:N0} rows, {new FileInfo(args[1]).Length / 1048576.0:N1} MB to {args[1]}");
    return;
}
if (mode == "summary")
{
    var sw = Stopwatch.StartNew();
    var builder = new DmarcSummaryBuilder();
    foreach (var item in DmarcReportReader.ReadFile(args[1]))
        if (item is DmarcReportRow r) builder.Add(r);
    var sources = builder.Sources(null).Count();
    var p = Process.GetCurrentProcess();
    p.Refresh();
    Console.WriteLine($"summary engine: {builder.Rows:N0} rows, {sources:N0} sources in {sw.Elapsed.TotalSeconds:N2} s = {builder.Rows / sw.Elapsed.TotalSeconds:N0} rows/s; peak working set {p.PeakWorkingSet64 / 1048576.0:N0} MB");
    return;
}
if (mode == "raw")
{
    RawPass(args[1]); // warm-up
    var best = Enumerable.Range(0, 3).Select(_ => RawPass(args[1])).OrderBy(r => r.Time).First();
    Console.WriteLine($"raw: {best.Rows:N0} rows in {best.Time.TotalSeconds:N2} s = {best.Rows / best.Time.TotalSeconds:N0} rows/s");
    return;
}
var tmp = Path.Combine(Path.GetTempPath(), "dmarcbench-" + Environment.ProcessId);
Directory.CreateDirectory(tmp);
try
{
    Console.WriteLine($"DmarcBench on .NET {Environment.Version}, {Environment.ProcessorCount} cores, {RuntimeInformation()}");
    if (mode is "rows" or "all") Throughput(tmp);
    if (mode is "memory" or "all") Memory(tmp, args.Length > 1 ? long.Parse(args[1]) << 20 : 1L << 30);
}
finally
{
    Directory.Delete(tmp, true);
}

static string RuntimeInformation() => System.Runtime.InteropServices.RuntimeInformation.OSDescription;

static long WriteReport(string path, long targetBytes, int maxRows = int.MaxValue, int sources = 0)
{
    using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
    using var w = new StreamWriter(f, new UTF8Encoding(false), 1 << 16);
    w.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n<version>1.0</version>\n");
    w.Write("<report_metadata><org_name>bench.example</org_name><email>dmarc@bench.example</email><report_id>bench-1</report_id><date_range><begin>1779926400</begin><end>1780012799</end></date_range><generator>DmarcBench</generator></report_metadata>\n");
    w.Write("<policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf><p>reject</p><sp>reject</sp><np>reject</np><testing>n</testing><discovery_method>treewalk</discovery_method></policy_published>\n");
    long rows = 0;
    while (f.Position < targetBytes && rows < maxRows)
    {
        rows++;
        var k = sources > 0 ? rows % sources + 1 : rows;
        var ip = $"{10 + k % 200}.{k / 65536 % 256}.{k / 256 % 256}.{k % 256}";
        w.Write($"<record><row><source_ip>{ip}</source_ip><count>{rows % 97 + 1}</count><policy_evaluated><disposition>{(rows % 5 == 0 ? "reject" : "none")}</disposition><dkim>{(rows % 3 == 0 ? "fail" : "pass")}</dkim><spf>{(rows % 4 == 0 ? "fail" : "pass")}</spf></policy_evaluated></row>");
        w.Write($"<identifiers><envelope_to>example.net</envelope_to><envelope_from>bounce.example.com</envelope_from><header_from>example.com</header_from></identifiers>");
        w.Write($"<auth_results><dkim><domain>example.com</domain><selector>s{rows % 7}</selector><result>pass</result></dkim><spf><domain>bounce.example.com</domain><scope>mfrom</scope><result>pass</result></spf></auth_results></record>\n");
        if (rows % 4096 == 0) w.Flush();
    }
    w.Write("</feedback>\n");
    return rows;
}

static (long Rows, TimeSpan Time) ReadAll(string path)
{
    var sw = Stopwatch.StartNew();
    long rows = 0, problems = 0, count = 0;
    foreach (var item in DmarcReportReader.ReadFile(path))
    {
        if (item is DmarcReportRow r) { rows++; count += r.Count; }
        else problems++;
    }
    if (problems > 0) throw new InvalidOperationException($"{problems} problem(s) reading {path}");
    return (rows, sw.Elapsed);
}

// The reference pass: XmlReader over the file, every text value read (as a string), records counted. No objects.
static (long Rows, TimeSpan Time) RawPass(string path)
{
    var sw = Stopwatch.StartNew();
    long rows = 0, chars = 0;
    using (var r = System.Xml.XmlReader.Create(path, new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Prohibit, IgnoreWhitespace = true }))
    {
        while (r.Read())
        {
            if (r.NodeType == System.Xml.XmlNodeType.Text) chars += r.Value.Length;
            else if (r.NodeType == System.Xml.XmlNodeType.EndElement && r.Depth == 1 && r.LocalName == "record") rows++;
        }
    }
    if (chars == 0) throw new InvalidOperationException("no text");
    return (rows, sw.Elapsed);
}

static void Throughput(string tmp)
{
    var xml = Path.Combine(tmp, "rows.xml");
    var rows = WriteReport(xml, long.MaxValue, 200_000);
    var gz = xml + ".gz";
    using (var i = File.OpenRead(xml))
    using (var o = new GZipStream(File.Create(gz), CompressionLevel.Optimal))
        i.CopyTo(o);
    foreach (var (label, file) in new[] { ("plain XML", xml), ("gzip", gz) })
    {
        ReadAll(file); // warm-up
        var best = Enumerable.Range(0, 3).Select(_ => ReadAll(file)).OrderBy(r => r.Time).First();
        Console.WriteLine($"rows: {label,-9} {rows:N0} rows, {new FileInfo(file).Length / 1048576.0:N1} MB: {best.Time.TotalSeconds:N2} s = {best.Rows / best.Time.TotalSeconds:N0} rows/s");
    }
}

static void Memory(string tmp, long size)
{
    var big = Path.Combine(tmp, "big.xml");
    var sw = Stopwatch.StartNew();
    var rows = WriteReport(big, size);
    Console.WriteLine($"memory: wrote {new FileInfo(big).Length / 1048576.0:N0} MB, {rows:N0} rows in {sw.Elapsed.TotalSeconds:N1} s");
    GC.Collect();
    var before = Process.GetCurrentProcess();
    before.Refresh();
    var baseline = before.WorkingSet64;
    long peakManaged = 0;
    using var stop = new CancellationTokenSource();
    var sampler = new Thread(() =>
    {
        while (!stop.IsCancellationRequested)
        {
            peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
            Thread.Sleep(20);
        }
    }) { IsBackground = true };
    sampler.Start();
    var (read, time) = ReadAll(big);
    stop.Cancel();
    sampler.Join();
    var p = Process.GetCurrentProcess();
    p.Refresh();
    Console.WriteLine($"memory: read {read:N0} rows in {time.TotalSeconds:N1} s ({read / time.TotalSeconds:N0} rows/s)");
    Console.WriteLine($"memory: working set before read {baseline / 1048576.0:N0} MB; peak working set of the process {p.PeakWorkingSet64 / 1048576.0:N0} MB; peak managed heap during read {peakManaged / 1048576.0:N0} MB");
}
