# Audits the example domain's SPF record offline, prints the include tree, and asks whether three senders pass.
# Run from the repository root after building: ./examples/spf/Check-Spf.ps1
[CmdletBinding()]
param(
    [string] $ZoneFile = (Join-Path $PSScriptRoot 'example.com.zone')
)
Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -ErrorAction Stop
$dns = @{ ZoneFile = $ZoneFile; Server = '127.0.0.1:9' }   # nothing leaves the machine

$audit = Test-MailSpf -Domain example.com @dns
$audit
$audit.ToTreeString()
$audit.Findings | Format-List Severity, Code, Message, Remedy

'192.0.2.25', '198.51.100.7', '203.0.113.9' |
    ForEach-Object { Test-MailSpf -Domain example.com -IPAddress $_ -Sender news@example.com @dns } |
    Format-Table Domain, IPAddress, Result, MatchedTerm, Explanation
