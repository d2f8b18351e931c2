<#
.SYNOPSIS
    The checks `build.ps1 -Task Demo` runs after Get-MailMx, on the bundled example zone, offline.
.DESCRIPTION
    Each check runs only when its cmdlet is in the imported module, so the demo grows with the module.
#>
param(
    # Splatted into every check: -ZoneFile and -Server that keep everything offline.
    [Parameter(Mandatory)] [hashtable] $Offline
)

function Invoke-DemoStep {
    param([string] $Title, [string] $Command, [scriptblock] $Step)
    if (-not (Get-Command $Command -Module MailOps -ErrorAction SilentlyContinue)) { return }
    Write-Host "`n$Title" -ForegroundColor Cyan
    & $Step | Format-Table -AutoSize | Out-Host
}

Invoke-DemoStep 'Test-MailSpf example.com (audit)' 'Test-MailSpf' { Test-MailSpf -Domain example.com @Offline }
Invoke-DemoStep 'Test-MailSpf example.com -IPAddress 192.0.2.25 (would this IP pass?)' 'Test-MailSpf' { Test-MailSpf -Domain example.com -IPAddress 192.0.2.25 @Offline }
Invoke-DemoStep 'Test-MailDmarc example.com' 'Test-MailDmarc' { Test-MailDmarc -Domain example.com @Offline }
Invoke-DemoStep 'Test-MailDkim example.com -Selector mail' 'Test-MailDkim' { Test-MailDkim -Domain example.com -Selector mail @Offline }
Invoke-DemoStep 'Test-MailPtr 192.0.2.25 -HeloName mail.example.com' 'Test-MailPtr' { Test-MailPtr -IPAddress 192.0.2.25 -HeloName mail.example.com @Offline }
Invoke-DemoStep 'Test-TlsRpt example.com' 'Test-TlsRpt' { Test-TlsRpt -Domain example.com @Offline }
