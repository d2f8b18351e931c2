#Requires -Version 7.0
# Pester 5 suite for Get-MailMx. Mirrors tests/MailOps.Module.Tests/GetMailMxTests.cs, on the recorded fixtures
# through -ZoneFile (offline; -Server 127.0.0.1:9 makes anything that escapes the zone files fail instead of
# reaching the internet). Build first: dotnet build src/MailOps (or ./build.ps1 -Task Build).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    $offline = @{
        ZoneFile   = Join-Path $PSScriptRoot '../fixtures/dns/*.zone'
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
    }
}

Describe 'Get-MailMx' {
    It 'binds domain names from the pipeline and lists MX hosts in preference order' {
        $r = @('example.com', 'nullmx.example.com' | Get-MailMx @offline)
        $r.Count | Should -Be 3
        $r[0].HostName | Should -Be 'mail.example.com'
        $r[0].Preference | Should -Be 10
        @($r[0].IPv4Address) | Should -Be @('192.0.2.10')
        @($r[0].IPv6Address) | Should -Be @('2001:db8::10')
        @($r[0].PtrName) | Should -Be @('mail.example.com')
        $r[0].Status | Should -Be 'Pass'
        $r[1].HostName | Should -Be 'backup.example.com'
        $r[2].IsNullMx | Should -BeTrue
        $r[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Mx.MailMxHost'
    }

    It 'binds Import-Csv rows by their Domain, Name or DomainName column' {
        $rows = @"
Domain
nomx.example.com
nothing.example.com
"@ | ConvertFrom-Csv
        $r = @($rows | Get-MailMx @offline)
        $r.Domain | Should -Be @('nomx.example.com', 'nothing.example.com')
        $r[0].IsImplicit | Should -BeTrue
        $r[1].Status | Should -Be 'Fail'
        $byAlias = @([pscustomobject]@{ DomainName = 'cname-mx.example.com' } | Get-MailMx @offline)
        $byAlias[0].Findings.Code | Should -Be 'MxTargetIsCname'
    }

    It 'reports every MX finding' -ForEach @(
        @{ Domain = 'nullmx.example.com'; Code = 'NullMx' }
        @{ Domain = 'mixednull.example.com'; Code = 'NullMxWithOtherMx' }
        @{ Domain = 'nomx.example.com'; Code = 'ImplicitMx' }
        @{ Domain = 'nothing.example.com'; Code = 'NoMx' }
        @{ Domain = 'no-such-domain.example.com'; Code = 'DomainNotFound' }
        @{ Domain = 'cname-mx.example.com'; Code = 'MxTargetIsCname' }
        @{ Domain = 'literal-mx.example.com'; Code = 'MxTargetIsIpLiteral' }
        @{ Domain = 'noaddr-mx.example.com'; Code = 'MxHostNoAddress' }
        @{ Domain = 'private-mx.example.com'; Code = 'MxHostNonPublicAddress' }
    ) {
        $codes = @(Get-MailMx -Domain $Domain @offline | ForEach-Object { $_.Findings.Code })
        $codes | Should -Contain $Code
    }

    It 'writes a DNS error for a domain it cannot look up, and goes on with the next' {
        # unanswerable.test is in no fixture zone, so it goes to the dead server (example.org is in spf.example.org.zone).
        $r = @('unanswerable.test', 'nullmx.example.com' | Get-MailMx @offline -ErrorVariable dnsErrors -ErrorAction SilentlyContinue)
        $dnsErrors.Count | Should -Be 1
        $dnsErrors[0].FullyQualifiedErrorId | Should -Match '^(DnsNetworkError|DnsTimeout),MailOps.Commands.GetMailMxCommand$'
        $dnsErrors[0].TargetObject | Should -Be 'unanswerable.test'
        $r.Count | Should -Be 1
        $r[0].Domain | Should -Be 'nullmx.example.com'
    }

    It 'stops with InvalidZoneFile naming the file and line of a bad zone-file line' {
        $bad = Join-Path $TestDrive 'bad.zone'
        Set-Content -Path $bad -Value "`$ORIGIN bad.example.`n@ 60 IN SOA ns host 1 1 1 1 1`nmail 60 IN A 999.1.1.1"
        { Get-MailMx bad.example -ZoneFile $bad -Server 127.0.0.1:9 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidZoneFile,MailOps.Commands.GetMailMxCommand'
        try { Get-MailMx bad.example -ZoneFile $bad -Server 127.0.0.1:9 -ErrorAction Stop } catch { $_.Exception.Message | Should -Match 'bad\.zone:3:' }
    }

    It 'stops with InvalidDnsServer for a malformed -Server' {
        { Get-MailMx example.com -Server '127.0.0.1:99999' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDnsServer,MailOps.Commands.GetMailMxCommand'
    }

    It 'writes InvalidDomainName for a bad name and still checks the good one' {
        $r = @('bad..name', 'example.com' | Get-MailMx @offline -ErrorVariable e -ErrorAction SilentlyContinue)
        $e[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDomainName,*'
        $r.Count | Should -Be 2
    }

    It 'exports to CSV with readable multi-valued columns' {
        $csv = Join-Path $TestDrive 'mx.csv'
        Get-MailMx mixednull.example.com @offline | Export-Csv -Path $csv -NoTypeInformation
        $rows = Import-Csv $csv
        $rows.Count | Should -Be 2
        $rows[0].Findings | Should -Match '^Info NullMx: .*; Fail NullMxWithOtherMx: '
        $rows[1].IPv4Address | Should -Be '192.0.2.10'
    }

    It 'converts to JSON with arrays and text statuses' {
        $json = Get-MailMx example.com @offline | ConvertTo-Json -Depth 4 | ConvertFrom-Json
        $json[0].Status | Should -Be 'Pass'
        $json[0].IPv6Address | Should -Be @('2001:db8::10')
    }

    It 'shows every DNS query with -Verbose' {
        $verbose = Get-MailMx example.com @offline -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'example\.com MX -> 2 record\(s\)'
    }

    It 'has help with examples' {
        (Get-Help Get-MailMx -Examples).examples.example.Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'The module' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -ErrorAction Stop } | Should -Not -Throw
    }

    It 'runs the bundled example zone offline' {
        $r = @(Get-MailMx example.com -ZoneFile (Join-Path $PSScriptRoot '../../examples/zones/*.zone') -Server 127.0.0.1:9)
        $r.HostName | Should -Be @('mail.example.com', 'mx2.example.com')
        $r[0].PtrName | Should -Be 'mail.example.com'
    }
}
