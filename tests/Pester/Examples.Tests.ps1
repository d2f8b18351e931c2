#Requires -Version 7.0
# The scheduled-job examples run as cron runs them: a child pwsh with -File, output redirected (not a terminal).
# Offline: -ZoneFile with -Server at a closed loopback port. Checks exit codes, the CSV (header even when nothing is
# wrong) and that no ANSI escape reaches a log.

BeforeAll {
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Module = Join-Path $Repo 'out/MailOps/MailOps.psd1'
    $script:Dead = '127.0.0.1:9'
    # The pwsh running these tests; under `dotnet pwsh` that is dotnet with pwsh.dll.
    $self = [Environment]::ProcessPath
    $script:Pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { @($self, (Join-Path $PSHOME 'pwsh.dll')) } else { @($self) }

    function Invoke-Example([string] $Name, [string[]] $Arguments) {
        $out = Join-Path $TestDrive "$([guid]::NewGuid()).out"
        $err = Join-Path $TestDrive "$([guid]::NewGuid()).err"
        $argList = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Repo "examples/$Name")) + $Arguments
        $p = Start-Process -FilePath $Pwsh[0] -ArgumentList $argList -RedirectStandardOutput $out -RedirectStandardError $err -Wait -PassThru -NoNewWindow
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = (Get-Content -Raw $out) + (Get-Content -Raw $err) }
    }
    function New-ListFile([string[]] $Lines) {
        $f = Join-Path $TestDrive "$([guid]::NewGuid()).txt"
        Set-Content -Path $f -Value (@('# a comment line') + $Lines)
        $f
    }
}

Describe 'examples/daily-mx-check.ps1' {
    BeforeAll {
        $script:Zones = Join-Path $Repo 'examples/zones/*.zone'
        $script:Fixtures = Join-Path $Repo 'tests/fixtures/dns/*.zone'
    }

    It 'exits 0 and writes the CSV header when every domain passes' {
        $csv = Join-Path $TestDrive 'ok.csv'
        $r = Invoke-Example 'daily-mx-check.ps1' @('-DomainFile', (New-ListFile 'example.com'), '-OutFile', $csv, '-ZoneFile', $Zones, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-Content $csv) | Should -Be '"Domain","Preference","HostName","Addresses","PtrName","Status","Findings"'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 1 and lists the host when a domain fails a check' {
        $csv = Join-Path $TestDrive 'fail.csv'
        $r = Invoke-Example 'daily-mx-check.ps1' @('-DomainFile', (New-ListFile 'example.com', 'no-such-domain.example.com'), '-OutFile', $csv, '-ZoneFile', $Fixtures, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 1 -Because $r.Output
        (Import-Csv $csv).Domain | Should -Contain 'no-such-domain.example.com'
    }

    It 'exits 2 when a check could not run, with the header and no colour codes' {
        $csv = Join-Path $TestDrive 'unsure.csv'
        $r = Invoke-Example 'daily-mx-check.ps1' @('-DomainFile', (New-ListFile 'unanswerable.test'), '-OutFile', $csv, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        (Get-Content $csv -TotalCount 1) | Should -BeLike '"Domain",*'
        $r.Output | Should -Match 'unanswerable.test'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 3 when the domain file is missing' {
        $r = Invoke-Example 'daily-mx-check.ps1' @('-DomainFile', (Join-Path $TestDrive 'none.txt'), '-OutFile', (Join-Path $TestDrive 'x.csv'), '-ModulePath', $Module)
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'cannot run'
    }

    It 'exits 3 when the module cannot be found' {
        $r = Invoke-Example 'daily-mx-check.ps1' @('-DomainFile', (New-ListFile 'example.com'), '-OutFile', (Join-Path $TestDrive 'y.csv'), '-ModulePath', (Join-Path $TestDrive 'no/MailOps.psd1'))
        $r.ExitCode | Should -Be 3
    }
}

Describe 'examples/daily-blocklist-check.ps1' {
    BeforeAll {
        $script:Zen = Join-Path $Repo 'tests/fixtures/dns/dnsbl/dnsbl-zen.spamhaus.org.zone'
        $script:Refusing = Join-Path $Repo 'tests/fixtures/dns/dnsbl/dnsbl-zen-public-resolver.zone'
    }

    It 'exits 0 with only the CSV header when no address is listed' {
        $csv = Join-Path $TestDrive 'clean.csv'
        $r = Invoke-Example 'daily-blocklist-check.ps1' @('-AddressFile', (New-ListFile '192.0.2.20'), '-OutFile', $csv, '-Zone', 'zen.spamhaus.org', '-ZoneFile', $Zen, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-Content $csv) | Should -Be '"Target","Zone","Status","ReturnCodes","Meaning","Reason","DelistUrl"'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 1 and writes the listing when an address is listed' {
        $csv = Join-Path $TestDrive 'listed.csv'
        $r = Invoke-Example 'daily-blocklist-check.ps1' @('-AddressFile', (New-ListFile '192.0.2.20', '192.0.2.10'), '-OutFile', $csv, '-Zone', 'zen.spamhaus.org', '-ZoneFile', $Zen, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $row = Import-Csv $csv
        $row.Target | Should -Be '192.0.2.10'
        $row.Status | Should -Be 'Listed'
    }

    It 'exits 2 when a list could not be asked (never clean when unsure)' {
        $csv = Join-Path $TestDrive 'refused.csv'
        $r = Invoke-Example 'daily-blocklist-check.ps1' @('-AddressFile', (New-ListFile '192.0.2.20'), '-OutFile', $csv, '-Zone', 'zen.spamhaus.org', '-ZoneFile', $Refusing, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        (Import-Csv $csv).Status | Should -Contain 'Error'
    }

    It 'exits 3 when the address file is missing' {
        $r = Invoke-Example 'daily-blocklist-check.ps1' @('-AddressFile', (Join-Path $TestDrive 'none.txt'), '-OutFile', (Join-Path $TestDrive 'z.csv'), '-ModulePath', $Module)
        $r.ExitCode | Should -Be 3
    }
}
