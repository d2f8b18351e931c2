#!/usr/bin/env pwsh
# Import-DmarcReport through the pipeline, against a raw XmlReader pass over the same file (DmarcBench raw).
# Usage: pwsh -NoProfile -File benchmarks/dmarc-pipeline.ps1 [-Rows 400000]
# Needs a build (out/MailOps) and dotnet. Prints rows/s for each pipeline and the ratios the README quotes. The
# Parsedmarc case runs with -NoEnrichment: it measures the format, not DNS (every synthetic row has its own address).
param([int]$Rows = 400000, [int]$Runs = 3)
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
    $raw = dotnet run --no-build -c Release --project $bench -- raw $xml | Select-Object -Last 1
    $raw
    $rawRate = [double](($raw -replace '.*= ([\d,]+) rows/s.*', '$1') -replace ',', '')
    $csv = Join-Path $tmp 'out.csv'
    $cases = [ordered]@{
        'Measure-Object'                 = { Import-DmarcReport -Path $xml | Measure-Object | Out-Null }
        'Export-Csv'                     = { Import-DmarcReport -Path $xml | Export-Csv -Path $csv -NoTypeInformation }
        '-Format Parsedmarc | Export-Csv' = { Import-DmarcReport -Path $xml -Format Parsedmarc -NoEnrichment | Export-Csv -Path $csv -NoTypeInformation }
    }
    $rates = [ordered]@{}
    foreach ($name in $cases.Keys) {
        $best = [double]::MaxValue
        for ($i = 0; $i -lt $Runs; $i++) {
            $t = (Measure-Command $cases[$name]).TotalSeconds
            if ($t -lt $best) { $best = $t }
        }
        $rates[$name] = $Rows / $best
        '{0,-34} {1,10:N0} rows/s  ({2:N2} s, best of {3})  ratio to raw XmlReader {4:N2}' -f $name, $rates[$name], $best, $Runs, ($rates[$name] / $rawRate)
    }
    'Parsedmarc vs default through Export-Csv: {0:N2}x the time' -f ($rates['Export-Csv'] / $rates['-Format Parsedmarc | Export-Csv'])
    'peak working set of this pwsh: {0:N0} MB' -f ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB)
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $tmp
}
