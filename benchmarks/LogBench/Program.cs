using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using MailOps.Logs;

// A Postfix log of N lines: messages of 7 lines each (smtpd, cleanup, qmgr, 2 x smtp, bounce, removed) with
// sent / deferred / bounced outcomes and real provider reply texts; then two timed passes over the same file.
long target = args.Length > 0 ? long.Parse(args[0]) : 2_000_000;
var path = Path.Combine(Path.GetTempPath(), $"mailops-logbench-{target}.log");
if (!File.Exists(path))
{
    using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
    long lines = 0;
    var t = new DateTime(2026, 11, 1);
    for (long i = 0; lines < target; i++)
    {
        t = t.AddMilliseconds(250);
        var ts = t.ToString("MMM d HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture).PadLeft(15);
        ts = t.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture) + " " + t.Day.ToString().PadLeft(2) + " " + t.ToString("HH:mm:ss");
        var id = i.ToString("X10");
        w.Write($"{ts} mx1 postfix/smtpd[2101]: {id}: client=app.example.com[192.0.2.50]\n");
        w.Write($"{ts} mx1 postfix/cleanup[2102]: {id}: message-id=<m{i}@example.com>\n");
        w.Write($"{ts} mx1 postfix/qmgr[900]: {id}: from=<shop@example.com>, size=1843, nrcpt=2 (queue active)\n");
        w.Write($"{ts} mx1 postfix/smtp[2103]: {id}: to=<u{i}@gmail.com>, relay=gmail-smtp-in.l.google.com[192.0.2.27]:25, delay=1.2, delays=0.05/0.01/0.6/0.54, dsn=2.0.0, status=sent (250 2.0.0 OK  1767225482 a1-20020a05 - gsmtp)\n");
        switch (i % 3)
        {
            case 0: w.Write($"{ts} mx1 postfix/smtp[2104]: {id}: to=<v{i}@outlook.com>, relay=outlook-com.olc.protection.outlook.com[192.0.2.31]:25, delay=1.4, delays=0.05/0.01/0.7/0.64, dsn=5.7.1, status=bounced (host outlook-com.olc.protection.outlook.com[192.0.2.31] said: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). (in reply to MAIL FROM command))\n"); break;
            case 1: w.Write($"{ts} mx1 postfix/smtp[2104]: {id}: to=<v{i}@yahoo.com>, relay=mta5.am0.yahoodns.net[192.0.2.40]:25, delay=1, delays=0.02/0/0.5/0.48, dsn=4.7.0, status=deferred (host mta5.am0.yahoodns.net[192.0.2.40] said: 421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints (in reply to MAIL FROM command))\n"); break;
            default: w.Write($"{ts} mx1 postfix/smtp[2104]: {id}: to=<v{i}@example.org>, relay=mx.example.org[192.0.2.10]:25, delay=0.9, delays=0.02/0/0.4/0.48, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77AA88BB99)\n"); break;
        }
        w.Write($"{ts} mx1 postfix/bounce[2105]: {id}: sender non-delivery notification: 4B5C6D7E8F\n");
        w.Write($"{ts} mx1 postfix/qmgr[900]: {id}: removed\n");
        lines += 7;
    }
}
var size = new FileInfo(path).Length;
Console.WriteLine($"log: {path}, {size / 1048576.0:F0} MiB");

// Each pass runs twice and the second is reported: the file is then in the page cache for both, and the reader's
// regular expressions are compiled (a long read is dominated by the warm rate).
double LineCount()
{
    var w = Stopwatch.StartNew();
    long n = 0;
    using (var r = new StreamReader(path, new UTF8Encoding(false), false, 1 << 16))
        while (r.ReadLine() != null) n++;
    Console.WriteLine($"  line count: {n:N0} lines in {w.Elapsed.TotalSeconds:F2} s = {n / w.Elapsed.TotalSeconds:N0} lines/s");
    return w.Elapsed.TotalSeconds;
}

long peak = 0;
double Parse(bool withStats)
{
    var w = Stopwatch.StartNew();
    var reader = new PostfixLogReader(new MailLogReadOptions { YearReference = new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero) });
    var stats = new DeliveryStatistics(new DeliveryStatOptions { By = DeliveryStatGrouping.Provider });
    long records = 0;
    foreach (var rec in reader.ReadFile(path))
    {
        records++;
        if (withStats) stats.Add(DeliveryObservation.From(rec));
        if ((records & 0xFFFF) == 0) peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
    }
    var extra = withStats ? $" + Get-MailDeliveryStat counting ({stats.Rows().Count} providers, {stats.Findings().Count} findings)" : "";
    Console.WriteLine($"  Get-MailDeliveryLog engine{extra}: {reader.Lines:N0} lines, {records:N0} records in {w.Elapsed.TotalSeconds:F2} s = {reader.Lines / w.Elapsed.TotalSeconds:N0} lines/s");
    return w.Elapsed.TotalSeconds;
}

LineCount();
var baseline = LineCount();
Parse(false);
var parse = Parse(false);
var withStatsTime = Parse(true);
peak = Math.Max(peak, Process.GetCurrentProcess().PeakWorkingSet64);
Console.WriteLine($"ratio (parse time / line-count time): {parse / baseline:F1}x; with the statistics {withStatsTime / baseline:F1}x; peak working set {peak / 1048576.0:F0} MiB");
