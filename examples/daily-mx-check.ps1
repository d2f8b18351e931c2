<#
.SYNOPSIS
    Daily MX check for a list of domains, for cron or Task Scheduler.
.DESCRIPTION
    Checks every domain in -DomainFile (one per line, # comments allowed) with Get-MailMx and writes the hosts whose
    status is not Pass to -OutFile as CSV (the header is written even when nothing is wrong, so the file always says
    the run happened). Exit codes:
      0  every domain was checked and passed
      1  a domain failed a check (Status Fail)
      2  a check could not run (DNS timeout, SERVFAIL, refused)
      3  the script itself could not run (module not found, domain file missing or empty, output not writable)
    Writes no colour codes when its output is not a terminal (cron mail, log files).
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-mx-check.ps1 -DomainFile domains.txt -OutFile mx-problems.csv
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-mx-check.ps1 -DomainFile domains.txt -OutFile mx.csv -ZoneFile ./examples/zones/*.zone -Server 127.0.0.1:9
#>
param(
    [Parameter(Mandatory)] [string] $DomainFile,
    [Parameter(Mandatory)] [string] $OutFile,
    [string[]] $Server,
    [string[]] $ZoneFile,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$columns = 'Domain', 'Preference', 'HostName', 'Addresses', 'PtrName', 'Status', 'Findings'

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $domains = @(Get-Content -LiteralPath $DomainFile | Where-Object { $_ -and $_ -notmatch '^\s*#' } | ForEach-Object { $_.Trim() })
    if ($domains.Count -eq 0) { throw "$DomainFile lists no domain." }
    Set-Content -LiteralPath $OutFile -Value ('"' + ($columns -join '","') + '"')   # the header, even when nothing is wrong
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("daily-mx-check: cannot run: $($_.Exception.Message)")
    exit 3
}

$dns = @{}
if ($Server) { $dns.Server = $Server }
if ($ZoneFile) { $dns.ZoneFile = $ZoneFile }
$results = @($domains | Get-MailMx @dns -ErrorVariable checkErrors -ErrorAction SilentlyContinue)
$problems = @($results | Where-Object Status -ne 'Pass' | ForEach-Object {
        [pscustomobject]@{
            Domain     = $_.Domain
            Preference = $_.Preference
            HostName   = $_.HostName
            Addresses  = (@($_.IPv4Address) + @($_.IPv6Address) | Where-Object { $_ }) -join '; '
            PtrName    = $_.PtrName
            Status     = $_.Status
            Findings   = ($_.Findings | ForEach-Object Code) -join '; '
        }
    })
if ($problems.Count -gt 0) { $problems | Export-Csv -LiteralPath $OutFile -NoTypeInformation }

foreach ($e in $checkErrors) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if ($checkErrors.Count -gt 0) { exit 2 }
if (@($problems | Where-Object Status -eq 'Fail').Count -gt 0) { exit 1 }
exit 0
