using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;

// SpfBench: RFC 7208 evaluations per second over 20 domains with nested includes (bench.zone), for a mix of client
// IPs (deep include matches, mx matches, and misses that walk the whole tree), through
//   wire     - the loopback fixture DNS server (real UDP; ARSoft.Tools.Net answering), and
//   zonefile - MailOps' ZoneFileResolver (what -ZoneFile uses),
// each "cold" (a new cache per evaluation: every DNS question is asked) and "warm" (one cache for the run, as one
// Test-MailSpf invocation over many IPs has).
//   dotnet run -c Release --project benchmarks/SpfBench [-- seconds-per-mode] [--server IP:PORT] [--wire-only]
// --server asks that server (e.g. NSD serving bench.zone, see benchmarks/run-dns-bench.sh) instead of the in-process one.
var seconds = args.Where(a => double.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
    .Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(3.0).First();
var serverIndex = Array.IndexOf(args, "--server");
var serverArg = serverIndex >= 0 && serverIndex + 1 < args.Length ? args[serverIndex + 1] : null;
var wireOnly = args.Contains("--wire-only");
var zone = Path.Combine(AppContext.BaseDirectory, "bench.zone");
var domains = Enumerable.Range(1, 20).Select(i => $"d{i:00}.bench.example").ToArray();
var ips = new[]
{
    "198.51.105.9",     // bigmail, first netblock include
    "198.51.103.77",    // bigmail, third netblock include (deep)
    "2001:db8:300::1",  // bigmail IPv6 netblock
    "203.0.113.140",    // cloudmail, second include
    "192.0.2.45",       // an mx of some domains
    "192.0.2.170",      // flatsend
    "203.0.113.250",    // nowhere: walks the whole tree, ends in -all
    "::ffff:192.0.2.201", // IPv4-mapped; relay's a: for some domains
}.Select(IPAddress.Parse).ToArray();

using var server = serverArg == null ? FixtureDnsServer.Start() : null;
server?.LoadMasterFileFromPath(zone);
var endpoint = serverArg != null ? ServerSpec.Parse(serverArg).Resolve().First() : server!.EndPoint;
var parsedZone = MasterFileParser.ParseFile(zone);
var dead = new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(200), 0);

IDnsResolver Wire() => new WireDnsResolver(new[] { endpoint }, TimeSpan.FromSeconds(2), 1);
IDnsResolver ZoneFile() => new ZoneFileResolver(new[] { parsedZone }, dead);

var wire = new CountingResolver(Wire());
var zoneFile = new CountingResolver(ZoneFile());
var modes = new (string Name, CountingResolver Counter, Func<IDnsResolver> Resolver)[]
{
    ("wire, cold cache", wire, () => new CachingDnsResolver(wire)),
    ("wire, warm cache", wire, SharedCache(wire)),
    ("zonefile, cold cache", zoneFile, () => new CachingDnsResolver(zoneFile)),
    ("zonefile, warm cache", zoneFile, SharedCache(zoneFile)),
}.Where(m => !wireOnly || m.Name.StartsWith("wire", StringComparison.Ordinal)).ToArray();

Console.WriteLine($"SpfBench: {domains.Length} domains x {ips.Length} client IPs against {endpoint.ToString()}{(server == null ? "" : " (in-process fixture server)")}, {seconds:0.#} s per mode, {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}");
// Sanity and warm-up: every evaluation must give an RFC result other than an error.
var results = new Dictionary<string, int>();
foreach (var d in domains)
    foreach (var ip in ips)
    {
        var r = (await SpfEvaluator.EvaluateAsync(new CachingDnsResolver(zoneFile), ip, d, "bench@" + d, "mail." + d, null, CancellationToken.None)).Result;
        if (r.Result.EndsWith("error", StringComparison.Ordinal)) throw new InvalidOperationException($"{d} {ip}: {r.Result} {r.Explanation}");
        results[r.Result] = results.TryGetValue(r.Result, out var n) ? n + 1 : 1;
    }
Console.WriteLine("Results over the set: " + string.Join(", ", results.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));

// Warm-up: one second of every mode first, so tiered JIT has optimised the hot paths before any mode is measured
// (otherwise the first modes run on unoptimised code and look slower than they are).
foreach (var (_, _, make) in modes)
{
    var warm = Stopwatch.StartNew();
    for (int i = 0; warm.Elapsed.TotalSeconds < 1; i++) await Evaluate(make(), i);
}

foreach (var (name, counter, make) in modes)
{
    int evaluations = 0;
    long lookups = 0;
    int asked = counter.Count;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        var r = await Evaluate(make(), evaluations);
        lookups += r.LookupsUsed;
        evaluations++;
    }
    sw.Stop();
    asked = counter.Count - asked;
    Console.WriteLine($"{name,-22} {evaluations / sw.Elapsed.TotalSeconds,8:0} evaluations/s {sw.Elapsed.TotalMilliseconds * 1000 / evaluations,8:0.0} us each " +
                      $"{(double)lookups / evaluations,5:0.0} SPF lookups, {(double)asked / evaluations,5:0.0} DNS questions asked per evaluation");
}

async Task<SpfEvaluationResult> Evaluate(IDnsResolver dns, int i)
{
    var d = domains[i % domains.Length];
    var ip = ips[(i / domains.Length) % ips.Length];
    return (await SpfEvaluator.EvaluateAsync(dns, ip, d, "bench@" + d, "mail." + d, null, CancellationToken.None)).Result;
}

static Func<IDnsResolver> SharedCache(IDnsResolver inner)
{
    var cache = new CachingDnsResolver(inner);
    return () => cache;
}

/// <summary>Counts the questions that reach the resolver below it (after the cache: the ones actually asked).</summary>
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
