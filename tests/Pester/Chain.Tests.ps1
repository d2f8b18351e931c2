#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Cmdlets that chain (issue 11), mirroring tests/MailOps.Module.Tests/ChainTests.cs in a real pwsh: Get-MailMx output into
# Test-MailPtr, Get-DnsblListing, Test-SmtpService and Test-MailDane; domains as people paste them; CIDR ranges; Test-MailSpf
# as a receiver (-Sender alone, malformed domains); progress completed. DNS from the fixture zone files (-ZoneFile) with
# -Server 127.0.0.1:9 (a closed port: nothing reaches the network).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force -ErrorAction Stop
    $script:o = @{
        ZoneFile   = @((Join-Path $PSScriptRoot '../fixtures/dns/*.zone'), (Join-Path $PSScriptRoot '../fixtures/dns/dnsbl/dnsbl-zen.spamhaus.org.zone'))
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
    }
}

AfterAll {
    Remove-Module MailOps -ErrorAction SilentlyContinue
}

Describe 'Get-MailMx output into the other cmdlets' {
    It 'Test-MailPtr checks every address of every MX host' {
        $r = @(Get-MailMx example.com @o | Test-MailPtr @o)
        $r.IPAddress | Should -Be @('192.0.2.10', '2001:db8::10', '192.0.2.20')
    }

    It 'Get-DnsblListing checks every MX address, not the domain' {
        $r = @(Get-MailMx example.com @o | Get-DnsblListing -Zone zen.spamhaus.org @o)
        ($r.Target | Sort-Object) | Should -Be @('192.0.2.10', '192.0.2.20', '2001:db8::10')
        ($r | Where-Object Target -eq '192.0.2.10').Status | Should -Be 'Listed'
    }

    It 'Test-MailDane checks each MX host once, by its host name' {
        $r = @(Get-MailMx two.smtp.test @o | Test-MailDane @o -TimeoutSec 2)
        $r.HostName | Should -Be @('mx1.two.smtp.test', 'mx2.two.smtp.test')
    }

    It 'Test-SmtpService binds the MX host name' {
        # A closed loopback port: the point is which host names are probed (the errors name them).
        $null = @(Get-MailMx two.smtp.test @o | Test-SmtpService -Port 9 @o -ErrorAction SilentlyContinue -ErrorVariable ev)
        @($ev.TargetObject) | Should -Be @('mx1.two.smtp.test:9', 'mx2.two.smtp.test:9')
    }

    It 'Import-Csv rows with IPAddress, Domain and HostName columns still bind' {
        $ptr = @("IPAddress`n192.0.2.10" | ConvertFrom-Csv | Test-MailPtr @o)
        $ptr.IPAddress | Should -Be '192.0.2.10'
        $dane = @("HostName`nmx1.two.smtp.test" | ConvertFrom-Csv | Test-MailDane @o -TimeoutSec 2)
        $dane.HostName | Should -Be 'mx1.two.smtp.test'
        $mx = @("Domain`nexample.com" | ConvertFrom-Csv | Get-MailMx @o)
        $mx.Count | Should -Be 2
    }
}

Describe 'Domains as people paste them' {
    It 'reads <Pasted> as example.com' -ForEach @(
        @{ Pasted = 'user@example.com' }
        @{ Pasted = 'https://example.com/' }
        @{ Pasted = 'http://example.com/path' }
        @{ Pasted = 'EXAMPLE.COM.' }
    ) {
        $r = @(Get-MailMx $Pasted @o)
        $r.Domain | Sort-Object -Unique | Should -Be 'example.com'
    }

    It 'turns an IDN into A-labels' {
        $r = @('Bücher.example', 'user@bücher.example' | Get-MailMx @o -ErrorAction SilentlyContinue -ErrorVariable ev)
        $ev | Where-Object { $_.FullyQualifiedErrorId -like 'InvalidDomainName,*' } | Should -BeNullOrEmpty
        $r.Domain | Should -Be @('xn--bcher-kva.example', 'xn--bcher-kva.example')
    }

    It 'makes anything else an InvalidDomainName error naming it, and goes on' {
        $r = @('exa mple.com', 'a..b', 'x/y.com', 'example.com' | Get-MailMx @o -ErrorAction SilentlyContinue -ErrorVariable ev)
        $r.Domain | Sort-Object -Unique | Should -Be 'example.com'
        $ev.Count | Should -Be 3
        $ev | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'InvalidDomainName,*'; $_.CategoryInfo.Category | Should -Be 'InvalidArgument' }
        $ev.TargetObject | Should -Be @('exa mple.com', 'a..b', 'x/y.com')
    }
}

Describe 'CIDR ranges' {
    It 'expands a range in order without the network and broadcast addresses' {
        $r = @('192.0.2.8/30', '2001:db8::/126' | Test-MailPtr @o -WarningAction SilentlyContinue)
        $r.IPAddress | Should -Be @('192.0.2.9', '192.0.2.10', '2001:db8::1', '2001:db8::2', '2001:db8::3')
    }

    It 'refuses a range above /24 with an InvalidIPAddress error naming it, and goes on' {
        $r = @('10.0.0.0/16', '192.0.2.10' | Get-DnsblListing -Zone zen.spamhaus.org @o -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Target | Should -Be '192.0.2.10'
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'InvalidIPAddress,*'
        $ev[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $ev[0].TargetObject | Should -Be '10.0.0.0/16'
        "$($ev[0])" | Should -Match '/24 or smaller'
    }
}

Describe 'Test-MailSpf as a receiver' {
    It 'needs only -IPAddress and -Sender' {
        $r = Test-MailSpf -IPAddress 203.0.113.7 -Sender x@good.example.org @o
        $r.Domain | Should -Be 'good.example.org'
        $r.Result | Should -Be 'fail'
    }

    It 'evaluates postmaster@HELO for an empty sender' {
        $r = Test-MailSpf -IPAddress 192.0.2.44 -Sender '' -HeloName helo.example.org @o
        $r.Sender | Should -Be 'postmaster@helo.example.org'
        $r.Result | Should -Be 'pass'
    }

    It 'gives none for a malformed domain (RFC 7208 section 4.3), not an error' {
        $r = Test-MailSpf -IPAddress 192.0.2.10 -Sender 'x@A...example.com' @o -ErrorVariable ev
        $r.Result | Should -Be 'none'
        $ev | Should -BeNullOrEmpty
    }
}

Describe 'Progress' {
    It 'Test-MailSpf completes its bar, also when an error stops it' {
        # The progress stream cannot be redirected to a variable; a hosted runspace collects it.
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript("Import-Module '$manifest'; try { Test-MailSpf example.com -Server 127.0.0.1:9 -TimeoutSec 1 -ErrorAction Stop } catch { }")
        $null = $ps.Invoke()
        $records = @($ps.Streams.Progress)
        $ps.Dispose()
        $records.Count | Should -BeGreaterThan 0
        $records[-1].RecordType | Should -Be 'Completed'
    }
}
