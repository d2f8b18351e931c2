<#
.SYNOPSIS
    Rotates a domain's DKIM key the safe way: a new selector, published and checked before the signer switches.
.DESCRIPTION
    Run it twice:
    1. Without -Check: New-DkimKey writes <selector>.private (owner-only) and <selector>.txt for a new selector into
       -KeyDirectory (created when missing) and the script prints the zone-file line to publish. -WhatIf shows what
       it would write.
    2. After publishing, with -Check: Test-MailDkim -PrivateKeyPath checks, through DNS (-Server, -ZoneFile), that the
       published record is the pair of the new key.
    Only then point the signer (OpenDKIM KeyTable, rspamd dkim_signing, dkimpy) at the new key. Keep the old record
    published for a week, so mail signed before the switch still verifies.
    Exit codes:
      0  the key was written (step 1), or the published record matches the key (step 2)
      1  the published record is missing or does not match the key yet (do not switch the signer)
      2  the DNS check could not run (timeout, SERVFAIL, refused)
      3  the script itself could not run (module not found, key missing for -Check, folder not writable, key exists)
    Writes no colour codes when its output is not a terminal.
.EXAMPLE
    pwsh -NoProfile -File ./examples/dkim/Rotate-DkimKey.ps1 -Domain example.com -KeyDirectory /etc/opendkim/keys/example.com -Selector s202612
.EXAMPLE
    pwsh -NoProfile -File ./examples/dkim/Rotate-DkimKey.ps1 -Domain example.com -KeyDirectory /etc/opendkim/keys/example.com -Selector s202612 -Check
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Domain,
    [Parameter(Mandatory)] [string] $KeyDirectory,
    [string] $Selector = ('s' + (Get-Date -Format 'yyyyMM')),
    [ValidateSet('Rsa', 'Ed25519')] [string] $Algorithm = 'Rsa',
    [switch] $Check,
    [string[]] $Server,
    [string[]] $ZoneFile,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot '../Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $keyFile = Join-Path $KeyDirectory ($Selector + $(if ($Algorithm -eq 'Ed25519') { '.seed' } else { '.private' }))
    if (-not $Check) {
        if (-not (Test-Path -LiteralPath $KeyDirectory -PathType Container)) {
            $null = New-Item -ItemType Directory -Path $KeyDirectory -Force -WhatIf:$WhatIfPreference
            if ($WhatIfPreference) { "What if: New-DkimKey would write $Selector keys for $Domain into $KeyDirectory."; exit 0 }
        }
        $key = New-DkimKey -Selector $Selector -Domain $Domain -Algorithm $Algorithm -Path $KeyDirectory -WhatIf:$WhatIfPreference
        if (-not $key) { exit 0 }   # -WhatIf
        "Wrote $($key.PrivateKeyPath) and $($key.TxtPath). Publish this record in the $Domain zone:"
        ''
        $key.ZoneFileLine
        ''
        "Then run this script again with -Check before switching the signer to selector '$Selector'."
        exit 0
    }
    if (-not (Test-Path -LiteralPath $keyFile -PathType Leaf)) { throw "The key $keyFile does not exist: run without -Check first." }
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("Rotate-DkimKey: cannot run: $($_.Exception.Message)")
    exit 3
}

$dns = @{}
if ($Server) { $dns.Server = $Server }
if ($ZoneFile) { $dns.ZoneFile = $ZoneFile }
$result = Test-MailDkim -Domain $Domain -Selector $Selector -PrivateKeyPath $keyFile @dns -ErrorVariable checkErrors -ErrorAction SilentlyContinue
foreach ($e in $checkErrors) { Write-Warning "$($e.TargetObject): $($e.Exception.Message)" }
if ($checkErrors.Count -gt 0 -or -not $result) { exit 2 }
$result | Format-List DnsName, Found, KeyType, KeySize, PrivateKeyMatches, Status | Out-String -Width 120
if ($result.PrivateKeyMatches) {
    "The record matches $keyFile. Switch the signer to selector '$Selector'."
    exit 0
}
Write-Warning 'The published record does not match the new key yet (DNS caches may still hold the old answer). Do not switch the signer.'
$result.Findings | Format-Table Severity, Code, Message -Wrap | Out-String -Width 120
exit 1
