<#
.SYNOPSIS
    Builds, tests, packages and demonstrates MailOps.
.DESCRIPTION
    Needs the .NET 10 SDK on PATH and nothing else; PowerShell 7.6.9 is a local tool (dotnet tool restore, then
    dotnet pwsh ./build.ps1 ...) and Pester 5.9.1 is restored from NuGet (build/TestTools.proj).
      -Task Build    assembles the loadable module folder out/MailOps/ (manifest, assemblies and their
                     dependencies, format and types files, help). A plain `dotnet build` produces the same folder.
      -Task Test     installs the Debian packages the tests need (root with apt-get; else those tests skip and
                     say what to install), runs `dotnet test MailOps.sln` (xunit), then the Pester suites under
                     tests/Pester, and ends with one line counting both: "N passed, N failed, N skipped". Exits 1
                     when any test failed.
      -Task Package  builds, then writes a PowerShell Gallery nupkg to out/packages/ (or -PackagePath) with
                     Publish-PSResource where PSResourceGet is present, else Publish-Module. The package holds the
                     module folder plus examples/ (the scheduled scripts and the example zones the help and README
                     use), so `& "$((Get-Module MailOps).ModuleBase)/examples/demo-checks.ps1"` runs the demo from an
                     installed copy. -NoBuild packages the module folder as it is.
      -Task Demo     builds, imports the module and runs real checks offline against the bundled example zone.
      -Task Clean    removes out/ and the build output.
.EXAMPLE
    ./build.ps1 -Task Demo
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Package: where the nupkg goes (default out/packages).
    [string] $PackagePath,

    # Package: use out/MailOps as built, without building again.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$root = $PSScriptRoot
$moduleDir = Join-Path $root 'out/MailOps'
$manifest = Join-Path $moduleDir 'MailOps.psd1'

function Invoke-DotNet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor DarkGray
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

function Invoke-BuildTask {
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
        throw 'The .NET SDK (dotnet) is not on PATH. Install it from your package manager or https://dot.net.'
    }
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    Invoke-DotNet build (Join-Path $root 'src/MailOps/MailOps.csproj') -c $Configuration --nologo
    $null = Test-ModuleManifest -Path $manifest
    Write-Host "Module folder: $moduleDir" -ForegroundColor Green
}

# Debian packages the tests need: the APT_PACKAGES list in .ci/run (one list; each area adds its own there).
function Get-TestPackage {
    $ci = Join-Path $root '.ci/run'
    if (-not (Test-Path $ci)) { return @() }
    $inList = $false
    foreach ($line in Get-Content $ci) {
        if ($line -match '^\s*APT_PACKAGES=\(') { $inList = $true; continue }
        if ($inList -and $line -match '^\s*\)') { break }
        if ($inList -and $line -match '^\s*([a-z0-9][a-z0-9.+-]*)') { $Matches[1] }
    }
}

# Installs the missing ones when it can (root and apt-get); otherwise the tests that need them skip, saying what to install.
function Install-TestPackage {
    if ($IsWindows -or -not (Get-Command apt-get -ErrorAction SilentlyContinue) -or -not (Get-Command dpkg -ErrorAction SilentlyContinue)) {
        Write-Host 'No apt-get here: tests that need Debian packages (Postfix, dkimpy) skip and say what to install.' -ForegroundColor DarkYellow
        return
    }
    $missing = @(Get-TestPackage | Where-Object { & dpkg -s $_ *> $null; $LASTEXITCODE -ne 0 })
    if ($missing.Count -eq 0) { return }
    if ((& id -u) -ne '0') {
        Write-Host "Not root: not installing $($missing -join ' '); the tests that need them skip (sudo apt-get install -y $($missing -join ' '))." -ForegroundColor DarkYellow
        return
    }
    Write-Host "apt-get install $($missing -join ' ')" -ForegroundColor DarkGray
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -qq *> $null
    & apt-get install -y -qq --no-install-recommends @missing *> $null
    if ($LASTEXITCODE -ne 0) { Write-Warning "apt-get install $($missing -join ' ') failed; the tests that need them skip and say so." }
}

# Pester 5.9.1: from the NuGet cache, fetched by `dotnet restore build/TestTools.proj` (a PackageDownload).
function Get-PesterManifest {
    & dotnet restore (Join-Path $root 'build/TestTools.proj') --nologo -v q *> $null
    if ($LASTEXITCODE -eq 0) {
        $cache = $env:NUGET_PACKAGES
        if (-not $cache) {
            $line = & dotnet nuget locals global-packages --list | Select-Object -First 1
            $cache = ($line -replace '^[^:]*global-packages:\s*', '').Trim()
        }
        $psd1 = Join-Path $cache 'pester/5.9.1/tools/Pester.psd1'
        if (Test-Path $psd1) { return $psd1 }
    }
    $installed = Get-Module Pester -ListAvailable | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if ($installed) { return $installed.Path }
    return $null
}

# Counts of the xunit runs from their TRX files.
function Get-TrxCount([string] $Directory) {
    $c = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($trx in Get-ChildItem $Directory -Filter '*.trx' -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content -Raw $trx.FullName)).TestRun.ResultSummary.Counters
        $failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $c.Passed += [int]$counters.passed
        $c.Failed += $failed
        $c.Skipped += [int]$counters.total - [int]$counters.passed - $failed
    }
    $c
}

# The failed xunit tests by name, with the first lines of their messages: printed just before the counts, so a CI log
# that keeps only its tail still says which test failed and why.
function Write-TrxFailure([string] $Directory) {
    foreach ($trx in Get-ChildItem $Directory -Filter '*.trx' -ErrorAction SilentlyContinue) {
        $doc = [xml](Get-Content -Raw $trx.FullName)
        foreach ($r in @($doc.TestRun.Results.UnitTestResult)) {
            if (-not $r -or $r.outcome -in 'Passed', 'NotExecuted') { continue }
            Write-Host "FAILED ($($r.outcome)) $($r.testName) [$($r.duration)]" -ForegroundColor Red
            $message = $r.Output.ErrorInfo.Message
            if ($message) {
                foreach ($line in @(($message -split "`r?`n") | Select-Object -First 6)) { Write-Host "    $line" }
            }
            $stack = $r.Output.ErrorInfo.StackTrace
            if ($stack) {
                foreach ($line in @(($stack -split "`r?`n") | Select-Object -First 4)) { Write-Host "    $line" }
            }
        }
    }
}

function Invoke-TestTask {
    Install-TestPackage
    $results = Join-Path $root 'out/TestResults'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $results -Force

    # The real pwsh running this script (under `dotnet pwsh` this process is dotnet itself: pwsh.dll is started the same
    # way): the Pester suites below and the xunit tests that need a real pwsh (IsolationTests) use it.
    $self = (Get-Process -Id $PID).Path
    $pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { @($self, (Join-Path $PSHOME 'pwsh.dll')) } else { @($self) }
    $env:MAILOPS_TEST_PWSH = $pwsh -join [IO.Path]::PathSeparator

    # 1. xunit: engine tests and hosted-runspace pipeline tests (this also builds out/MailOps for Pester).
    Write-Host "dotnet test MailOps.sln -c $Configuration" -ForegroundColor DarkGray
    & dotnet test (Join-Path $root 'MailOps.sln') -c $Configuration --nologo --logger trx --results-directory $results
    $xunitExit = $LASTEXITCODE
    $x = Get-TrxCount $results
    if ($xunitExit -ne 0 -and $x.Failed -eq 0) { $x.Failed = 1 }   # build error or crashed test host: no TRX says so

    # 2. Pester: the cmdlets in a real pwsh, importing out/MailOps/MailOps.psd1.
    $p = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $pester = Get-PesterManifest
    if (-not $pester) {
        Write-Warning 'Pester 5 could not be restored (dotnet restore build/TestTools.proj): the Pester suites did not run.'
        $p.Failed = 1
    }
    elseif (-not (Test-Path $manifest)) {
        Write-Warning "$manifest was not built: the Pester suites cannot run."
        $p.Failed = 1
    }
    else {
        # In a child pwsh, so the suites get a clean session (and their modules do not stay loaded here).
        $counts = Join-Path $results 'pester-counts.json'
        $runner = Join-Path $root 'build/Invoke-PesterSuite.ps1'
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $runner -PesterManifest $pester -ResultDirectory $results
        if (Test-Path $counts) {
            $j = Get-Content -Raw $counts | ConvertFrom-Json
            $p.Passed = [int]$j.Passed; $p.Failed = [int]$j.Failed; $p.Skipped = [int]$j.Skipped
        }
        else { $p.Failed = 1 }   # pwsh or Pester crashed
    }

    Write-TrxFailure $results
    Write-Host "xunit:  $($x.Passed) passed, $($x.Failed) failed, $($x.Skipped) skipped"
    Write-Host "Pester: $($p.Passed) passed, $($p.Failed) failed, $($p.Skipped) skipped"
    $failed = $x.Failed + $p.Failed
    # The last line counts both; CI reads it.
    Write-Host "$($x.Passed + $p.Passed) passed, $failed failed, $($x.Skipped + $p.Skipped) skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-PackageTask {
    if ($NoBuild) {
        if (-not (Test-Path $manifest)) { throw "$manifest does not exist: build first, or leave out -NoBuild." }
    }
    else { Invoke-BuildTask }
    $packages = if ($PackagePath) { $PackagePath } else { Join-Path $root 'out/packages' }
    $null = New-Item -ItemType Directory -Path $packages -Force
    $packages = (Resolve-Path $packages).Path
    # The package is the module folder plus examples/: staged apart so that out/MailOps stays what the tests import.
    $stage = Join-Path ([IO.Path]::GetTempPath()) "mailops-package-$([guid]::NewGuid().ToString('N'))"
    $stagedModule = Join-Path $stage 'MailOps'
    Copy-Item -Path $moduleDir -Destination $stagedModule -Recurse
    Copy-Item -Path (Join-Path $root 'examples') -Destination (Join-Path $stagedModule 'examples') -Recurse
    $repoName = "MailOpsLocalBuild-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    try {
        if (Get-Command Publish-PSResource -ErrorAction SilentlyContinue) {
            Register-PSResourceRepository -Name $repoName -Uri $packages -Trusted
            try { Publish-PSResource -Path $stagedModule -Repository $repoName }
            finally { Unregister-PSResourceRepository -Name $repoName }
        }
        else {
            Register-PSRepository -Name $repoName -SourceLocation $packages -PublishLocation $packages -InstallationPolicy Trusted
            try { Publish-Module -Path $stagedModule -Repository $repoName }
            finally { Unregister-PSRepository -Name $repoName }
        }
    }
    finally { Remove-Item $stage -Recurse -Force -ErrorAction SilentlyContinue }
    Get-ChildItem $packages -Filter 'MailOps.*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName)" -ForegroundColor Green }
}

function Invoke-DemoTask {
    Invoke-BuildTask
    Import-Module $manifest -Force
    # Every name the demo asks for is inside the example zones; 127.0.0.1:9 (nothing listens) as the server
    # proves it: anything that escaped the zone files would fail instead of reaching the internet.
    # The same script runs from an installed package: <ModuleBase>/examples/demo-checks.ps1.
    & (Join-Path $root 'examples/demo-checks.ps1')
}

switch ($Task) {
    'Build' { Invoke-BuildTask }
    'Test' { Invoke-TestTask }
    'Package' { Invoke-PackageTask }
    'Demo' { Invoke-DemoTask }
    'Clean' {
        if (Test-Path (Join-Path $root 'out')) { Remove-Item (Join-Path $root 'out') -Recurse -Force }
        Invoke-DotNet clean (Join-Path $root 'MailOps.sln') --nologo
    }
}
