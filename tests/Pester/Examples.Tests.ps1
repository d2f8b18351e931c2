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

Describe 'examples/dmarc-weekly-report.ps1' {
    BeforeAll {
        # An aggregate report as receivers send them; EndDate 2023-11-15, so -Days 0 keeps it and -Days 7 does not.
        function New-Report([string] $Id, [string[]] $Rows) {
            "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>$Id</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>$($Rows -join '')</feedback>"
        }
        function New-Row([string] $Ip, [int] $Count, [string] $Dkim, [string] $Spf) {
            "<record><row><source_ip>$Ip</source_ip><count>$Count</count><policy_evaluated><disposition>none</disposition><dkim>$Dkim</dkim><spf>$Spf</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>$Spf</result></spf></auth_results></record>"
        }
        function New-ReportFolder([hashtable] $Files) {
            $dir = Join-Path $TestDrive ([guid]::NewGuid())
            $null = New-Item -ItemType Directory -Path (Join-Path $dir 'sub')
            foreach ($k in $Files.Keys) { Set-Content -LiteralPath (Join-Path $dir $k) -Value $Files[$k] }
            $dir
        }
        $script:Header = '"Domain","SourceIP","Messages","Passed","Failed","Reporters","Dispositions"'
        $script:DmarcZone = Join-Path $Repo 'tests/fixtures/dns/dmarc.example.zone'
    }

    It 'exits 0 with only the CSV header when every message passed' {
        $dir = New-ReportFolder @{ 'a.xml' = (New-Report 'r1' (New-Row '192.0.2.1' 10 'pass' 'pass')) }
        $csv = Join-Path $TestDrive 'pass.csv'
        $r = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-Content $csv)[0] | Should -Be $Header
        (Import-Csv $csv).Passed | Should -Be 10
        $r.Output | Should -Match '1 report\(s\), 10 message\(s\), 0 failed'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'leaves out reports older than -Days, still writing the header' {
        $dir = New-ReportFolder @{ 'a.xml' = (New-Report 'r1' (New-Row '192.0.2.9' 5 'fail' 'fail')) }
        $csv = Join-Path $TestDrive 'week.csv'
        $r = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-Content $csv) | Should -Be $Header
    }

    It 'exits 1 and puts the failing source first when messages failed DMARC' {
        $dir = New-ReportFolder @{
            'a.xml'     = (New-Report 'r1' (New-Row '192.0.2.1' 10 'pass' 'pass'), (New-Row '203.0.113.7' 3 'fail' 'fail'))
            'sub/b.xml' = (New-Report 'r2' (New-Row '203.0.113.7' 4 'fail' 'fail'))
        }
        $csv = Join-Path $TestDrive 'fail.csv'
        $r = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $rows = @(Import-Csv $csv)
        $rows[0].SourceIP | Should -Be '203.0.113.7'
        $rows[0].Failed | Should -Be 7
        $rows[1].SourceIP | Should -Be '192.0.2.1'
    }

    It 'exits 2 when a report file cannot be read, and still digests the others' {
        $dir = New-ReportFolder @{ 'a.xml' = (New-Report 'r1' (New-Row '192.0.2.1' 2 'pass' 'pass')); 'broken.xml' = '<feedback><report_metadata>' }
        $csv = Join-Path $TestDrive 'broken.csv'
        $r = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'broken.xml'
        (Import-Csv $csv).SourceIP | Should -Be '192.0.2.1'
    }

    It 'checks the listed domains with -ZoneFile and -Server: exit 1 for a missing DMARC record' {
        $dir = New-ReportFolder @{ 'a.xml' = (New-Report 'r1' (New-Row '192.0.2.1' 2 'pass' 'pass')) }
        $csv = Join-Path $TestDrive 'dom.csv'
        $ok = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-DomainFile', (New-ListFile 'good.example'), '-ZoneFile', $DmarcZone, '-Server', $Dead, '-ModulePath', $Module)
        $ok.ExitCode | Should -Be 0 -Because $ok.Output
        $ok.Output | Should -Match 'good.example: DMARC record Pass'
        $bad = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-DomainFile', (New-ListFile 'nodmarc.example'), '-ZoneFile', $DmarcZone, '-Server', $Dead, '-ModulePath', $Module)
        $bad.ExitCode | Should -Be 1 -Because $bad.Output
        $unsure = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', $csv, '-Days', '0', '-DomainFile', (New-ListFile 'unanswerable.test'), '-ZoneFile', $DmarcZone, '-Server', $Dead, '-ModulePath', $Module)
        $unsure.ExitCode | Should -Be 2 -Because $unsure.Output
    }

    It 'exits 3 when the report folder <Case>' -ForEach @(
        @{ Case = 'is missing'; Folder = { Join-Path $TestDrive 'no-such-folder' } }
        @{ Case = 'is a file'; Folder = { New-ListFile 'x' } }
    ) {
        $r = Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', (& $Folder), '-OutFile', (Join-Path $TestDrive 'x.csv'), '-ModulePath', $Module)
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'cannot run'
    }

    It 'exits 3 when the domain file is missing or the module cannot be found' {
        $dir = New-ReportFolder @{}
        (Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', (Join-Path $TestDrive 'y.csv'), '-DomainFile', (Join-Path $TestDrive 'none.txt'), '-ModulePath', $Module)).ExitCode | Should -Be 3
        (Invoke-Example 'dmarc-weekly-report.ps1' @('-ReportFolder', $dir, '-OutFile', (Join-Path $TestDrive 'y.csv'), '-ModulePath', (Join-Path $TestDrive 'no/MailOps.psd1'))).ExitCode | Should -Be 3
    }
}

Describe 'examples/spf/Check-Spf.ps1' {
    BeforeAll { $script:SpfZone = Join-Path $Repo 'examples/spf/example.com.zone' }

    It 'runs offline on the example zone with no arguments: the tree, and exit 1 for the sender that fails' {
        $r = Invoke-Example 'spf/Check-Spf.ps1' @()
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $r.Output | Should -Match 'include:_spf.mailer.example.com'
        $r.Output | Should -Match '203.0.113.9 +fail'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 0 when the audit passes and every address passes, with -ZoneFile and -Server' {
        $r = Invoke-Example 'spf/Check-Spf.ps1' @('-IPAddress', '192.0.2.25', '-ZoneFile', $SpfZone, '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
    }

    It 'exits 2 when the record cannot be looked up' {
        $r = Invoke-Example 'spf/Check-Spf.ps1' @('-Domain', 'unanswerable.test', '-Server', $Dead, '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'unanswerable.test'
    }

    It 'exits 3 when the zone file or the module is missing' {
        (Invoke-Example 'spf/Check-Spf.ps1' @('-ZoneFile', (Join-Path $TestDrive 'none.zone'), '-ModulePath', $Module)).ExitCode | Should -Be 3
        (Invoke-Example 'spf/Check-Spf.ps1' @('-ModulePath', (Join-Path $TestDrive 'no/MailOps.psd1'))).ExitCode | Should -Be 3
    }
}

Describe 'examples/dkim/Rotate-DkimKey.ps1' {
    It 'writes the key into a new folder, then -Check passes against the published record' {
        $keys = Join-Path $TestDrive 'keys/example.com'
        $new = Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's1', '-ModulePath', $Module)
        $new.ExitCode | Should -Be 0 -Because $new.Output
        $new.Output | Should -Match 's1._domainkey.example.com.\s+IN\s+TXT'
        Join-Path $keys 's1.private' | Should -Exist
        # "Publishing" the record: the .txt New-DkimKey wrote is a zone file.
        $check = Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's1', '-Check', '-ZoneFile', (Join-Path $keys 's1.txt'), '-Server', $Dead, '-ModulePath', $Module)
        $check.ExitCode | Should -Be 0 -Because $check.Output
        $check.Output | Should -Match 'Switch the signer'
        $check.Output | Should -Not -Match "`e\["
    }

    It 'exits 1 when the published record is another key, 2 when DNS does not answer' {
        $keys = Join-Path $TestDrive 'k2'; $other = Join-Path $TestDrive 'k3'
        foreach ($d in $keys, $other) {
            (Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $d, '-Selector', 's2', '-Algorithm', 'Ed25519', '-ModulePath', $Module)).ExitCode | Should -Be 0
        }
        $mismatch = Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's2', '-Algorithm', 'Ed25519', '-Check', '-ZoneFile', (Join-Path $other 's2.txt'), '-Server', $Dead, '-ModulePath', $Module)
        $mismatch.ExitCode | Should -Be 1 -Because $mismatch.Output
        $unsure = Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's2', '-Algorithm', 'Ed25519', '-Check', '-Server', $Dead, '-ModulePath', $Module)
        $unsure.ExitCode | Should -Be 2 -Because $unsure.Output
    }

    It 'writes nothing with -WhatIf, and exits 3 for -Check without a key or when the key exists' {
        $keys = Join-Path $TestDrive 'k4'
        (Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's4', '-WhatIf', '-ModulePath', $Module)).ExitCode | Should -Be 0
        $keys | Should -Not -Exist
        (Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's4', '-Check', '-ModulePath', $Module)).ExitCode | Should -Be 3
        (Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's4', '-ModulePath', $Module)).ExitCode | Should -Be 0
        $again = Invoke-Example 'dkim/Rotate-DkimKey.ps1' @('-Domain', 'example.com', '-KeyDirectory', $keys, '-Selector', 's4', '-ModulePath', $Module)
        $again.ExitCode | Should -Be 3 -Because 'New-DkimKey never overwrites a key without -Force'
    }
}
