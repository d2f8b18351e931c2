<#
.SYNOPSIS
    Weekly DMARC digest for cron or Task Scheduler: who sent mail as your domains last week, and what failed DMARC.
.DESCRIPTION
    Reads every DMARC aggregate report under -ReportFolder (XML, .gz, .zip, .eml or mbox, subfolders too) with
    Import-DmarcReport, keeps the rows of the last -Days days, and writes a digest to -OutFile as CSV: one row per
    domain (header From) and sending address with the messages that passed and failed DMARC, the reporters and the
    dispositions. The CSV header is written even when there is nothing to report, so the file always says the run
    happened. A short text summary goes to the output (no colour codes when it is not a terminal).
    With -DomainFile, each listed domain's DMARC record is checked too (Test-MailDmarc, with -Server and -ZoneFile).
    Exit codes:
      0  every report was read, no message failed DMARC, and every listed domain's record passed
      1  messages failed DMARC (see the Failed column), or a listed domain's record fails
      2  a report file or a record check could not be read (the rest is still in the digest)
      3  the script itself could not run (module not found, report folder or domain file missing or unreadable,
         output not writable)
.EXAMPLE
    pwsh -NoProfile -File ./examples/dmarc-weekly-report.ps1 -ReportFolder /var/mail/dmarc -OutFile /var/log/mailops/dmarc-week.csv
.EXAMPLE
    pwsh -NoProfile -File ./examples/dmarc-weekly-report.ps1 -ReportFolder ./reports -OutFile week.csv -DomainFile domains.txt -ZoneFile ./examples/zones/*.zone -Server 127.0.0.1:9
#>
param(
    [Parameter(Mandatory)] [string] $ReportFolder,
    [Parameter(Mandatory)] [string] $OutFile,
    [string] $DomainFile,
    # Rows whose reporting period ended within this many days; 0 keeps every row.
    [ValidateRange(0, 3650)] [int] $Days = 7,
    [string[]] $Server,
    [string[]] $ZoneFile,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$columns = 'Domain', 'SourceIP', 'Messages', 'Passed', 'Failed', 'Reporters', 'Dispositions'

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1') -ModulePath $ModulePath
    if (-not (Test-Path -LiteralPath $ReportFolder -PathType Container)) { throw "The report folder $ReportFolder does not exist or is not a folder." }
    $null = Get-ChildItem -LiteralPath $ReportFolder -Force   # unreadable: stops here
    $domains = @()
    if ($DomainFile) {
        $domains = @(Get-Content -LiteralPath $DomainFile | Where-Object { $_ -and $_ -notmatch '^\s*#' } | ForEach-Object { $_.Trim() })
        if ($domains.Count -eq 0) { throw "$DomainFile lists no domain." }
    }
    Set-Content -LiteralPath $OutFile -Value ('"' + ($columns -join '","') + '"')   # the header, even when nothing is wrong
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("dmarc-weekly-report: cannot run: $($_.Exception.Message)")
    exit 3
}

$since = if ($Days -gt 0) { (Get-Date).ToUniversalTime().AddDays(-$Days) } else { [datetime]::MinValue }
$rows = @(Import-DmarcReport -LiteralPath $ReportFolder -Recurse -ErrorVariable fileErrors -ErrorAction SilentlyContinue |
        Where-Object { -not $_.EndDate -or $_.EndDate -ge $since })

$digest = @($rows | Group-Object HeaderFrom, SourceIP | ForEach-Object {
        $g = $_.Group
        $failed = ($g | Where-Object DmarcResult -eq 'fail' | Measure-Object Count -Sum).Sum
        $all = ($g | Measure-Object Count -Sum).Sum
        [pscustomobject]@{
            Domain       = $g[0].HeaderFrom
            SourceIP     = $g[0].SourceIP
            Messages     = $all
            Passed       = $all - $failed
            Failed       = [long]$failed
            Reporters    = ($g.OrgName | Sort-Object -Unique) -join '; '
            Dispositions = ($g.Disposition | Sort-Object -Unique) -join '; '
        }
    } | Sort-Object @{ Expression = 'Failed'; Descending = $true }, @{ Expression = 'Messages'; Descending = $true }, Domain, SourceIP)
if ($digest.Count -gt 0) { $digest | Export-Csv -LiteralPath $OutFile -NoTypeInformation }

$policies = @()
$checkErrors = @()
if ($domains.Count -gt 0) {
    $dns = @{}
    if ($Server) { $dns.Server = $Server }
    if ($ZoneFile) { $dns.ZoneFile = $ZoneFile }
    $policies = @($domains | Test-MailDmarc @dns -ErrorVariable checkErrors -ErrorAction SilentlyContinue)
}

# The summary: plain text for the cron mail or the task's log.
$reports = @($rows | Select-Object -ExpandProperty ReportId -Unique).Count
$total = ($digest | Measure-Object Messages -Sum).Sum
$failedTotal = ($digest | Measure-Object Failed -Sum).Sum
"DMARC digest: $reports report(s), $([long]$total) message(s), $([long]$failedTotal) failed DMARC$(if ($Days -gt 0) { " (last $Days days)" })."
foreach ($d in ($digest | Group-Object Domain)) {
    $f = ($d.Group | Measure-Object Failed -Sum).Sum
    "  {0}: {1} message(s) from {2} address(es), {3} failed" -f $d.Name, ($d.Group | Measure-Object Messages -Sum).Sum, $d.Count, $f
}
foreach ($p in $policies) { "  {0}: DMARC record {1} (p={2})" -f $p.Domain, $p.Status, $p.Policy }

foreach ($e in @($fileErrors) + @($checkErrors)) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if (@($fileErrors).Count + @($checkErrors).Count -gt 0) { exit 2 }
if ($failedTotal -gt 0 -or @($policies | Where-Object Status -eq 'Fail').Count -gt 0) { exit 1 }
exit 0
