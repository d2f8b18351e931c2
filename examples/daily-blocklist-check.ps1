<#
.SYNOPSIS
    Daily blocklist check of your sending addresses, for cron or Task Scheduler.
.DESCRIPTION
    Checks every address in -AddressFile (one IP address per line, # comments allowed) against the blocklists
    (Get-DnsblListing; -Zone to choose them, -DqsKey for Spamhaus's Data Query Service) and writes every listing
    and every list that could not be asked to -OutFile as CSV (header written even when nothing is wrong).
    Never "clean" when unsure: a list that could not be asked is not a pass. Exit codes:
      0  every address was checked on every list and none is listed
      1  an address is listed
      2  a list could not be asked (timeout, refused public resolver, over quota, dead zone)
      3  the script itself could not run (module not found, address file missing or empty, output not writable)
    Writes no colour codes when its output is not a terminal.
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-blocklist-check.ps1 -AddressFile /etc/mailops/ips.txt -OutFile /var/log/mailops/dnsbl.csv -Server 127.0.0.1
.EXAMPLE
    pwsh -NoProfile -File ./examples/daily-blocklist-check.ps1 -AddressFile ips.txt -OutFile dnsbl.csv -DqsKey $env:SPAMHAUS_DQS_KEY
#>
param(
    [Parameter(Mandatory)] [string] $AddressFile,
    [Parameter(Mandatory)] [string] $OutFile,
    [string[]] $Zone,
    [string] $DqsKey,
    [string[]] $Server,
    [string[]] $ZoneFile,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$columns = 'Target', 'Zone', 'Status', 'ReturnCodes', 'Meaning', 'Reason', 'DelistUrl'

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $addresses = @(Get-Content -LiteralPath $AddressFile | Where-Object { $_ -and $_ -notmatch '^\s*#' } | ForEach-Object { $_.Trim() })
    if ($addresses.Count -eq 0) { throw "$AddressFile lists no address." }
    Set-Content -LiteralPath $OutFile -Value ('"' + ($columns -join '","') + '"')
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("daily-blocklist-check: cannot run: $($_.Exception.Message)")
    exit 3
}

$options = @{}
if ($Zone) { $options.Zone = $Zone }
if ($DqsKey) { $options.DqsKey = $DqsKey }
if ($Server) { $options.Server = $Server }
if ($ZoneFile) { $options.ZoneFile = $ZoneFile }
$results = @($addresses | Get-DnsblListing @options -ErrorVariable checkErrors -ErrorAction SilentlyContinue -ProgressAction SilentlyContinue)
$rows = @($results | Where-Object Status -ne 'NotListed' | ForEach-Object {
        $r = $_
        $o = [ordered]@{}
        foreach ($c in $columns) { $o[$c] = if ($r.PSObject.Properties[$c]) { @($r.$c) -join '; ' } else { $null } }
        [pscustomobject]$o
    })
if ($rows.Count -gt 0) { $rows | Export-Csv -LiteralPath $OutFile -NoTypeInformation }

foreach ($e in $checkErrors) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
$listed = @($results | Where-Object Status -eq 'Listed').Count
if ($listed -gt 0) { exit 1 }
if ($checkErrors.Count -gt 0 -or @($results | Where-Object Status -eq 'Error').Count -gt 0 -or $results.Count -eq 0) { exit 2 }
exit 0
