#!/usr/bin/env pwsh
# Import-DmarcReport through the pipeline, against a raw XmlReader pass over the same file (DmarcBench raw), and the
# floors PowerShell itself sets: the same rows, already in memory, piped to Measure-Object and Export-Csv.
# Usage: pwsh -NoProfile -File benchmarks/dmarc-pipeline.ps1 [-Rows 200000] [-Runs 5] [-FloorRows 100000]
# Needs a Release build (dotnet build src/MailOps -c Release writes out/MailOps) and dotnet. The raw pass and the three
# pipelines are interleaved, round after round, and each keeps its best time, so a busy machine skews the ratios less;
# the load average is printed with the numbers. The Parsedmarc case runs with -NoEnrichment: it measures the format, not
# DNS (every synthetic row has its own address). The floors run last (their rows are held in memory, so they come after
# the peak working set is taken).
param([int]$Rows = 200000, [int]$Runs = 5, [int]$FloorRows = 100000)
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $repo 'out/MailOps/MailOps.psd1')
$tmp = Join-Path ([IO.Path]::GetTempPath()) "dmarc-pipeline-$PID"
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    $xml = Join-Path $tmp 'report.xml'
    $bench = Join-Path $repo 'benchmarks/DmarcBench/DmarcBench.csproj'
    dotnet build $bench -c Release -nologo -v q | Out-Null
    dotnet run --no-build -c Release --project $bench -- write $xml $Rows
    $csv = Join-Path $tmp 'out.csv'
    $cases = [ordered]@{
        'Measure-Object'                  = { Import-DmarcReport -Path $xml | Measure-Object | Out-Null }
        'Export-Csv'                      = { Import-DmarcReport -Path $xml | Export-Csv -Path $csv -NoTypeInformation }
        '-Format Parsedmarc | Export-Csv' = { Import-DmarcReport -Path $xml -Format Parsedmarc -NoEnrichment | Export-Csv -Path $csv -NoTypeInformation }
    }
    "load average before: $(Get-Content /proc/loadavg -ErrorAction SilentlyContinue)"
    $rawRate = 0.0
    $best = @{}
    foreach ($name in $cases.Keys) { $best[$name] = [double]::MaxValue }
    for ($i = 0; $i -lt $Runs; $i++) {
        $raw = dotnet run --no-build -c Release --project $bench -- raw $xml | Select-Object -Last 1
        $rate = [double](($raw -replace '.*= ([\d,]+) rows/s.*', '$1') -replace ',', '')
        if ($rate -gt $rawRate) { $rawRate = $rate }
        foreach ($name in $cases.Keys) {
            $t = (Measure-Command $cases[$name]).TotalSeconds
            if ($t -lt $best[$name]) { $best[$name] = $t }
        }
    }
    '{0,-34} {1,10:N0} rows/s  (DmarcBench raw, best of {2} rounds of 3)' -f 'raw XmlReader pass', $rawRate, $Runs
    $rates = [ordered]@{}
    foreach ($name in $cases.Keys) {
        $rates[$name] = $Rows / $best[$name]
        '{0,-34} {1,10:N0} rows/s  ({2:N2} s, best of {3})  ratio to raw XmlReader {4:N2}' -f $name, $rates[$name], $best[$name], $Runs, ($rates[$name] / $rawRate)
    }
    'Parsedmarc vs default through Export-Csv: {0:N2}x the time' -f ($rates['Export-Csv'] / $rates['-Format Parsedmarc | Export-Csv'])
    'peak working set of this pwsh: {0:N0} MB' -f ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB)
    "load average after: $(Get-Content /proc/loadavg -ErrorAction SilentlyContinue)"

    # Floors: what PowerShell costs per object with no reading at all - the first $FloorRows rows, read beforehand.
    $held = [System.Collections.Generic.List[object]]::new()
    foreach ($row in (Import-DmarcReport -Path $xml | Select-Object -First $FloorRows)) { $held.Add($row) }
    $parsedmarc = [System.Collections.Generic.List[object]]::new()
    foreach ($row in $held) { $parsedmarc.Add([MailOps.Reports.ParsedmarcFormat]::ToParsedmarcRow($row)) }
    $floors = [ordered]@{
        'floor: rows in memory | Measure-Object'            = { $held | Measure-Object | Out-Null }
        'floor: rows in memory | Export-Csv'                = { $held | Export-Csv -Path $csv -NoTypeInformation }
        'floor: Parsedmarc rows in memory | Export-Csv'     = { $parsedmarc | Export-Csv -Path $csv -NoTypeInformation }
    }
    foreach ($name in $floors.Keys) {
        $b = [double]::MaxValue
        for ($i = 0; $i -lt $Runs; $i++) {
            $t = (Measure-Command $floors[$name]).TotalSeconds
            if ($t -lt $b) { $b = $t }
        }
        # The importers read ahead on another thread, so reading and this command's per-object work overlap: with two
        # free cores a pipeline can reach the slower of the two, a ratio to raw of min(1, floor / raw); read in turns on
        # one core it could reach only floor / (raw + floor).
        $floorRate = $held.Count / $b
        '{0,-46} {1,10:N0} rows/s  (best of {2})  ratio to raw: {3:N2} reading ahead on a free core, {4:N2} read in turns' -f $name, $floorRate, $Runs, [Math]::Min(1.0, $floorRate / $rawRate), ($floorRate / ($rawRate + $floorRate))
    }
    "load average at the end: $(Get-Content /proc/loadavg -ErrorAction SilentlyContinue)"
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $tmp
}
