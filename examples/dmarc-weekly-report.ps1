<#
.SYNOPSIS
    Weekly DMARC summary for cron or Task Scheduler: the policy check and the aggregate reports of the last week.
.DESCRIPTION
    Checks the DMARC record of each domain in -DomainFile with Test-MailDmarc, imports every report file under
    -ReportFolder (XML, .gz, .zip, .eml or mbox) with Import-DmarcReport, and writes two CSV files: the sources that
    failed DMARC (with message counts) and, with -Parsedmarc, all rows in parsedmarc's CSV columns for an existing
    dashboard. Exits 1 when a policy check fails, 2 when a check or a report file could not be read, else 0.
.EXAMPLE
    pwsh -NoProfile -File ./examples/dmarc-weekly-report.ps1 -DomainFile domains.txt -ReportFolder /var/mail/dmarc -OutFolder ./out
#>
param(
    [Parameter(Mandatory)] [string] $DomainFile,
    [Parameter(Mandatory)] [string] $ReportFolder,
    [Parameter(Mandatory)] [string] $OutFolder,
    [switch] $Parsedmarc,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/MailOps/MailOps.psd1')
)

Import-Module $ModulePath -ErrorAction Stop
New-Item -ItemType Directory -Force -Path $OutFolder | Out-Null

$domains = Get-Content $DomainFile | Where-Object { $_ -and $_ -notmatch '^\s*#' } | ForEach-Object { $_.Trim() }
$policies = @($domains | Test-MailDmarc -ErrorVariable checkErrors -ErrorAction SilentlyContinue)
$policies | ForEach-Object {
    [pscustomobject]@{ Domain = $_.Domain; Policy = $_.Policy; PolicyDomain = $_.PolicyDomain; Status = $_.Status; Findings = "$($_.Findings.Code)" }
} | Export-Csv -Path (Join-Path $OutFolder 'dmarc-policies.csv') -NoTypeInformation

$since = (Get-Date).ToUniversalTime().AddDays(-7)
$rows = Import-DmarcReport -Path $ReportFolder -Recurse -ErrorVariable fileErrors -ErrorAction SilentlyContinue |
    Where-Object { $_.EndDate -ge $since }
$rows | Where-Object DmarcResult -eq 'fail' |
    Group-Object SourceIP, HeaderFrom |
    ForEach-Object { [pscustomobject]@{ Source = $_.Name; Messages = ($_.Group | Measure-Object Count -Sum).Sum } } |
    Sort-Object Messages -Descending |
    Export-Csv -Path (Join-Path $OutFolder 'dmarc-failing-sources.csv') -NoTypeInformation

if ($Parsedmarc) {
    Import-DmarcReport -Path $ReportFolder -Recurse -Format Parsedmarc -ErrorAction SilentlyContinue |
        Export-Csv -Path (Join-Path $OutFolder 'aggregate.csv') -NoTypeInformation
}

foreach ($e in @($checkErrors) + @($fileErrors)) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if (@($checkErrors).Count + @($fileErrors).Count -gt 0) { exit 2 }
if (@($policies | Where-Object Status -eq 'Fail').Count -gt 0) { exit 1 }
exit 0
