<#
.SYNOPSIS
    The MailOps demo: real checks on the bundled example zone, offline. `build.ps1 -Task Demo` runs it; so can you,
    from the repository or from an installed copy of the module.
.DESCRIPTION
    Every name the demo asks for is inside the example zones (examples/zones); -Server 127.0.0.1:9 (nothing listens
    there) proves it: anything that escaped the zone files would fail instead of reaching the internet. Each check
    runs only when its cmdlet is in the imported module, so the demo grows with the module. Uses the imported MailOps
    module, else the one this script ships in, else MailOps by name.
.EXAMPLE
    & "$((Get-Module MailOps -ListAvailable | Select-Object -First 1).ModuleBase)/examples/demo-checks.ps1"
#>
param(
    # Splatted into every check: -ZoneFile and -Server that keep everything offline.
    [hashtable] $Offline = @{ ZoneFile = (Join-Path $PSScriptRoot 'zones/*.zone'); Server = '127.0.0.1:9' }
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1')
$ErrorActionPreference = 'Continue'

function Invoke-DemoStep {
    param([string] $Title, [string] $Command, [scriptblock] $Step)
    if (-not (Get-Command $Command -Module MailOps -ErrorAction SilentlyContinue)) { return }
    Write-Host "`n$Title" -ForegroundColor Cyan
    & $Step | Format-Table -AutoSize | Out-Host
}

Invoke-DemoStep 'Get-MailMx example.com (offline, from examples/zones)' 'Get-MailMx' { Get-MailMx -Domain example.com @Offline }
Invoke-DemoStep 'Test-MailSpf example.com (audit)' 'Test-MailSpf' { Test-MailSpf -Domain example.com @Offline }
Invoke-DemoStep 'Test-MailSpf example.com -IPAddress 192.0.2.25 (would this IP pass?)' 'Test-MailSpf' { Test-MailSpf -Domain example.com -IPAddress 192.0.2.25 @Offline }
Invoke-DemoStep 'Test-MailDmarc example.com' 'Test-MailDmarc' { Test-MailDmarc -Domain example.com @Offline }
Invoke-DemoStep 'Test-MailDkim example.com -Selector mail' 'Test-MailDkim' { Test-MailDkim -Domain example.com -Selector mail @Offline }
Invoke-DemoStep 'Test-MailPtr 192.0.2.25 -HeloName mail.example.com' 'Test-MailPtr' { Test-MailPtr -IPAddress 192.0.2.25 -HeloName mail.example.com @Offline }
Invoke-DemoStep 'Test-TlsRpt example.com' 'Test-TlsRpt' { Test-TlsRpt -Domain example.com @Offline }
