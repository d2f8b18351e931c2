#Requires -Version 7.0
<#
.SYNOPSIS
Benchmark: Test-MailDomain over N generated domains served by a real authoritative DNS server (Debian's nsd) on a
loopback port, response-rate limiting off. Not a test: it prints numbers for README and docs/domain.md.

.DESCRIPTION
Generates one zone "test." with N domains d<i>.bench.test, each with 2 MX (shared provider hosts, as hosting
customers have), SPF with two shared provider includes, a DKIM key at selector "selector1" (one of the selectors
Test-MailDomain probes), DMARC, an MTA-STS TXT record (its policy host has no address: a PolicyHostNotFound finding,
no HTTPS) and TLS-RPT; plus the reverse zone of the MX addresses and the catalogue's default blocklists (each
answering its RFC 5782 test entry; -NoBlocklist leaves them out of the run). Starts nsd on 127.0.0.1:<port>, runs
  Get-Content domains.txt | Test-MailDomain -Server 127.0.0.1:<port> -ThrottleLimit <t>
in a fresh pwsh, and reports wall time, domains/min, queries answered by nsd, and the peak working set of the pwsh
process. Stops nsd and deletes the temporary directory afterwards.

.EXAMPLE
pwsh benchmarks/MailDomainBench/run.ps1 -Count 1000,10000 -ThrottleLimit 32
#>
param(
    # Accepts 1000,10000 both from pwsh -Command and from pwsh -File, where it arrives as one string "1000,10000"
    # (which [int[]] would read as 100,010,000 domains: a zone file that fills the disk).
    [string[]] $Count = @('1000', '10000'),
    [int] $ThrottleLimit = 32,
    [int] $Port = 53531,
    [string] $Nsd = '/usr/sbin/nsd',
    # Leave the blocklists out (Test-MailDomain -NoBlocklist), to see what they cost.
    [switch] $NoBlocklist
)
$ErrorActionPreference = 'Stop'
$counts = @($Count -split ',' | Where-Object { $_.Trim() } | ForEach-Object {
    $n = [int]::Parse($_.Trim(), [Globalization.CultureInfo]::InvariantCulture)
    if ($n -lt 1 -or $n -gt 1000000) { throw "-Count takes 1 to 1,000,000 domains per run, not $n." }
    $n
})
$repo = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $repo 'out/MailOps/MailOps.psd1'
if (-not (Test-Path $manifest)) { throw "Build first: dotnet build -c Release (no $manifest)" }
if (-not (Test-Path $Nsd)) { throw "nsd is not installed ($Nsd): apt-get install nsd" }
$pwsh = (Get-Command pwsh -ErrorAction SilentlyContinue).Source
if (-not $pwsh) { $pwsh = Join-Path $HOME '.dotnet/tools/pwsh' }

# A real 2048-bit RSA DKIM public key (the fixture key of tests/fixtures/dns/dkim.example.zone).
$dkim = (Select-String -Path (Join-Path $repo 'tests/fixtures/dns/dkim.example.zone') -Pattern '^good\._domainkey' | Select-Object -First 1).Line -replace '^.*IN\s+TXT\s+', ''

foreach ($n in $counts) {
    $dir = Join-Path ([IO.Path]::GetTempPath()) "mailops-bench-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory $dir | Out-Null
    try {
        $sb = [IO.StreamWriter]::new((Join-Path $dir 'test.zone'), $false)
        $sb.WriteLine('$TTL 3600')
        $sb.WriteLine('test. IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300')
        $sb.WriteLine('test. IN NS ns.test.')
        $sb.WriteLine('ns.test. IN A 127.0.0.1')
        $sb.WriteLine('mx1.provider.bench.test. IN A 198.51.100.25')
        $sb.WriteLine('mx2.provider.bench.test. IN A 198.51.100.26')
        $sb.WriteLine('_spf.provider.bench.test. IN TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all"')
        $sb.WriteLine('_spf.esp.bench.test. IN TXT "v=spf1 ip4:203.0.113.0/24 -all"')
        $domains = [Collections.Generic.List[string]]::new()
        for ($i = 0; $i -lt $n; $i++) {
            $d = "d$i.bench.test"
            $domains.Add($d)
            $sb.WriteLine("$d. IN MX 10 mx1.provider.bench.test.")
            $sb.WriteLine("$d. IN MX 20 mx2.provider.bench.test.")
            $sb.WriteLine("$d. IN TXT `"v=spf1 include:_spf.provider.bench.test include:_spf.esp.bench.test -all`"")
            $sb.WriteLine("selector1._domainkey.$d. IN TXT $dkim")
            $sb.WriteLine("_dmarc.$d. IN TXT `"v=DMARC1; p=quarantine; rua=mailto:dmarc@$d`"")
            $sb.WriteLine("_mta-sts.$d. IN TXT `"v=STSv1; id=20261128`"")
            $sb.WriteLine("_smtp._tls.$d. IN TXT `"v=TLSRPTv1; rua=mailto:tlsrpt@$d`"")
        }
        $sb.Dispose()
        Set-Content (Join-Path $dir 'rev.zone') @'
$TTL 3600
100.51.198.in-addr.arpa. IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300
100.51.198.in-addr.arpa. IN NS ns.test.
25.100.51.198.in-addr.arpa. IN PTR mx1.provider.bench.test.
26.100.51.198.in-addr.arpa. IN PTR mx2.provider.bench.test.
'@
        Set-Content (Join-Path $dir 'domains.txt') $domains
        # The catalogue's default blocklists (those asked without a key), each a zone that answers its RFC 5782 test entry
        # as a working list does; the provider MX addresses are not listed.
        $blZones = @((Get-Content -Raw (Join-Path $repo 'src/MailOps.Core/Data/dnsbl-zones.json') | ConvertFrom-Json).zones |
            Where-Object { $_.default -and $_.key -eq 'None' })
        $blConf = foreach ($z in $blZones) {
            $entry = if ($z.type -eq 'IP') { ($z.test.listed -split '\.')[3..0] -join '.' } else { $z.test.listed }
            $lines = @('$TTL 300', "$($z.name). IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300", "$($z.name). IN NS ns.test.")
            if ($z.test.listed) { $lines += "$entry.$($z.name). IN A $($z.returnCodes[0].code)" }
            Set-Content (Join-Path $dir "bl-$($z.name).zone") $lines
            "zone:`n  name: `"$($z.name)`"`n  zonefile: `"bl-$($z.name).zone`""
        }
        Set-Content (Join-Path $dir 'nsd.conf') @"
server:
  ip-address: 127.0.0.1@$Port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  zonelistfile: "$dir/zone.list"
  logfile: "$dir/nsd.log"
  server-count: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: "test"
  zonefile: "test.zone"
zone:
  name: "100.51.198.in-addr.arpa"
  zonefile: "rev.zone"
$($blConf -join "`n")
"@
        & $Nsd -c (Join-Path $dir 'nsd.conf')
        if ($LASTEXITCODE -ne 0) { throw "nsd did not start: $(Get-Content "$dir/nsd.log" -Raw)" }
        Start-Sleep -Seconds 2

        $script = @"
Import-Module '$manifest'
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$ok = 0; `$inc = 0
Get-Content '$dir/domains.txt' | Test-MailDomain -Server 127.0.0.1:$Port -ThrottleLimit $ThrottleLimit $(if ($NoBlocklist) { '-NoBlocklist' }) -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | ForEach-Object { if (`$_.Status -eq 'Incomplete') { `$inc++ } else { `$ok++ } }
`$sw.Stop()
`$p = Get-Process -Id `$PID
'{0} {1} {2} {3} {4}' -f `$sw.Elapsed.TotalSeconds, `$ok, `$inc, `$p.PeakWorkingSet64, `$p.TotalProcessorTime.TotalSeconds
"@
        $out = & $pwsh -NoProfile -NonInteractive -Command $script
        $secs, $ok, $inc, $peak, $cpu = ($out | Select-Object -Last 1) -split ' '
        # CPU seconds of the nsd processes (server child included), from ps: the machine may be shared, so CPU time
        # says more than wall time about what a dedicated machine would do.
        $nsdCpu = 0
        foreach ($line in (& ps -eo time=,args= | Where-Object { $_ -match [regex]::Escape("$dir/nsd.conf") })) {
            $t = ($line.Trim() -split '\s+')[0] -split '[-:]'
            $nsdCpu += [int]$t[-3] * 3600 + [int]$t[-2] * 60 + [int]$t[-1]
        }
        $load = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1
        [pscustomobject]@{
            Domains        = $n
            ThrottleLimit  = $ThrottleLimit
            Blocklists     = if ($NoBlocklist) { 0 } else { $blZones.Count }
            Seconds        = [math]::Round([double]$secs, 1)
            DomainsPerMin  = [math]::Round($n / [double]$secs * 60)
            Complete       = [int]$ok
            Incomplete     = [int]$inc
            PeakWorkingSetMB = [math]::Round([double]$peak / 1MB)
            PwshCpuSeconds = [math]::Round([double]$cpu, 1)
            NsdCpuSeconds  = $nsdCpu
            # What 2 idle cores would do if CPU were the only limit (client and server CPU added).
            DomainsPerMinOn2IdleCores = [math]::Round($n / (([double]$cpu + $nsdCpu) / 2) * 60)
            LoadAverage    = $load
        }
    }
    finally {
        if (Test-Path "$dir/nsd.pid") { $nsdPid = [int](Get-Content "$dir/nsd.pid"); Stop-Process -Id $nsdPid -ErrorAction SilentlyContinue; Start-Sleep -Milliseconds 500 }
        Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    }
}
