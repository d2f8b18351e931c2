#Requires -Version 7.0
# Pester 5 suite for Test-MailServer. Mirrors tests/MailOps.Module.Tests/MailServerTests.cs, on the recorded fixtures
# through -ZoneFile (offline; -Server 127.0.0.1:9 makes anything that escapes the zone files fail instead of
# reaching the internet). Build first: dotnet build src/MailOps (or ./build.ps1 -Task Build).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    $offline = @{
        ZoneFile   = @((Join-Path $PSScriptRoot '../fixtures/dns/server/*.zone'), (Join-Path $PSScriptRoot '../fixtures/dns/dnsbl/ptr-*.zone'))
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
        Zone       = 'bl.spamcop.net'
    }
}

Describe 'Test-MailServer' {
    It 'reports PTR, blocklist listings and the origin AS, one object per address in input order' {
        $r = @('198.51.100.15', '198.51.100.10' | Test-MailServer @offline -HeloName mail.example.org)
        $r.IPAddress | Should -Be @('198.51.100.15', '198.51.100.10')
        $r[1].Status | Should -Be 'Fail'
        @($r[1].ListedOn) | Should -Be @('bl.spamcop.net')
        $r[1].Ptr.ForwardConfirmed | Should -BeTrue
        $r[1].Asn.Asn | Should -Be 64496
        $r[1].Asn.Prefix | Should -Be '198.51.100.0/24'
        $r[0].Findings.Code | Should -Contain 'ResidentialNetwork'
        $r[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Server.MailServerResult'
    }

    It 'counts the listed neighbours of a public /24 with -Neighborhood' {
        $r = Test-MailServer 198.51.100.12 @offline -Neighborhood -NoAsn
        $r.Neighborhood.Prefix | Should -Be '198.51.100.0/24'
        $r.Neighborhood.ListedCount | Should -Be 4
        $r.Findings.Code | Should -Contain 'NeighborhoodListed'
        # A private address has no public neighbourhood (its PTR question is not in the zone files: that error is expected).
        $private = Test-MailServer 10.0.0.5 @offline -Neighborhood -NoAsn -ErrorAction SilentlyContinue -ErrorVariable privateErrors
        $private.IPAddress | Should -Be '10.0.0.5'
        $private.Neighborhood | Should -BeNullOrEmpty
        $privateErrors.Exception.Message | Should -BeLike '*5.0.0.10.in-addr.arpa*'
    }

    It 'makes the address Incomplete when a question goes unanswered (its reverse zone is not in the zone files)' {
        $r = Test-MailServer 203.0.113.5 @offline -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Incomplete'
        $errs.Count | Should -BeGreaterThan 0
    }
}
