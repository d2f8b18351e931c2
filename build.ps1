<#
.SYNOPSIS
    Builds, tests, packages and demonstrates MailOps.
.DESCRIPTION
    Needs the .NET SDK (8 or later) on PATH and nothing else: no extra PowerShell modules.
      -Task Build    assembles the loadable module folder out/MailOps/ (manifest, assemblies and their
                     dependencies, format and types files, help). A plain `dotnet build` produces the same folder.
      -Task Test     runs `dotnet test MailOps.sln` and, where Pester 5 or later is installed, the Pester suites
                     under tests/Pester.
      -Task Package  builds, then writes a PowerShell Gallery nupkg to out/packages/ (Publish-PSResource where
                     PSResourceGet is present, else Publish-Module).
      -Task Demo     builds, imports the module and runs real checks offline against the bundled example zone.
      -Task Clean    removes out/ and the build output.
.EXAMPLE
    ./build.ps1 -Task Demo
.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
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

function Invoke-TestTask {
    Invoke-DotNet test (Join-Path $root 'MailOps.sln') -c $Configuration --nologo
    $pester = Get-Module Pester -ListAvailable | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed: the Pester suites were skipped (Install-Module Pester -MinimumVersion 5.0).'
        return
    }
    Import-Module $pester -Force
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $root 'tests/Pester'
    $config.Run.Exit = $false
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $result = Invoke-Pester -Configuration $config
    if ($result.FailedCount -gt 0) { throw "$($result.FailedCount) Pester test(s) failed." }
}

function Invoke-PackageTask {
    Invoke-BuildTask
    $packages = Join-Path $root 'out/packages'
    $null = New-Item -ItemType Directory -Path $packages -Force
    $repoName = 'MailOpsLocalBuild'
    if (Get-Command Publish-PSResource -ErrorAction SilentlyContinue) {
        if (Get-PSResourceRepository -Name $repoName -ErrorAction SilentlyContinue) { Unregister-PSResourceRepository -Name $repoName }
        Register-PSResourceRepository -Name $repoName -Uri $packages -Trusted
        try { Publish-PSResource -Path $moduleDir -Repository $repoName }
        finally { Unregister-PSResourceRepository -Name $repoName }
    }
    else {
        if (Get-PSRepository -Name $repoName -ErrorAction SilentlyContinue) { Unregister-PSRepository -Name $repoName }
        Register-PSRepository -Name $repoName -SourceLocation $packages -PublishLocation $packages -InstallationPolicy Trusted
        try { Publish-Module -Path $moduleDir -Repository $repoName }
        finally { Unregister-PSRepository -Name $repoName }
    }
    Get-ChildItem $packages -Filter 'MailOps.*.nupkg' | ForEach-Object { Write-Host "Package: $($_.FullName)" -ForegroundColor Green }
}

function Invoke-DemoTask {
    Invoke-BuildTask
    Import-Module $manifest -Force
    # Every name the demo asks for is inside the example zones; 127.0.0.1:9 (nothing listens) as the server
    # proves it: anything that escaped the zone files would fail instead of reaching the internet.
    $offline = @{
        ZoneFile = Join-Path $root 'examples/zones/*.zone'
        Server   = '127.0.0.1:9'
    }
    Write-Host "`nGet-MailMx example.com (offline, from examples/zones)" -ForegroundColor Cyan
    Get-MailMx -Domain example.com @offline | Format-Table -AutoSize | Out-Host
    $more = Join-Path $root 'examples/demo-checks.ps1'
    if (Test-Path $more) { & $more -Offline $offline }
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
