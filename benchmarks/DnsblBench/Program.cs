using System.Collections.Generic;
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Testing;

// 256 IPs x 20 zones through the real resolver stack (wire + per-run cache, as Get-DnsblListing builds it) against a
// loopback DNS server (the test suite's FixtureDnsServer). Every zone passes its RFC 5782 test; every 16th IP is listed
// (so its TXT reason is fetched too). Prints wall time and DNS queries per second for several -ThrottleLimit values.
//   --server IP:PORT : ask that server (e.g. NSD serving the zones --emit wrote) instead of the in-process fixture server.
//   --emit DIR       : write the zones (DIR/<zone>.zone) and the questions a sweep asks, in dnsperf's input format
//                      (DIR/queries.txt), then exit. benchmarks/run-dns-bench.sh uses both.
//   --rounds N       : repeat each sweep N times (a fresh cache each time) so that it lasts long enough to time.
int ips = Arg("--ips", 256), zones = Arg("--zones", 20), latency = Arg("--latency", 0), rounds = Arg("--rounds", 1);
var throttles = args.Contains("--throttle") ? new[] { Arg("--throttle", 32) } : latency > 0 ? new[] { 8, 32, 64, 128 } : new[] { 1, 8, 32, 64 };
var serverArg = StringArg("--server");
var emit = StringArg("--emit");

using var server = serverArg == null && emit == null ? FixtureDnsServer.Start() : null;
var endpoint = serverArg != null ? ServerSpec.Parse(serverArg).Resolve().First() : server?.EndPoint;
var zoneNames = Enumerable.Range(1, zones).Select(i => $"bench{i:00}.dnsbl.example").ToList();
var targets = Enumerable.Range(0, ips).Select(i => IPAddress.Parse($"198.18.{i / 256}.{i % 256}")).ToList();
if (emit != null)
{
    System.IO.Directory.CreateDirectory(emit);
    var q = new StringBuilder();
    foreach (var z in zoneNames)
    {
        q.AppendLine($"2.0.0.127.{z} A");
        foreach (var (ip, i) in targets.Select((ip, i) => (ip, i)))
        {
            var rev = string.Join(".", ip.GetAddressBytes().Reverse());
            q.AppendLine($"{rev}.{z} A");
            if (i % 16 == 0) q.AppendLine($"{rev}.{z} TXT");
        }
    }
    System.IO.File.WriteAllText(System.IO.Path.Combine(emit, "queries.txt"), q.ToString());
}
foreach (var z in zoneNames)
{
    var sb = new StringBuilder();
    sb.AppendLine($"{z}. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300");
    if (emit != null) sb.AppendLine($"{z}. 3600 IN NS ns1.example.com.");
    sb.AppendLine($"2.0.0.127.{z}. 300 IN A 127.0.0.2");
    for (int i = 0; i < targets.Count; i += 16)
    {
        var rev = string.Join(".", targets[i].GetAddressBytes().Reverse());
        sb.AppendLine($"{rev}.{z}. 300 IN A 127.0.0.2");
        sb.AppendLine($"{rev}.{z}. 300 IN TXT \"listed for the benchmark\"");
    }
    if (emit != null) System.IO.File.WriteAllText(System.IO.Path.Combine(emit, z + ".zone"), sb.ToString());
    else server?.LoadMasterFile(sb.ToString());
}
if (emit != null)
{
    Console.WriteLine($"DnsblBench: wrote {zones} zones and queries.txt to {emit}");
    return;
}

Console.WriteLine($"DnsblBench: {ips} IPs x {zones} zones = {ips * zones} checks{(rounds > 1 ? $", {rounds} rounds" : "")} against {endpoint!.ToString()}{(server == null ? "" : " (in-process fixture server)")}{(latency > 0 ? $" with {latency} ms added per query" : "")} ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
// --raw: the same questions through the resolver alone (no cache, no blocklist logic), the first pass as warm-up: how
// much of the sweep's cost is the wire path itself.
if (args.Contains("--raw")) { await Raw(warmup: true); await Raw(warmup: false); return; }
// Warm-up, not measured (--warmup N rounds at the first measured throttle; default 1, 0 for none): the JIT compiles and
// re-compiles the hot path in the process's first seconds (a pwsh session pays this once, for its first sweep);
// dnsperf, the reference, has no such start. run-dns-bench.sh reports both: after 20 rounds, and with none.
await RunOnce(throttles[0], warmup: true);
foreach (var t in throttles) await RunOnce(t, warmup: false);

async Task RunOnce(int throttle, bool warmup)
{
    var counter = new CountingResolver(new WireDnsResolver(new[] { endpoint! }, TimeSpan.FromSeconds(5), 1));
    IDnsResolver wire = counter;
    if (latency > 0) wire = new SlowResolver(wire, latency);
    int listed = 0, notListed = 0, errors = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var alloc0 = GC.GetTotalAllocatedBytes(true); var gc0 = GC.CollectionCount(0); var gc1 = GC.CollectionCount(1); var gc2 = GC.CollectionCount(2);
    var pause0 = GC.GetTotalPauseDuration();
    var sw = Stopwatch.StartNew();
    for (int round = 0; round < (warmup ? Arg("--warmup", 1) : rounds); round++)
    {
        var dns = new CachingDnsResolver(wire);
        var check = new DnsblCheck(dns, new DnsblOptions { Zones = zoneNames, ThrottleLimit = throttle });
        // As Get-DnsblListing drives it (FanOutCmdlet.StartItem): at most ThrottleLimit targets at once on WorkLanes, each
        // target's zones in parallel under the same ThrottleLimit of questions.
        var targetLanes = new MailOps.WorkLanes(throttle);
        await Task.WhenAll(targets.Select(async ip =>
        {
            var results = await targetLanes.Run(() => check.CheckAsync(DnsblTarget.ForAddress(ip), CancellationToken.None), CancellationToken.None);
            foreach (var r in results)
            {
                if (r.Status == DnsblStatus.Listed) Interlocked.Increment(ref listed);
                else if (r.Status == DnsblStatus.NotListed) Interlocked.Increment(ref notListed);
                else Interlocked.Increment(ref errors);
            }
        }));
    }
    sw.Stop();
    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var queries = counter.Count;
    if (warmup) return;
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "ThrottleLimit {0,3}: {1,7:0.000} s wall, {2,6} DNS queries, {3,8:0} queries/s, {4,8:0} checks/s, {8,6:0.0} us CPU per query; listed {5}, not listed {6}, errors {7}",
        throttle, sw.Elapsed.TotalSeconds, queries, queries / sw.Elapsed.TotalSeconds, ips * zones * rounds / sw.Elapsed.TotalSeconds, listed, notListed, errors,
        cpuUsed.TotalMilliseconds * 1000 / Math.Max(1, queries)));
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "                   {0} bytes allocated per query; garbage collections gen0/gen1/gen2 {1}/{2}/{3}, paused {4:0} ms ({5:0.0}% of the wall time)",
        (GC.GetTotalAllocatedBytes(true) - alloc0) / Math.Max(1, queries), GC.CollectionCount(0) - gc0, GC.CollectionCount(1) - gc1, GC.CollectionCount(2) - gc2,
        (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds, (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds * 100 / sw.Elapsed.TotalMilliseconds));
    if (errors > 0) Environment.ExitCode = 1;
}

async Task Raw(bool warmup)
{
    var wire = new WireDnsResolver(new[] { endpoint! }, TimeSpan.FromSeconds(5), 1);
    var names = zoneNames.SelectMany(z => targets.Select(ip => string.Join(".", ip.GetAddressBytes().Reverse()) + "." + z)).ToArray();
    int next = -1, total = names.Length * rounds, errors = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var alloc0 = GC.GetTotalAllocatedBytes(true);
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, Arg("--throttle", 64)).Select(async _ =>
    {
        await Task.Yield();
        int i;
        while ((i = Interlocked.Increment(ref next)) < total)
            if ((await wire.QueryAsync(names[i % names.Length], DnsRecordType.A, CancellationToken.None).ConfigureAwait(false)).IsError)
                Interlocked.Increment(ref errors);
    }));
    sw.Stop();
    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    if (warmup) return;
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "resolver alone {0,3} in flight: {1,7:0.000} s wall, {2,6} DNS queries, {3,8:0} queries/s, {4,6:0.0} us CPU per query, {5} bytes allocated per query; errors {6}",
        Arg("--throttle", 64), sw.Elapsed.TotalSeconds, total, total / sw.Elapsed.TotalSeconds, cpuUsed.TotalMilliseconds * 1000 / total,
        (GC.GetTotalAllocatedBytes(true) - alloc0) / total, errors));
    if (errors > 0) Environment.ExitCode = 1;
}

string? StringArg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>Counts the questions that reach the wire (below the cache).</summary>
sealed class CountingResolver : IDnsResolver
{
    private readonly IDnsResolver _inner;
    private int _count;
    public CountingResolver(IDnsResolver inner) { _inner = inner; }
    public int Count => _count;
    public Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken ct)
    {
        Interlocked.Increment(ref _count);
        return _inner.QueryAsync(name, type, ct);
    }
}

/// <summary>Adds a fixed delay to every query: a stand-in for the round trip to a real blocklist server.</summary>
sealed class SlowResolver : IDnsResolver
{
    private readonly IDnsResolver _inner;
    private readonly int _ms;

    public SlowResolver(IDnsResolver inner, int ms)
    {
        _inner = inner;
        _ms = ms;
    }

    public async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        await Task.Delay(_ms, cancellationToken);
        return await _inner.QueryAsync(name, type, cancellationToken);
    }
}

