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
int ips = Arg("--ips", 256), zones = Arg("--zones", 20), latency = Arg("--latency", 0);
var throttles = args.Contains("--throttle") ? new[] { Arg("--throttle", 32) } : latency > 0 ? new[] { 8, 32, 64, 128 } : new[] { 1, 8, 32, 64 };

using var server = FixtureDnsServer.Start();
var zoneNames = Enumerable.Range(1, zones).Select(i => $"bench{i:00}.dnsbl.example").ToList();
var targets = Enumerable.Range(0, ips).Select(i => IPAddress.Parse($"198.18.{i / 256}.{i % 256}")).ToList();
foreach (var z in zoneNames)
{
    var sb = new StringBuilder();
    sb.AppendLine($"{z}. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300");
    sb.AppendLine($"2.0.0.127.{z}. 300 IN A 127.0.0.2");
    for (int i = 0; i < targets.Count; i += 16)
    {
        var rev = string.Join(".", targets[i].GetAddressBytes().Reverse());
        sb.AppendLine($"{rev}.{z}. 300 IN A 127.0.0.2");
        sb.AppendLine($"{rev}.{z}. 300 IN TXT \"listed for the benchmark\"");
    }
    server.LoadMasterFile(sb.ToString());
}

Console.WriteLine($"DnsblBench: {ips} IPs x {zones} zones = {ips * zones} checks against {server.ServerSpec}{(latency > 0 ? $" with {latency} ms added per query" : "")} ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
await RunOnce(8, warmup: true);
foreach (var t in throttles) await RunOnce(t, warmup: false);

async Task RunOnce(int throttle, bool warmup)
{
    var before = server.TotalQueries;
    IDnsResolver wire = new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(5), 1);
    if (latency > 0) wire = new SlowResolver(wire, latency);
    var dns = new CachingDnsResolver(wire);
    var check = new DnsblCheck(dns, new DnsblOptions { Zones = zoneNames, ThrottleLimit = throttle });
    int listed = 0, notListed = 0, errors = 0;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(targets.Select(ip => check.CheckAsync(DnsblTarget.ForAddress(ip), r =>
    {
        if (r.Status == DnsblStatus.Listed) Interlocked.Increment(ref listed);
        else if (r.Status == DnsblStatus.NotListed) Interlocked.Increment(ref notListed);
        else Interlocked.Increment(ref errors);
    }, CancellationToken.None)));
    sw.Stop();
    var queries = server.TotalQueries - before;
    if (warmup) return;
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "ThrottleLimit {0,3}: {1,7:0.000} s wall, {2,6} DNS queries, {3,8:0} queries/s, {4,8:0} checks/s; listed {5}, not listed {6}, errors {7}",
        throttle, sw.Elapsed.TotalSeconds, queries, queries / sw.Elapsed.TotalSeconds, ips * zones / sw.Elapsed.TotalSeconds, listed, notListed, errors));
    if (errors > 0) Environment.ExitCode = 1;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
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
