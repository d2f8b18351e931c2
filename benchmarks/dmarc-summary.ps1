#!/usr/bin/env pwsh
# Get-DmarcSummary over a synthetic report of -Rows rows cycling through -Sources distinct addresses (DmarcBench write).
# Usage: pwsh -NoProfile -File benchmarks/dmarc-summary.ps1 [-Rows 1000000] [-Sources 5000]
# Needs a build (out/MailOps) and dotnet. Prints, best of -Runs: the engine alone (DmarcBench summary: reader + aggregation,
# no PowerShell), Import-DmarcReport | Measure-Object (the import alone) and Import-DmarcReport | Get-DmarcSummary
# -NoEnrichment (no DNS: the summary's own cost), rows/s each, and the peak working set of this pwsh after each case
# (the peak only grows, so the summary's figure includes the import's).
param([int]$Rows = 1000000, [int]$Sources = 5000, [int]$Runs = 2)
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $repo 'out/MailOps/MailOps.psd1')
$tmp = Join-Path ([IO.Path]::GetTempPath()) "dmarc-summary-$PID"
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    $xml = Join-Path $tmp 'report.xml'
    $bench = Join-Path $repo 'benchmarks/DmarcBench/DmarcBench.csproj'
    dotnet build $bench -c Release -nologo -v q | Out-Null
    dotnet run --no-build -c Release --project $bench -- write $xml $Rows $Sources
    dotnet run --no-build -c Release --project $bench -- summary $xml
    $cases = [ordered]@{
        'Import-DmarcReport | Measure-Object'                  = { Import-DmarcReport -Path $xml | Measure-Object | Out-Null }
        'Import-DmarcReport | Get-DmarcSummary -NoEnrichment' = { $script:out = @(Import-DmarcReport -Path $xml | Get-DmarcSummary -NoEnrichment) }
    }
    $rates = [ordered]@{}
    foreach ($name in $cases.Keys) {
        $best = [double]::MaxValue
        for ($i = 0; $i -lt $Runs; $i++) {
            [GC]::Collect()
            $t = (Measure-Command $cases[$name]).TotalSeconds
            if ($t -lt $best) { $best = $t }
        }
        $rates[$name] = $Rows / $best
        '{0,-52} {1,10:N0} rows/s  ({2:N2} s, best of {3}); peak working set so far {4:N0} MB' -f $name, $rates[$name], $best, $Runs, ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB)
    }
    'summary objects: {0:N0}; messages summed: {1:N0}' -f $out.Count, ($out | Measure-Object Messages -Sum).Sum
    'summary pipeline vs import alone: {0:N2}x the time' -f ($rates[0] / $rates[1])
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $tmp
}
