#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Test-MailSpf, mirroring tests/MailOps.Module.Tests/SpfTests.cs, offline: every name comes from the recorded fixtures
# via -ZoneFile, and -Server points at a closed loopback port so nothing can escape to the network.

BeforeAll {
    $repo = Resolve-Path (Join-Path $PSScriptRoot '..' '..')
    Import-Module (Join-Path $repo 'out' 'MailOps' 'MailOps.psd1') -Force -ErrorAction Stop
    $fixtures = Join-Path $repo 'tests' 'fixtures' 'dns'
    $script:dns = @{
        ZoneFile = @(
            (Join-Path $fixtures 'spf.example.org.zone'),
            (Join-Path $fixtures 'reverse.zone'),
            (Join-Path $fixtures 'reverse6.zone')
        )
        Server   = '127.0.0.1:9'
    }
}

Describe 'Test-MailSpf audit' {
    It 'audits strings from the pipeline' {
        $r = 'good.example.org', 'toomany.example.org', 'none.example.org' | Test-MailSpf @dns
        $r.Count | Should -Be 3
        $r[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Spf.SpfAuditResult'
        $r[0].Status | Should -Be 'Pass'
        $r[0].LookupCount | Should -Be 3
        $r[1].Status | Should -Be 'Fail'
        $r[1].LookupCount | Should -Be 13
        $r[2].Record | Should -Be ''
    }

    It 'binds Import-Csv style objects by property name and aliases' {
        $rows = @(
            [pscustomobject]@{ Domain = 'plusall.example.org'; Owner = 'x' }
            [pscustomobject]@{ Name = 'qall.example.org' }
            [pscustomobject]@{ DomainName = 'voids.example.org' }
        )
        $r = $rows | Test-MailSpf @dns
        $r.Domain | Should -Be @('plusall.example.org', 'qall.example.org', 'voids.example.org')
        $r[0].Findings[0].Code | Should -Be 'AllowAll'
        $r[1].Findings[0].Code | Should -Be 'NeutralAll'
        $r[2].Findings[0].Code | Should -Be 'TooManyVoidLookups'
    }

    It 'binds Get-MailMx output and audits each domain once' {
        $mx = Get-MailMx good.example.org @dns
        $mx.Count | Should -Be 2
        $r = $mx | Test-MailSpf @dns
        @($r).Count | Should -Be 1
        $r.Domain | Should -Be 'good.example.org'
    }

    It 'shows the terms as a tree with costs' {
        $r = Test-MailSpf toomany.example.org @dns
        $r.Terms[0].Term | Should -Be 'include:big1.example.org'
        $r.Terms[0].LookupCost | Should -Be 1
        $r.Terms[0].SubtreeLookupCost | Should -Be 6
        $r.Terms[0].Children.Count | Should -Be 6
        $r.ToTreeString() | Should -Match 'lookups 13/10'
        ($r.Findings | Where-Object Code -eq 'TooManyLookups').Message | Should -Match 'include:big1.example.org \(6\)'
    }

    It 'reports a syntax error with its position' {
        $r = Test-MailSpf syntax.example.org @dns
        $f = $r.Findings | Where-Object Code -eq 'SyntaxError'
        $f.Severity | Should -Be 'Fail'
        $f.Message | Should -Match 'position 15'
    }

    It 'returns booleans with -Quiet' {
        Test-MailSpf good.example.org -Quiet @dns | Should -BeTrue
        Test-MailSpf plusall.example.org -Quiet @dns | Should -BeFalse
    }

    It 'writes an error for a bad domain and goes on' {
        $r = 'bad..name', 'good.example.org' | Test-MailSpf @dns -ErrorVariable errs -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDomainName,*'
    }

    It 'exports findings as text' {
        $r = Test-MailSpf plusall.example.org @dns
        $r.Findings.ToString() | Should -BeLike 'Fail AllowAll:*'
    }
}

Describe 'Test-MailSpf evaluation' {
    It 'gives RFC 7208 results with the matched term and explanation' {
        $r = Test-MailSpf good.example.org -IPAddress 192.0.2.200, 203.0.113.9, 2001:db8:100::1 -Sender bob@good.example.org @dns
        $r[0].Result | Should -Be 'pass'
        $r[0].MatchedTerm | Should -Be 'mx'
        $r[1].Result | Should -Be 'fail'
        $r[1].Explanation | Should -Be '203.0.113.9 is not allowed to send mail for good.example.org'
        $r[2].Result | Should -Be 'pass'
        $r[2].MatchedTerm | Should -Be 'include:_spf.provider.example.org'
        $r[2].Trace.Count | Should -BeGreaterOrEqual 6
    }

    It 'binds IPAddress, Sender and HeloName by property name' {
        $rows = @(
            [pscustomobject]@{ Domain = 'macro.example.org'; IPAddress = '192.0.2.77' }
            [pscustomobject]@{ DomainName = 'helo.example.org'; Address = '192.0.2.44'; HeloName = 'helo.example.org' }
            [pscustomobject]@{ Domain = 'good.example.org'; IP4Address = '203.0.113.7'; MailFrom = 'x@good.example.org' }
        )
        $r = $rows | Test-MailSpf @dns
        $r.Result | Should -Be @('pass', 'pass', 'fail')
        $r[2].Sender | Should -Be 'x@good.example.org'
    }

    It 'treats an IPv4-mapped IPv6 address as IPv4' {
        $r = Test-MailSpf macro.example.org -IPAddress '::ffff:192.0.2.77' @dns
        $r.Result | Should -Be 'pass'
        $r.IPAddress | Should -Be '192.0.2.77'
    }

    It 'returns permerror for records over the limits' {
        (Test-MailSpf toomany.example.org -IPAddress 203.0.113.1 @dns).Result | Should -Be 'permerror'
        (Test-MailSpf voids.example.org -IPAddress 192.0.2.9 @dns).Result | Should -Be 'permerror'
    }

    It 'returns booleans with -Quiet' {
        Test-MailSpf good.example.org -IPAddress 192.0.2.1 -Quiet @dns | Should -BeTrue
        Test-MailSpf good.example.org -IPAddress 203.0.113.1 -Quiet @dns | Should -BeFalse
    }

    It 'writes InvalidIPAddress for a bad address and evaluates the rest' {
        $r = Test-MailSpf good.example.org -IPAddress 'not-an-ip', 192.0.2.200 @dns -ErrorVariable errs -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidIPAddress,*'
    }
}
