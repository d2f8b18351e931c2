<#
.SYNOPSIS
    Audits a domain's SPF record, prints the include tree, and asks whether some sending addresses pass.
.DESCRIPTION
    Without -ZoneFile and -Server it runs offline on the example zone next to it (examples/spf/example.com.zone), so
    it shows what the audit looks like on a fresh machine. With your own -Domain, -ZoneFile and -Server it is a
    check for cron or Task Scheduler. Exit codes:
      0  the record passed the audit and every -IPAddress passes
      1  the audit found a Fail, or an address does not pass (fail, softfail, neutral, none)
      2  a check could not run (DNS timeout, SERVFAIL, refused; SPF temperror)
      3  the script itself could not run (module not found, zone file missing)
    Writes no colour codes when its output is not a terminal.
.EXAMPLE
    pwsh -NoProfile -File ./examples/spf/Check-Spf.ps1
.EXAMPLE
    pwsh -NoProfile -File ./examples/spf/Check-Spf.ps1 -Domain example.org -IPAddress 203.0.113.5 -Server 192.0.2.53
#>
[CmdletBinding()]
param(
    [string] $Domain = 'example.com',
    [string[]] $IPAddress = @('192.0.2.25', '198.51.100.7', '203.0.113.9'),
    [string] $Sender,
    [string[]] $Server,
    [string[]] $ZoneFile,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot '../Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $dns = @{}
    if (-not $ZoneFile -and -not $Server) {
        # The demo: the example zone, and a closed port as the server, so nothing leaves the machine.
        $dns.ZoneFile = Join-Path $PSScriptRoot 'example.com.zone'
        $dns.Server = '127.0.0.1:9'
    }
    if ($ZoneFile) {
        foreach ($z in $ZoneFile) { if (-not (Resolve-Path -Path $z)) { throw "No zone file matches $z." } }
        $dns.ZoneFile = $ZoneFile
    }
    if ($Server) { $dns.Server = $Server }
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("Check-Spf: cannot run: $($_.Exception.Message)")
    exit 3
}

$audit = Test-MailSpf -Domain $Domain @dns -ErrorVariable checkErrors -ErrorAction SilentlyContinue -ProgressAction SilentlyContinue
$answers = @()
if ($audit) {
    $audit | Format-Table | Out-String -Width 120
    $audit.ToTreeString()
    $audit.Findings | Format-List Severity, Code, Message, Remedy | Out-String -Width 120
    $spfArgs = @{}
    if ($Sender) { $spfArgs.Sender = $Sender }
    $answers = @($IPAddress | ForEach-Object {
            Test-MailSpf -Domain $Domain -IPAddress $_ @spfArgs @dns -ErrorVariable +checkErrors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue -ProgressAction SilentlyContinue
        })
    $answers | Format-Table Domain, IPAddress, Result, MatchedTerm, Explanation -Wrap | Out-String -Width 120
}

foreach ($e in $checkErrors) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if ($checkErrors.Count -gt 0 -or -not $audit -or @($answers | Where-Object Result -in 'temperror', 'permerror').Count -gt 0) { exit 2 }
if ($audit.Status -eq 'Fail' -or @($answers | Where-Object Result -ne 'pass').Count -gt 0) { exit 1 }
exit 0
