<#
.SYNOPSIS
    Imports MailOps for the example scripts (dot-sourced by each of them): -ModulePath when given (it must exist);
    else the repository's build (out/MailOps) or the module folder these examples ship in; else MailOps by name.
    Does nothing when MailOps is already imported. Throws when the module cannot be found, so the caller exits 3.
#>
param([string] $ModulePath)

if (-not (Get-Module MailOps)) {
    $found = if ($ModulePath) {
        if (-not (Test-Path -LiteralPath $ModulePath -PathType Leaf)) { throw "The module manifest $ModulePath does not exist." }
        $ModulePath
    } else {
        (Join-Path $PSScriptRoot '../out/MailOps/MailOps.psd1'), (Join-Path $PSScriptRoot '../MailOps.psd1') |
            Where-Object { (Test-Path -LiteralPath $_ -PathType Leaf) -and (Test-Path (Join-Path (Split-Path $_) 'dependencies')) } |
            Select-Object -First 1
    }
    if ($found) { Import-Module $found -ErrorAction Stop } else { Import-Module MailOps -ErrorAction Stop }
}
