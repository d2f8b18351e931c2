using System.Diagnostics;
using System.IO.Compression;
using System.Text;

// Each case: a name, a setup that writes its input into the scratch folder, and the pwsh script that reads it.
// The script runs in a fresh `pwsh -NoProfile`; after it the child prints its own VmHWM (peak resident set size).

var repo = FindRepo();
var manifest = Path.Combine(repo, "out", "MailOps", "MailOps.psd1");
var pwsh = Environment.GetEnvironmentVariable("PWSH") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh");
var scratch = Path.Combine(Path.GetTempPath(), "mailops-hostile");
Directory.CreateDirectory(scratch);
var filters = args;

var cases = new List<(string Name, Action Setup, string Script)>
{
    ("baseline: Import-Module only", () => { }, "$null = 1"),
    ("walk: -Recurse over links to . and ..", () =>
    {
        var d = Path.Combine(scratch, "loop");
        if (Directory.Exists(d)) Directory.Delete(d, true);
        Directory.CreateDirectory(Path.Combine(d, "sub"));
        File.WriteAllText(Path.Combine(d, "sub", "r.xml"), Report(3));
        Directory.CreateSymbolicLink(Path.Combine(d, "self1"), ".");
        Directory.CreateSymbolicLink(Path.Combine(d, "self2"), ".");
        Directory.CreateSymbolicLink(Path.Combine(d, "sub", "up"), "..");
    }, $"Import-DmarcReport -Recurse -Path '{scratch}/loop'"),
    ("file: a FIFO as -Path", () => MkFifo(Path.Combine(scratch, "fifo.xml")), $"Import-DmarcReport -LiteralPath '{scratch}/fifo.xml'"),
    ("tlsrpt: 60 MB JSON, one array of numbers (.json.gz)", () => Gzip("tls-numbers.json.gz",
        () => new Gen("{\"organization-name\":\"x\",\"policies\":[", "1,", 30L << 20, "1]}")), $"Import-TlsRptReport '{scratch}/tls-numbers.json.gz'"),
    ("tlsrpt: 60 MB JSON, one array of objects (.json.gz)", () => Gzip("tls-objects.json.gz",
        () => new Gen("{\"organization-name\":\"x\",\"policies\":[", "{\"a\":[1,2],\"b\":\"c\"},", 3L << 20, "1]}")), $"Import-TlsRptReport '{scratch}/tls-objects.json.gz'"),
    ("dmarc: gzip -> 10 GB of XML elements", () => Gzip("elements-10g.xml.gz",
        () => new Gen("<?xml version=\"1.0\"?><feedback>", "<x>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</x>", (10L << 30) / 60, "</feedback>")), $"Import-DmarcReport '{scratch}/elements-10g.xml.gz'"),
    ("dmarc: gzip -> 10 GB text node (reader's field limit)", () => Gzip("text-10g.xml.gz",
        () => new Gen("<?xml version=\"1.0\"?><feedback><report_metadata><org_name>", "aaaaaaaaaaaaaaaa", (10L << 30) / 16, "</org_name></report_metadata></feedback>")), $"Import-DmarcReport '{scratch}/text-10g.xml.gz'"),
    ("dmarc: gzip of a zip of 10 GB", () => GzipOfZip("zip-10g.zip.gz",
        () => new Gen("<?xml version=\"1.0\"?><feedback>", "<x>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</x>", (10L << 30) / 60, "</feedback>")), $"Import-DmarcReport '{scratch}/zip-10g.zip.gz'"),
    ("dmarc: 6 levels of nested zips", () => File.WriteAllBytes(Path.Combine(scratch, "nested.zip"), NestedZips(6, 10)), $"Import-DmarcReport '{scratch}/nested.zip'"),
    ("dmarc: .eml with a 500 MB base64 gzip attachment", () => Eml("att-gz.eml", "application/gzip", "r.xml.gz", false), $"Import-DmarcReport '{scratch}/att-gz.eml'"),
    ("dmarc: .eml with a 500 MB base64 zip attachment", () => Eml("att-zip.eml", "application/zip", "r.zip", true), $"Import-DmarcReport '{scratch}/att-zip.eml'"),
    ("dmarc: 100,000 nested multiparts", () => File.WriteAllText(Path.Combine(scratch, "deep.eml"), Multipart(100_000)), $"Import-DmarcReport '{scratch}/deep.eml'"),
    ("dmarc: mbox of 10,000 messages", () => Mbox(10_000), $"Import-DmarcReport '{scratch}/big.mbox'"),
    ("zone: self-including $INCLUDE", () => File.WriteAllText(Path.Combine(scratch, "self.zone"), "$ORIGIN example.com.\n@ 60 IN MX 10 mx\n$INCLUDE self.zone\n"),
        $"Get-MailMx example.com -ZoneFile '{scratch}/self.zone'"),
    ("zone: $INCLUDE fan-out 4 files x 10", () => FanOut(), $"Get-MailMx example.com -ZoneFile '{scratch}/f0.zone'"),
    ("zone: $INCLUDE /dev/zero", () => File.WriteAllText(Path.Combine(scratch, "zero.zone"), "$ORIGIN example.com.\n$INCLUDE /dev/zero\n"),
        $"Get-MailMx example.com -ZoneFile '{scratch}/zero.zone'"),
    ("zone: 1 GB zone file (sparse)", () => Sparse("huge.zone", 1L << 30), $"Get-MailMx example.com -ZoneFile '{scratch}/huge.zone'"),
    ("zone: 30 MB zone (under the 32 MiB limit)", () => BigZone("big.zone", 30L << 20), $"Get-MailMx example.com -ZoneFile '{scratch}/big.zone'"),
    ("zone: 10 MB line", () => File.WriteAllText(Path.Combine(scratch, "line.zone"), "a.example.com. 60 IN TXT " + new string('x', 10 << 20) + "\n"),
        $"Get-MailMx example.com -ZoneFile '{scratch}/line.zone'"),
    ("dkim: 100 MB -PrivateKeyPath (sparse)", () => { Sparse("key.pem", 100L << 20); File.WriteAllText(Path.Combine(scratch, "dkim.zone"), "$ORIGIN example.com.\ns._domainkey 60 IN TXT \"v=DKIM1; p=\"\n"); },
        $"Test-MailDkim example.com -Selector s -PrivateKeyPath '{scratch}/key.pem' -ZoneFile '{scratch}/dkim.zone'"),
    ("dkim: a FIFO as -PrivateKeyPath", () => { MkFifo(Path.Combine(scratch, "key.fifo")); File.WriteAllText(Path.Combine(scratch, "dkim.zone"), "$ORIGIN example.com.\ns._domainkey 60 IN TXT \"v=DKIM1; p=\"\n"); },
        $"Test-MailDkim example.com -Selector s -PrivateKeyPath '{scratch}/key.fifo' -ZoneFile '{scratch}/dkim.zone'"),
};

Console.WriteLine($"{"case",-56} {"wall s",7} {"peak RSS MB",11}  outcome");
foreach (var c in cases)
{
    if (filters.Length > 0 && !filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase))) continue;
    try { c.Setup(); }
    catch (Exception ex) { Console.WriteLine($"{c.Name,-56} setup failed: {ex.Message}"); continue; }
    var script = $"$ErrorActionPreference='Continue'; Import-Module '{manifest}'; $sw=[Diagnostics.Stopwatch]::StartNew(); " +
                 $"$Error.Clear(); $out = @(try {{ {c.Script} }} catch {{ }}); $sw.Stop(); " +
                 "$errs = @($Error | ? { $_ -is [Management.Automation.ErrorRecord] }); $objs = $out.Count; " +
                 "$ids = ($errs | % { $_.FullyQualifiedErrorId.Split(',')[0] } | Group-Object | % { \"$($_.Name) x$($_.Count)\" }) -join ', '; " +
                 "$hwm = (Get-Content /proc/self/status | ? { $_ -like 'VmHWM*' }) -replace '\\D',''; " +
                 "\"RESULT $([int]($hwm/1024)) $($sw.Elapsed.TotalSeconds.ToString('0.0',[cultureinfo]::InvariantCulture)) $objs object(s); $ids\"";
    var psi = new ProcessStartInfo(pwsh, new[] { "-NoProfile", "-NonInteractive", "-Command", script })
    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    var wall = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    var stdout = p.StandardOutput.ReadToEndAsync();
    var stderr = p.StandardError.ReadToEndAsync();
    if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); Console.WriteLine($"{c.Name,-56} TIMEOUT after 5 min"); continue; }
    var line = stdout.Result.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ")) ?? "RESULT ? ? " + stderr.Result.Trim().Split('\n').LastOrDefault();
    var parts = line.Split(' ', 4);
    Console.WriteLine($"{c.Name,-56} {parts[2],7} {parts[1],11}  {(parts.Length > 3 ? parts[3] : "")}   (process {wall.Elapsed.TotalSeconds:0.0} s)");
}

string Report(int rows)
{
    var sb = new StringBuilder("<?xml version=\"1.0\"?><feedback><report_metadata><org_name>o</org_name><report_id>1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>");
    for (int i = 1; i <= rows; i++)
        sb.Append($"<record><row><source_ip>192.0.2.{i}</source_ip><count>{i}</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results/></record>");
    return sb.Append("</feedback>").ToString();
}

void Gzip(string name, Func<Stream> source)
{
    var path = Path.Combine(scratch, name);
    if (File.Exists(path)) return; // generated once; bombs are small on disk
    using var f = File.Create(path + ".part");
    using (var gz = new GZipStream(f, CompressionLevel.Fastest, true)) source().CopyTo(gz, 1 << 20);
    f.Close();
    File.Move(path + ".part", path);
}

void GzipOfZip(string name, Func<Stream> source)
{
    var path = Path.Combine(scratch, name);
    if (File.Exists(path)) return;
    var zipPath = path + ".zip.part";
    using (var zf = File.Create(zipPath))
    using (var zip = new ZipArchive(zf, ZipArchiveMode.Create))
    using (var member = zip.CreateEntry("bomb.xml", CompressionLevel.Fastest).Open())
        source().CopyTo(member, 1 << 20);
    Gzip(name, () => File.OpenRead(zipPath));
    File.Delete(zipPath);
}

byte[] NestedZips(int levels, int width)
{
    var data = Encoding.UTF8.GetBytes(Report(1));
    for (int l = 0; l < levels; l++)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, true))
            for (int i = 0; i < width; i++)
                using (var s = zip.CreateEntry($"l{l}-{i}.zip", CompressionLevel.Optimal).Open()) s.Write(data);
        data = ms.ToArray();
    }
    return data;
}

void Eml(string name, string type, string fileName, bool zip)
{
    var path = Path.Combine(scratch, name);
    if (File.Exists(path)) return;
    // The attachment: ~375 MB of compressed (so incompressible) data, base64 in the message: ~500 MB on disk.
    var payloadPath = path + ".payload";
    var rnd = new Random(7);
    Func<Stream> xml = () => new RandomElements(rnd, 500L << 20);
    if (zip)
    {
        using var zf = File.Create(payloadPath);
        using var z = new ZipArchive(zf, ZipArchiveMode.Create);
        using var m = z.CreateEntry("r.xml", CompressionLevel.Fastest).Open();
        xml().CopyTo(m, 1 << 20);
    }
    else
    {
        using var f = File.Create(payloadPath);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        xml().CopyTo(gz, 1 << 20);
    }
    using (var o = new StreamWriter(path + ".part", false, new UTF8Encoding(false)) { NewLine = "\r\n" })
    {
        o.WriteLine("From: noreply-dmarc@reporter.example\r\nTo: dmarc@example.com\r\nSubject: Report\r\nMIME-Version: 1.0");
        o.WriteLine("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nreport attached\r\n--b");
        o.WriteLine($"Content-Type: {type}; name=\"{fileName}\"\r\nContent-Disposition: attachment; filename=\"{fileName}\"\r\nContent-Transfer-Encoding: base64\r\n");
        using (var input = File.OpenRead(payloadPath))
        {
            var buf = new byte[57 * 1000];
            int n;
            while ((n = input.Read(buf, 0, buf.Length)) > 0)
            {
                var b64 = Convert.ToBase64String(buf, 0, n);
                for (int i = 0; i < b64.Length; i += 76) o.WriteLine(b64.Substring(i, Math.Min(76, b64.Length - i)));
            }
        }
        o.WriteLine("--b--");
    }
    File.Delete(payloadPath);
    File.Move(path + ".part", path);
}

string Multipart(int depth)
{
    var sb = new StringBuilder("From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for (int i = 0; i < depth; i++) sb.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
    sb.Append("Content-Type: text/plain\r\n\r\nhello\r\n");
    for (int i = depth - 1; i >= 0; i--) sb.Append($"--b{i}--\r\n");
    return sb.ToString();
}

void Mbox(int n)
{
    var path = Path.Combine(scratch, "big.mbox");
    if (File.Exists(path)) return;
    var ms = new MemoryStream();
    using (var gz = new GZipStream(ms, CompressionLevel.Optimal, true)) gz.Write(Encoding.UTF8.GetBytes(Report(1)));
    var att = Convert.ToBase64String(ms.ToArray());
    using var o = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
    for (int i = 0; i < n; i++)
    {
        o.WriteLine("From noreply-dmarc@reporter.example Sun Nov 22 10:00:00 2026");
        o.WriteLine($"From: noreply-dmarc@reporter.example\nSubject: Report {i}\nMIME-Version: 1.0\nContent-Type: application/gzip; name=\"r.xml.gz\"");
        o.WriteLine("Content-Disposition: attachment; filename=\"r.xml.gz\"\nContent-Transfer-Encoding: base64\n");
        o.WriteLine(att);
        o.WriteLine();
    }
}

void FanOut()
{
    for (int i = 0; i < 3; i++)
        File.WriteAllText(Path.Combine(scratch, $"f{i}.zone"), $"$ORIGIN example.com.\nh{i} 60 IN A 192.0.2.1\n" + string.Concat(Enumerable.Repeat($"$INCLUDE f{i + 1}.zone\n", 10)));
    File.WriteAllText(Path.Combine(scratch, "f3.zone"), "h3 60 IN A 192.0.2.3\n");
}

void Sparse(string name, long size)
{
    using var f = File.Create(Path.Combine(scratch, name));
    f.SetLength(size);
}

void BigZone(string name, long size)
{
    var path = Path.Combine(scratch, name);
    if (File.Exists(path)) return;
    using var o = new StreamWriter(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
    o.WriteLine("$ORIGIN example.com.\n@ 60 IN MX 10 mx\nmx 60 IN A 192.0.2.25");
    long written = 0;
    for (int i = 0; written < size - 100; i++)
    {
        var line = $"h{i} 60 IN TXT \"v=spf1 ip4:192.0.2.{i % 250} -all\"";
        o.WriteLine(line);
        written += line.Length + 1;
    }
}

void MkFifo(string path)
{
    if (File.Exists(path)) return;
    Process.Start("mkfifo", path)!.WaitForExit();
}

static string FindRepo()
{
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d != null && !File.Exists(Path.Combine(d.FullName, "MailOps.psd1"))) d = d.Parent;
    return d?.FullName ?? throw new InvalidOperationException("run from inside the repository");
}

/// <summary>A head, a chunk repeated, a tail: produced as read.</summary>
sealed class Gen : Stream
{
    private readonly byte[] _head, _chunk, _tail;
    private readonly long _repeats;
    private long _pos;
    public Gen(string head, string chunk, long repeats, string tail)
    {
        _head = Encoding.UTF8.GetBytes(head); _chunk = Encoding.UTF8.GetBytes(chunk); _tail = Encoding.UTF8.GetBytes(tail); _repeats = repeats;
    }
    public override long Length => _head.Length + _chunk.LongLength * _repeats + _tail.Length;
    public override int Read(byte[] buffer, int offset, int count)
    {
        int written = 0;
        long middle = _chunk.LongLength * _repeats;
        while (written < count && _pos < Length)
        {
            byte[] src; long at; long left;
            if (_pos < _head.Length) { src = _head; at = _pos; left = _head.Length - _pos; }
            else if (_pos < _head.Length + middle) { src = _chunk; at = (_pos - _head.Length) % _chunk.Length; left = _chunk.Length - at; }
            else { src = _tail; at = _pos - _head.Length - middle; left = _tail.Length - at; }
            var n = (int)Math.Min(left, count - written);
            Array.Copy(src, at, buffer, offset + written, n);
            written += n; _pos += n;
        }
        return written;
    }
    public override bool CanRead => true; public override bool CanSeek => false; public override bool CanWrite => false;
    public override long Position { get => _pos; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
    public override void SetLength(long v) => throw new NotSupportedException();
    public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
}

/// <summary>An XML document of elements holding random base64 text (so it does not compress), produced as read.</summary>
sealed class RandomElements : Stream
{
    private readonly Random _rnd;
    private readonly long _size;
    private long _pos;
    private byte[] _pending = Encoding.ASCII.GetBytes("<?xml version=\"1.0\"?><feedback>");
    private int _at;
    private bool _closed;
    public RandomElements(Random rnd, long size) { _rnd = rnd; _size = size; }
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_at == _pending.Length)
        {
            if (_closed) return 0;
            if (_pos >= _size) { _pending = Encoding.ASCII.GetBytes("</feedback>"); _closed = true; }
            else { var b = new byte[45000]; _rnd.NextBytes(b); _pending = Encoding.ASCII.GetBytes("<x>" + Convert.ToBase64String(b) + "</x>"); }
            _at = 0;
        }
        var n = Math.Min(count, _pending.Length - _at);
        Array.Copy(_pending, _at, buffer, offset, n);
        _at += n; _pos += n;
        return n;
    }
    public override bool CanRead => true; public override bool CanSeek => false; public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _pos; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
    public override void SetLength(long v) => throw new NotSupportedException();
    public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
}
