#Requires -Version 7.0
# The package as a user gets it: build.ps1 -Task Package writes the nupkg; a temporary PSResourceGet repository serves
# it; Save-PSResource installs MailOps by name into a temporary folder; a fresh pwsh that sees only that folder imports
# MailOps by name and runs the demo and a scheduled example from the installed copy. Offline (the example zones,
# -Server 127.0.0.1:9). Uses the module folder as built (out/MailOps; -NoBuild), so it takes about half a minute.

BeforeAll {
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $self = [Environment]::ProcessPath
    $script:Pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { @($self, (Join-Path $PSHOME 'pwsh.dll')) } else { @($self) }
    function Invoke-Pwsh([string[]] $Arguments, [hashtable] $Environment = @{}) {
        $out = Join-Path $TestDrive "$([guid]::NewGuid()).out"
        $err = Join-Path $TestDrive "$([guid]::NewGuid()).err"
        $argList = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
        $p = Start-Process -FilePath $Pwsh[0] -ArgumentList $argList -RedirectStandardOutput $out -RedirectStandardError $err -Wait -PassThru -NoNewWindow -Environment $Environment
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = (Get-Content -Raw $out) + (Get-Content -Raw $err) }
    }

    $script:Packages = Join-Path $TestDrive 'packages'
    $build = Invoke-Pwsh @('-File', (Join-Path $Repo 'build.ps1'), '-Task', 'Package', '-NoBuild', '-PackagePath', $Packages)
    $build.ExitCode | Should -Be 0 -Because $build.Output
    $script:Nupkg = @(Get-ChildItem $Packages -Filter 'MailOps.*.nupkg')

    $script:RepoName = "MailOpsPackageTest-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    Register-PSResourceRepository -Name $RepoName -Uri $Packages -Trusted
    $script:Installed = Join-Path $TestDrive 'modules'
    $null = New-Item -ItemType Directory -Path $Installed
    Save-PSResource -Name MailOps -Repository $RepoName -Path $Installed -TrustRepository
    # A fresh pwsh that finds MailOps only in the temporary folder (plus pwsh's own modules).
    $script:FreshEnv = @{ PSModulePath = $Installed + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules') }
}

AfterAll {
    if ($RepoName) { Unregister-PSResourceRepository -Name $RepoName -ErrorAction SilentlyContinue }
}

Describe 'build.ps1 -Task Package' {
    It 'writes one nupkg that carries the module, examples/ and the example zones' {
        $Nupkg.Count | Should -Be 1
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($Nupkg[0].FullName)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        foreach ($f in 'MailOps.psd1', 'MailOps.psm1', 'dependencies/MailOps.dll', 'dependencies/MailKit.dll', 'dependencies/MimeKit.dll', 'en-US/about_MailOps.help.txt',
            'examples/demo-checks.ps1', 'examples/daily-mx-check.ps1', 'examples/dmarc-weekly-report.ps1',
            'examples/zones/example.com.zone', 'examples/spf/example.com.zone', 'examples/spf/Check-Spf.ps1') {
            $entries | Should -Contain $f
        }
    }

    It 'installs by name from a PSResourceGet repository' {
        Join-Path $Installed 'MailOps/*/MailOps.psd1' | Should -Exist
    }

    It 'imports by name in a fresh pwsh and runs the demo from the installed copy, offline' {
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module MailOps
$m = Get-Module MailOps
"ModuleBase=$($m.ModuleBase)"
& (Join-Path $m.ModuleBase 'examples/demo-checks.ps1')
# MailKit (the IMAP client) loads from the installed copy into MailOps' own context: a closed port is an ImapConnectFailed
# error, not a missing assembly.
$c = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
Import-DmarcReport -ImapServer 127.0.0.1:9 -Credential $c -ErrorAction SilentlyContinue -ErrorVariable ie
"Imap=$($ie[0].FullyQualifiedErrorId)"
"MailKitContext=$(@([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object { $_.Assemblies.GetName().Name -contains 'MailKit' } | ForEach-Object Name) -join ';')"
(Get-Help about_MailOps | Out-String) -match 'THE -QUIET RULE'
'@
        $file = Join-Path $TestDrive 'demo-from-package.ps1'
        Set-Content -LiteralPath $file -Value $script
        $r = Invoke-Pwsh @('-File', $file) $FreshEnv
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape("ModuleBase=$Installed"))
        $r.Output | Should -Match 'mail\.example\.com'          # Get-MailMx from examples/zones
        $r.Output | Should -Match 'Test-MailSpf example.com'
        $r.Output | Should -Match 'Imap=ImapConnectFailed,'
        $r.Output | Should -Match 'MailKitContext=MailOps'     # MailOps' own AssemblyLoadContext, not Default
        $r.Output | Should -Not -Match 'Exception|Error'
        $r.Output | Should -Match 'True\s*$'                    # about_MailOps is found in the installed copy
        $r.Output | Should -Not -Match "`e\["                   # no colour codes in a log
    }

    It 'runs a scheduled example from the installed copy without -ModulePath' {
        $base = (Get-ChildItem (Join-Path $Installed 'MailOps') -Directory)[0].FullName
        $domains = Join-Path $TestDrive 'domains.txt'; Set-Content $domains 'example.com'
        $csv = Join-Path $TestDrive 'mx.csv'
        $r = Invoke-Pwsh @('-File', (Join-Path $base 'examples/daily-mx-check.ps1'), '-DomainFile', $domains, '-OutFile', $csv,
            '-ZoneFile', (Join-Path $base 'examples/zones/*.zone'), '-Server', '127.0.0.1:9') $FreshEnv
        $r.ExitCode | Should -Be 0 -Because $r.Output
        (Get-Content $csv -TotalCount 1) | Should -BeLike '"Domain",*'
    }
}
