<#
.SYNOPSIS
    Runs the Pester suites (tests/Pester) against the built module and writes NUnit XML plus a small JSON count.
    build.ps1 -Task Test calls it in a child pwsh; you can run it alone after a build:
    dotnet pwsh ./build/Invoke-PesterSuite.ps1 -PesterManifest ~/.nuget/packages/pester/5.9.1/tools/Pester.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [string] $Path = (Join-Path $PSScriptRoot '../tests/Pester'),
    [string] $ResultDirectory = (Join-Path $PSScriptRoot '../out/TestResults')
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
$null = New-Item -ItemType Directory -Path $ResultDirectory -Force
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.Exit = $false
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultDirectory 'pester.xml'
$r = Invoke-Pester -Configuration $config
# The failures again at the end, so a log that keeps only its tail still names them.
foreach ($t in $r.Failed) {
    Write-Host "FAILED $($t.ExpandedPath)" -ForegroundColor Red
    foreach ($e in $t.ErrorRecord) { Write-Host "    $(($e.ToString() -split "`r?`n" | Select-Object -First 4) -join "`n    ")" }
}
foreach ($b in @($r.FailedBlocks) + @($r.FailedContainers)) { if ($b) { Write-Host "FAILED block $($b.Name) $($b.Item)" -ForegroundColor Red } }
# Counted from Pester's result object: a failed BeforeAll or a file that does not parse counts as a failure too.
[ordered]@{
    Passed  = $r.PassedCount
    Failed  = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount
    Skipped = $r.SkippedCount + $r.NotRunCount
} | ConvertTo-Json | Set-Content (Join-Path $ResultDirectory 'pester-counts.json')
if ($r.Result -ne 'Passed') { exit 1 }
