<#
.SYNOPSIS
    Rotates a domain's DKIM key the safe way: a new selector, published and checked before the signer switches.
.DESCRIPTION
    1. New-DkimKey writes <selector>.private (owner-only) and <selector>.txt for a new selector.
    2. You publish the line from <selector>.txt in the zone.
    3. Test-MailDkim -PrivateKeyPath checks, through DNS, that the published record is the pair of the new key.
    4. Only then point the signer (OpenDKIM KeyTable, rspamd dkim_signing, dkimpy) at the new key. Keep the old
       record published for a week, so mail signed before the switch still verifies.
.EXAMPLE
    ./Rotate-DkimKey.ps1 -Domain example.com -KeyDirectory /etc/opendkim/keys/example.com
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Domain,
    [Parameter(Mandatory)] [string] $KeyDirectory,
    [string] $Selector = ('s' + (Get-Date -Format 'yyyyMM')),
    [ValidateSet('Rsa', 'Ed25519')] [string] $Algorithm = 'Rsa',
    [string[]] $Server
)

$key = New-DkimKey -Selector $Selector -Domain $Domain -Algorithm $Algorithm -Path $KeyDirectory -ErrorAction Stop
if (-not $key) { return }   # -WhatIf
Write-Host "Publish this record in the $Domain zone, then press Enter:`n"
Write-Host $key.ZoneFileLine
$null = Read-Host

$dnsArgs = @{}
if ($Server) { $dnsArgs.Server = $Server }
$check = Test-MailDkim -Domain $Domain -Selector $Selector -PrivateKeyPath $key.PrivateKeyPath @dnsArgs
$check | Format-List DnsName, Found, KeyType, KeySize, PrivateKeyMatches, Status
if ($check.PrivateKeyMatches) {
    Write-Host "The record matches $($key.PrivateKeyPath). Switch the signer to selector '$Selector'."
} else {
    Write-Warning 'The published record does not match the new key yet (DNS caches may still hold the old answer). Do not switch the signer.'
    $check.Findings | Format-Table Severity, Code, Message -Wrap
}
