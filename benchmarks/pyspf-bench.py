#!/usr/bin/python3
"""pyspf (python3-spf) on the SpfBench set, for the ratio in run-dns-bench.sh: the same 20 domains x 8 client IPs,
each evaluation "cold" (a new spf.query, so a new cache: every DNS question asked), against one server.
Usage: pyspf-bench.py SERVER_IP PORT [SECONDS]"""
import sys, time
import dns.resolver
import spf

server, port = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
r = dns.resolver.Resolver(configure=False)
r.nameservers = [server]
r.port = port
r.cache = None
dns.resolver.default_resolver = r

domains = ["d%02d.bench.example" % i for i in range(1, 21)]
ips = ["198.51.105.9", "198.51.103.77", "2001:db8:300::1", "203.0.113.140", "192.0.2.45", "192.0.2.170",
       "203.0.113.250", "::ffff:192.0.2.201"]

def evaluate(i):
    d = domains[i % len(domains)]
    ip = ips[(i // len(domains)) % len(ips)]
    return spf.query(i=ip, s="bench@" + d, h="mail." + d).check()[0]

results = {}
for i in range(len(domains) * len(ips)):
    res = evaluate(i)
    if res.endswith("error"):
        sys.exit("pyspf: %s for evaluation %d" % (res, i))
    results[res] = results.get(res, 0) + 1
print("pyspf %s results over the set: %s" % (spf.__version__, ", ".join("%s %d" % kv for kv in sorted(results.items()))))
n, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    evaluate(n)
    n += 1
elapsed = time.perf_counter() - start
print("pyspf, cold cache %8.0f evaluations/s %8.1f us each" % (n / elapsed, elapsed * 1e6 / n))
