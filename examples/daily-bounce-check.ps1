<#
.SYNOPSIS
    Daily bounce-rate check on the Postfix mail log, for cron or Task Scheduler.
.DESCRIPTION
    Reads the mail log and its rotations (-LogPath, default /var/log/mail.log*) from -Since (default: eight days ago, so
    that the last day is judged against the seven before it), counts the deliveries per day and provider
    (Get-MailDeliveryStat) and writes every finding - a bounce or deferral spike against the trailing days, or a block
    (blocklist, reputation, rDNS, authentication) - to -OutFile as CSV (header written even when nothing is wrong), and
    the daily counts to standard output. Exit codes:
      0  no spike and no block
      1  a spike or a block was found (the CSV says which, the dominant reason and the command that proves or fixes it)
      2  the check is unsure: a log file could not be read, or the log holds no delivery at all since -Since
      3  the script itself could not run (module not found, no log file, output not writable)
    Writes no colour codes when its output is not a terminal.
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-bounce-check.ps1 -OutFile /var/log/mailops/bounces.csv
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-bounce-check.ps1 -LogPath /var/log/maillog* -OutFile bounces.csv -Since (Get-Date).Date.AddDays(-15) -Baseline 14
#>
param(
    [string[]] $LogPath = '/var/log/mail.log*',
    [Parameter(Mandatory)] [string] $OutFile,
    [datetime] $Since = (Get-Date).Date.AddDays(-8),
    [ValidateRange(1, 366)] [int] $Baseline = 7,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$columns = 'Kind', 'PeriodText', 'Provider', 'Rate', 'BaselineRate', 'Count', 'Total', 'Reason', 'Blocklist', 'RemedyCommand', 'Message'

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $files = @($LogPath | ForEach-Object { Get-Item -Path $_ -ErrorAction SilentlyContinue } | Where-Object { -not $_.PSIsContainer })
    if ($files.Count -eq 0) { throw "no mail log matches $($LogPath -join ', ')." }
    Set-Content -LiteralPath $OutFile -Value ('"' + ($columns -join '","') + '"')
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("daily-bounce-check: cannot run: $($_.Exception.Message)")
    exit 3
}

$results = @($files | Get-MailDeliveryLog -Since $Since -ErrorVariable readErrors -ErrorAction SilentlyContinue |
        Get-MailDeliveryStat -Baseline $Baseline -ErrorVariable statErrors -ErrorAction SilentlyContinue)
$rows = @($results | Where-Object { $_.PSObject.TypeNames[0] -eq 'MailOps.Logs.MailDeliveryStat' })
$findings = @($results | Where-Object { $_.PSObject.TypeNames[0] -eq 'MailOps.Logs.MailDeliveryFinding' })

$rows | Format-Table Key, Attempts, Sent, Deferred, Bounced, Expired, BounceRate, DeferralRate, TopReasons -AutoSize | Out-String -Width 200 | Write-Output
if ($findings.Count -gt 0) {
    $findings | Select-Object $columns | Export-Csv -LiteralPath $OutFile -NoTypeInformation
    foreach ($f in $findings) { Write-Output "$($f.Kind): $($f.Message) Fix with: $($f.RemedyCommand)" }
}

foreach ($e in @($readErrors) + @($statErrors)) { if ($e) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" } }
if ($findings.Count -gt 0) { exit 1 }
if (@($readErrors).Count -gt 0 -or @($statErrors).Count -gt 0) { exit 2 }
if ($rows.Count -eq 0) {
    Write-Warning "No delivery logged since $($Since.ToString('yyyy-MM-dd')) in $($files.FullName -join ', '): is this the right log?"
    exit 2
}
exit 0
