<#
.SYNOPSIS
    Daily MX check for a list of domains, for cron or Task Scheduler.
.DESCRIPTION
    Checks every domain in -DomainFile (one per line, # comments allowed) with Get-MailMx, writes the hosts whose
    status is not Pass to -OutFile as CSV, and exits 1 when any domain failed a check, 2 when any check could
    not run (DNS timeout, SERVFAIL, refused), else 0.
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-mx-check.ps1 -DomainFile domains.txt -OutFile mx-problems.csv
#>
param(
    [Parameter(Mandatory)] [string] $DomainFile,
    [Parameter(Mandatory)] [string] $OutFile,
    [string[]] $Server,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/MailOps/MailOps.psd1')
)

Import-Module $ModulePath -ErrorAction Stop
$dns = @{}
if ($Server) { $dns.Server = $Server }

$domains = Get-Content $DomainFile | Where-Object { $_ -and $_ -notmatch '^\s*#' } | ForEach-Object { $_.Trim() }
$results = @($domains | Get-MailMx @dns -ErrorVariable checkErrors -ErrorAction SilentlyContinue)
$problems = @($results | Where-Object Status -ne 'Pass')
$problems | Export-Csv -Path $OutFile -NoTypeInformation

foreach ($e in $checkErrors) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if ($checkErrors.Count -gt 0) { exit 2 }
if (@($problems | Where-Object Status -eq 'Fail').Count -gt 0) { exit 1 }
exit 0
