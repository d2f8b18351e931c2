#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Get-DnsblListing, Get-DnsblZone and Test-MailPtr, mirroring tests/MailOps.Module.Tests/DnsblTests.cs. Every DNS answer
# comes from the fixture zone files (-ZoneFile); -Server 127.0.0.1:9 is a closed port, so nothing reaches the network.

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force -ErrorAction Stop
    $script:fx = Join-Path $PSScriptRoot '../fixtures/dns/dnsbl'
    $script:dead = '127.0.0.1:9'
    $script:zen = Join-Path $fx 'dnsbl-zen.spamhaus.org.zone'
    $script:dbl = Join-Path $fx 'dnsbl-dbl.spamhaus.org.zone'
    $script:ptrZones = @(
        (Join-Path $fx 'ptr-reverse.zone'),
        (Join-Path $fx 'ptr-reverse6.zone'),
        (Join-Path $fx 'ptr-forward.example.org.zone')
    )
}

AfterAll {
    Remove-Module MailOps -ErrorAction SilentlyContinue
}

Describe 'Get-DnsblListing' {
    It 'reports a listed IPv4 address with codes, meanings, reason and delist URL' {
        $r = Get-DnsblListing 192.0.2.10 -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead
        $r.Status | Should -Be 'Listed'
        $r.QueryName | Should -Be '10.2.0.192.zen.spamhaus.org'
        @($r.ReturnCodes) | Should -Contain '127.0.0.4'
        @($r.ReturnCodes) | Should -Contain '127.0.0.10'
        (@($r.Meaning) -join ' ') | Should -Match 'XBL'
        (@($r.Meaning) -join ' ') | Should -Match 'PBL'
        $r.Reason | Should -Be 'https://check.spamhaus.org/query/ip/192.0.2.10'
        $r.DelistUrl | Should -Be 'https://check.spamhaus.org/'
    }

    It 'reports an unlisted address as NotListed' {
        (Get-DnsblListing 192.0.2.20 -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead).Status | Should -Be 'NotListed'
    }

    It 'asks IPv6 as 32 reversed nibbles' {
        $r = Get-DnsblListing 2001:db8::25 -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead
        $r.Status | Should -Be 'Listed'
        $r.QueryName | Should -Be '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org'
    }

    It 'binds objects by property name and aliases' {
        $r = @([pscustomobject]@{ IPAddress = '192.0.2.10' }, [pscustomobject]@{ IP4Address = '192.0.2.20' }, [pscustomobject]@{ Address = '2001:db8::25' }) |
            Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead
        @($r).Count | Should -Be 3
        ($r | Where-Object Target -eq '192.0.2.20').Status | Should -Be 'NotListed'
    }

    It 'checks domains by name against domain lists' {
        $r = @([pscustomobject]@{ Domain = 'spam-domain.example' }, [pscustomobject]@{ Name = 'clean.example' }, [pscustomobject]@{ DomainName = 'phish.example' }) |
            Get-DnsblListing -Zone dbl.spamhaus.org -ZoneFile $dbl -Server $dead
        ($r | Where-Object Target -eq 'spam-domain.example').Status | Should -Be 'Listed'
        ($r | Where-Object Target -eq 'clean.example').Status | Should -Be 'NotListed'
        ($r | Where-Object Target -eq 'phish.example').Meaning | Should -Be 'Phishing domain'
    }

    It 'reports Spamhaus error code <Code> as Error <Kind>, never Listed' -TestCases @(
        @{ Ip = '192.0.2.252'; Code = '127.255.255.252'; Kind = 'TypoInZoneName' }
        @{ Ip = '192.0.2.254'; Code = '127.255.255.254'; Kind = 'PublicResolverRefused' }
        @{ Ip = '192.0.2.255'; Code = '127.255.255.255'; Kind = 'QuotaExceeded' }
        @{ Ip = '192.0.2.250'; Code = '127.255.255.250'; Kind = 'ListError' }
    ) {
        param($Ip, $Code, $Kind)
        $r = Get-DnsblListing $Ip -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Error'
        $r.ErrorKind | Should -Be $Kind
        "$($r.ReturnCodes)" | Should -Be $Code
        @($errs).Count | Should -Be 1
    }

    It 'reports the DBL error code 127.0.1.255 as an error' {
        $r = Get-DnsblListing -Domain ipquery.example -Zone dbl.spamhaus.org -ZoneFile $dbl -Server $dead -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Error'
        $r.ErrorKind | Should -Be 'IpQueryNotAllowed'
    }

    It 'reports an answer outside 127.0.0.0/8 as an error' {
        $r = Get-DnsblListing 192.0.2.99 -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Be 'AnswerOutsideLoopback'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DnsblInvalidAnswer,*'
    }

    It 'gives Error for every target of a zone that refuses this resolver, with one error record' {
        $r = '192.0.2.10', '192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile (Join-Path $fx 'dnsbl-zen-public-resolver.zone') -Server $dead -ErrorVariable errs -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 2
        $r | ForEach-Object { $_.ErrorKind | Should -Be 'PublicResolverRefused' }
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DnsblListError,*'
    }

    It 'gives Error for every target of a zone failing the RFC 5782 test (<File>)' -TestCases @(
        @{ File = 'dnsbl-dead.zone'; Zone = 'dead.dnsbl.example'; Kind = 'ZoneTestFailed' }
        @{ File = 'dnsbl-listall.zone'; Zone = 'listall.dnsbl.example'; Kind = 'ZoneListsEverything' }
        @{ File = 'dnsbl-parked.zone'; Zone = 'parked.dnsbl.example'; Kind = 'AnswerOutsideLoopback' }
    ) {
        param($File, $Zone, $Kind)
        $r = '192.0.2.10', '192.0.2.20' | Get-DnsblListing -Zone $Zone -ZoneFile (Join-Path $fx $File) -Server $dead -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 2
        $r | ForEach-Object { $_.Status | Should -Be 'Error'; $_.ErrorKind | Should -Be $Kind }
    }

    It 'switches to the DQS zone with -DqsKey and keeps the key out of the results' {
        $r = Get-DnsblListing 192.0.2.10 -Zone zen.spamhaus.org -DqsKey testkey123 -ZoneFile (Join-Path $fx 'dnsbl-dqs.zone') -Server $dead
        $r.Status | Should -Be 'Listed'
        $r.Zone | Should -Be 'zen.dq.spamhaus.net'
        $r.QueryName | Should -Be '10.2.0.192.<key>.zen.dq.spamhaus.net'
    }

    It '-Quiet is <Expected> for <Targets>' -TestCases @(
        @{ Targets = @('192.0.2.20'); Expected = $true }
        @{ Targets = @('192.0.2.20', '192.0.2.10'); Expected = $false }
        @{ Targets = @('192.0.2.20', '192.0.2.254'); Expected = $false }
    ) {
        param($Targets, $Expected)
        $Targets | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile $zen -Server $dead -Quiet -ErrorAction SilentlyContinue | Should -Be $Expected
    }

    It 'refuses a dead zone before any query' {
        { Get-DnsblListing 192.0.2.10 -Zone dnsbl.sorbs.net -ZoneFile $zen -Server $dead -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidDnsblZone,MailOps.Commands.GetDnsblListingCommand'
    }

    It 'completes -Zone from the catalogue' {
        $s = 'Get-DnsblListing 192.0.2.1 -Zone zen'
        (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText | Should -Contain 'zen.spamhaus.org'
    }
}

Describe 'Get-DnsblZone' {
    It 'lists the catalogue without dead zones' {
        $zones = Get-DnsblZone
        @($zones).Count | Should -BeGreaterOrEqual 15
        $zones.Name | Should -Not -Contain 'dnsbl.sorbs.net'
        $zones | ForEach-Object { @($_.Sources).Count | Should -BeGreaterThan 0 }
    }

    It 'filters by type and wildcard' {
        (Get-DnsblZone -Type Domain).Name | Should -Contain 'dbl.spamhaus.org'
        (Get-DnsblZone *spamhaus*).Name | Should -Contain 'zen.spamhaus.org'
    }

    It 'explains why a retired zone is missing' {
        Get-DnsblZone dnsbl.sorbs.net -WarningVariable w -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$w" | Should -Match '2024'
    }
}

Describe 'Test-MailPtr' {
    It 'passes a forward-confirmed PTR that matches the HELO name' {
        $r = Test-MailPtr 198.51.100.10 -HeloName mail.example.org -ZoneFile $ptrZones -Server $dead
        $r.Status | Should -Be 'Pass'
        $r.ForwardConfirmed | Should -BeTrue
        $r.HeloMatches | Should -BeTrue
    }

    It 'reports <Code> for <Ip>' -TestCases @(
        @{ Ip = '198.51.100.11'; Code = 'NoPtr'; Status = 'Fail' }
        @{ Ip = '198.51.100.12'; Code = 'MultiplePtr'; Status = 'Warning' }
        @{ Ip = '198.51.100.13'; Code = 'PtrNotForwardConfirmed'; Status = 'Fail' }
        @{ Ip = '198.51.100.14'; Code = 'GenericPtr'; Status = 'Warning' }
        @{ Ip = '198.51.100.15'; Code = 'GenericPtr'; Status = 'Warning' }
        @{ Ip = '198.51.100.16'; Code = 'PtrNotForwardConfirmed'; Status = 'Fail' }
    ) {
        param($Ip, $Code, $Status)
        $r = Test-MailPtr $Ip -ZoneFile $ptrZones -Server $dead
        $r.Status | Should -Be $Status
        $r.Findings.Code | Should -Contain $Code
    }

    It 'says where a PTR is set' {
        $r = Test-MailPtr 198.51.100.11 -ZoneFile $ptrZones -Server $dead
        $r.Findings[0].Remedy | Should -Match 'provider'
        $r.Findings[0].Remedy | Should -Match "not in your domain's DNS zone"
    }

    It 'warns when the HELO name is not the PTR name' {
        $r = Test-MailPtr 198.51.100.10 -HeloName other.example.org -ZoneFile $ptrZones -Server $dead
        $r.HeloMatches | Should -BeFalse
        $r.Findings.Code | Should -Contain 'HeloMismatch'
    }

    It 'checks IPv6 with AAAA' {
        (Test-MailPtr 2001:db8:ab::10 -ZoneFile $ptrZones -Server $dead).ForwardConfirmed | Should -BeTrue
    }

    It '-Quiet gives one boolean per invocation' {
        '198.51.100.10' | Test-MailPtr -ZoneFile $ptrZones -Server $dead -Quiet | Should -Be $true
        $q = @('198.51.100.10', '198.51.100.13' | Test-MailPtr -ZoneFile $ptrZones -Server $dead -Quiet)
        $q.Count | Should -Be 1
        $q[0] | Should -BeFalse
    }
}
