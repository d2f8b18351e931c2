#!/bin/sh
# DNS benchmarks side by side against one real authoritative server on loopback (Debian's NSD, response-rate limiting
# off: by default NSD allows 200 answers/s per /24, which silently truncates a loopback benchmark):
#   DNSBL sweep - dnsperf -q 64 on the questions a sweep asks, then DnsblBench --server (ThrottleLimit 64)
#   SPF         - pyspf (python3-spf) cold, then SpfBench --server (wire, cold and warm cache)
# and prints the ratios README quotes. The zones are generated here (DnsblBench --emit) or taken from
# benchmarks/SpfBench/bench.zone. NSD is started in the foreground on 127.0.0.1:$PORT and stopped at the end.
# Needs: nsd, dnsperf, python3-spf, python3-dnspython, dotnet. Numbers are only as quiet as the machine.
#   sh benchmarks/run-dns-bench.sh [PORT] [SECONDS]
set -eu
PORT=${1:-53535}
SECONDS_PER=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/mailops-dnsbench.XXXXXX)
NSD_PID=
cleanup() {
    if [ -n "$NSD_PID" ]; then kill "$NSD_PID" 2>/dev/null || true; wait "$NSD_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "== building the benchmarks (Release)"
dotnet build "$HERE/DnsblBench" -c Release -nologo -v q >/dev/null
dotnet build "$HERE/SpfBench" -c Release -nologo -v q >/dev/null
DNSBL="dotnet run --no-build -c Release --project $HERE/DnsblBench --"
SPF="dotnet run --no-build -c Release --project $HERE/SpfBench --"

echo "== zones"
$DNSBL --emit "$TMP/zones" >/dev/null
cp "$HERE/SpfBench/bench.zone" "$TMP/zones/bench.example.zone"
grep -q 'IN[[:space:]]*NS' "$TMP/zones/bench.example.zone" || echo 'bench.example. 3600 IN NS ns1.bench.example.' >>"$TMP/zones/bench.example.zone"
{
    cat <<CONF
server:
    ip-address: 127.0.0.1@$PORT
    port: $PORT
    username: ""
    chroot: ""
    zonesdir: "$TMP/zones"
    pidfile: "$TMP/nsd.pid"
    database: ""
    zonelistfile: "$TMP/zone.list"
    xfrdfile: "$TMP/xfrd.state"
    xfrdir: "$TMP"
    logfile: "$TMP/nsd.log"
    server-count: 1
    verbosity: 0
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
CONF
    for z in "$TMP"/zones/*.zone; do
        name=$(basename "$z" .zone)
        printf 'zone:\n    name: %s\n    zonefile: %s.zone\n' "$name" "$name"
    done
} >"$TMP/nsd.conf"
nsd-checkconf "$TMP/nsd.conf"
nsd -d -c "$TMP/nsd.conf" &
NSD_PID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
    if dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 2.0.0.127.bench01.dnsbl.example A 2>/dev/null | grep -q 127.0.0.2; then break; fi
    sleep 1
done
echo "NSD $(nsd -v 2>&1 | head -1) on 127.0.0.1:$PORT (pid $NSD_PID), RRL off, $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== DNSBL sweep: dnsperf"
dnsperf -s 127.0.0.1 -p "$PORT" -d "$TMP/zones/queries.txt" -q 64 -c 1 -l "$SECONDS_PER" >"$TMP/dnsperf.txt" 2>&1 || true
grep -E 'Queries (sent|completed|lost)|Queries per second' "$TMP/dnsperf.txt"
DNSPERF_QPS=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$TMP/dnsperf.txt")

# Two MailOps runs of 40 sweeps each. Steady state: after 20 unmeasured sweeps, when the JIT has compiled the hot path
# (a pwsh session pays that once, for its first sweep). Fresh process: the JIT's first seconds included, as a scheduled
# job that starts a new pwsh for one sweep sees them.
echo "== DNSBL sweep: MailOps (DnsblBench --server, ThrottleLimit 64), steady state"
$DNSBL --server "127.0.0.1:$PORT" --throttle 64 --rounds 40 --warmup 20 | tee "$TMP/dnsbl.txt"
MAILOPS_QPS=$(sed -n 's/.* \([0-9]*\) queries\/s.*/\1/p' "$TMP/dnsbl.txt" | tail -1)
echo "== DNSBL sweep: MailOps, fresh process (JIT included)"
$DNSBL --server "127.0.0.1:$PORT" --throttle 64 --rounds 40 --warmup 0 | tee "$TMP/dnsbl-cold.txt"
MAILOPS_COLD_QPS=$(sed -n 's/.* \([0-9]*\) queries\/s.*/\1/p' "$TMP/dnsbl-cold.txt" | tail -1)
# The same with the runtime's dynamic PGO off (DOTNET_TieredPGO=0, an environment variable a scheduled job can set): hot
# methods then go from their first compilation straight to optimised code, without the instrumented step in between,
# which on 2 cores competes with the sweep for a CPU for the first seconds.
echo "== DNSBL sweep: MailOps, fresh process, DOTNET_TieredPGO=0"
DOTNET_TieredPGO=0 $DNSBL --server "127.0.0.1:$PORT" --throttle 64 --rounds 40 --warmup 0 | tee "$TMP/dnsbl-cold-nopgo.txt"
MAILOPS_NOPGO_QPS=$(sed -n 's/.* \([0-9]*\) queries\/s.*/\1/p' "$TMP/dnsbl-cold-nopgo.txt" | tail -1)

echo "== SPF: pyspf $(/usr/bin/python3 -c 'import spf; print(spf.__version__)' 2>/dev/null || echo '?')"
/usr/bin/python3 "$HERE/pyspf-bench.py" 127.0.0.1 "$PORT" "$SECONDS_PER" | tee "$TMP/pyspf.txt"
PYSPF=$(sed -n 's/^pyspf, cold cache *\([0-9]*\) evaluations.*/\1/p' "$TMP/pyspf.txt")

echo "== SPF: MailOps (SpfBench --server)"
$SPF "$SECONDS_PER" --server "127.0.0.1:$PORT" --wire-only | tee "$TMP/spf.txt"
SPF_COLD=$(sed -n 's/^wire, cold cache *\([0-9]*\) evaluations.*/\1/p' "$TMP/spf.txt")

echo "== ratios (target: DNSBL >= 0.5 of dnsperf, SPF cold >= 5x pyspf)"
awk -v a="$MAILOPS_QPS" -v b="$DNSPERF_QPS" 'BEGIN { printf "DNSBL sweep, steady state: MailOps %d queries/s / dnsperf %d queries/s = %.2f\n", a, b, (b > 0 ? a / b : 0) }'
awk -v a="$MAILOPS_COLD_QPS" -v b="$DNSPERF_QPS" 'BEGIN { printf "DNSBL sweep, fresh process (JIT included): MailOps %d queries/s / dnsperf %d queries/s = %.2f\n", a, b, (b > 0 ? a / b : 0) }'
awk -v a="$MAILOPS_NOPGO_QPS" -v b="$DNSPERF_QPS" 'BEGIN { printf "DNSBL sweep, fresh process, DOTNET_TieredPGO=0: MailOps %d queries/s / dnsperf %d queries/s = %.2f\n", a, b, (b > 0 ? a / b : 0) }'
awk -v a="$SPF_COLD" -v b="$PYSPF" 'BEGIN { printf "SPF cold: MailOps %d evaluations/s / pyspf %d evaluations/s = %.1fx\n", a, b, (b > 0 ? a / b : 0) }'
