#Requires -Version 7.0
# Pester 5 suite for Test-MailDomain. Mirrors tests/MailOps.Module.Tests/MailDomainTests.cs, on the recorded fixtures
# through -ZoneFile (offline; -Server 127.0.0.1:9 makes anything that escapes the zone files fail instead of
# reaching the internet). Build first: dotnet build src/MailOps (or ./build.ps1 -Task Build).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    $offline = @{
        ZoneFile   = Join-Path $PSScriptRoot '../fixtures/dns/domain/*.zone'
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
    }
}

Describe 'Test-MailDomain' {
    It 'writes one object per domain, in input order, with findings fix-first and records to publish' {
        $r = @('broken.domain.example', 'good.domain.example' | Test-MailDomain @offline -ThrottleLimit 4)
        $r.Domain | Should -Be @('broken.domain.example', 'good.domain.example')
        $r[0].PSObject.TypeNames[0] | Should -Be 'MailOps.DomainHealth.MailDomainResult'
        $r[0].Status | Should -Be 'Fail'
        $r[0].Grade | Should -Be 'F'
        $r[0].Findings[0].Priority | Should -Be 'Blocking'
        $r[0].Findings[0].Code | Should -Be 'MultipleSpfRecords'
        ($r[0].Findings | Where-Object Code -eq 'NoRecord').Record | Should -Be '_dmarc.broken.domain.example. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@broken.domain.example"'
        $r[0].Spf.PSObject.TypeNames[0] | Should -Be 'MailOps.Spf.SpfAuditResult'
        @($r[0].Findings.Rank) | Should -Be (1..$r[0].Findings.Count)
    }

    It 'binds Import-Csv rows with Domain and Selector columns' {
        $rows = @"
Domain,Selector
good.domain.example,s2026
"@ | ConvertFrom-Csv
        $r = $rows | Test-MailDomain @offline
        $r.Grade | Should -Be 'A'
        $r.Score | Should -Be 98
        $r.Dkim.Selector | Should -Be 's2026'
    }

    It 'makes a domain Incomplete, never Pass, when checks cannot run, with errors on the error stream' {
        $r = Test-MailDomain nowhere.test @offline -DkimSelector s1 -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Incomplete'
        $r.Grade | Should -Be '?'
        $r.Score | Should -BeNullOrEmpty
        $errs.Count | Should -BeGreaterThan 0
        $errs[0].FullyQualifiedErrorId | Should -Match '^Dns'
        $errs[0].TargetObject | Should -Be 'nowhere.test'
    }

    It 'puts a blocklisted MX address and a blocklisted domain first, and exports the listings as one column' {
        $r = Test-MailDomain listed.domain.example @offline -DkimSelector s2026
        $r.Status | Should -Be 'Fail'
        $r.Findings[0].Area | Should -Be 'Blocklist'
        ($r.Findings | Where-Object Code -eq 'Blocklisted').Subject | Should -Be '192.0.2.66'
        ($r.Findings | Where-Object Code -eq 'DomainBlocklisted').Priority | Should -Be 'Blocking'
        $csv = $r | Select-Object Domain, Status, ListedOn | ConvertTo-Csv | ConvertFrom-Csv
        $csv.ListedOn | Should -Be 'listed.domain.example on dbl.spamhaus.org; 192.0.2.66 on bl.spamcop.net'
        $none = Test-MailDomain listed.domain.example @offline -DkimSelector s2026 -NoBlocklist
        $none.Blocklists.Count | Should -Be 0
        $none.Findings.Code | Should -Not -Contain 'Blocklisted'
    }

    It 'checks the client records of -Profile Mailcow' {
        $r = Test-MailDomain mailcow.domain.example @offline -Profile Mailcow
        ($r.ClientRecords | Where-Object Found).Name | Should -Be @('autodiscover.mailcow.domain.example', '_submission._tcp.mailcow.domain.example')
        ($r.Findings | Where-Object Code -eq 'ClientRecordMissing').Count | Should -Be 10
    }

    It '-Quiet writes one Boolean for the whole invocation' {
        'good.domain.example', 'good.domain.example' | Test-MailDomain @offline -DkimSelector s2026 -Quiet | Should -Be $true
        $q = @('good.domain.example', 'broken.domain.example' | Test-MailDomain @offline -Quiet)
        $q | Should -Be @($false)
    }

    It 'has help with examples' {
        (Get-Help Test-MailDomain -Examples).examples.example.Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'ConvertTo-MailOpsHtml' {
    It 'writes one self-contained HTML report with grades, fix-first findings and could-not-check' {
        $path = Join-Path ([IO.Path]::GetTempPath()) "mailops-pester-$([guid]::NewGuid().ToString('N')).html"
        try {
            $r = 'broken.domain.example', 'nowhere.test' | Test-MailDomain @offline -ErrorAction SilentlyContinue
            $file = $r | ConvertTo-MailOpsHtml -Path $path -PassThru
            $file.FullName | Should -Be $path
            $html = Get-Content $path -Raw
            $html | Should -Match '<!DOCTYPE html>'
            $html | Should -Match 'Spf/MultipleSpfRecords'
            $html | Should -Match 'Could not check'
            $html | Should -Not -Match '<script'
            $html | Should -Not -Match 'System\.Collections'
            { $r | ConvertTo-MailOpsHtml -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'ReportFileExists*'
        }
        finally { Remove-Item $path -ErrorAction SilentlyContinue }
    }

    It 'escapes hostile record text in HTML and Markdown' {
        $r = Test-MailDomain hostile.domain.example @offline
        $html = $r | ConvertTo-MailOpsHtml
        $html | Should -Not -Match '<script>alert'
        $html | Should -Match '&lt;script&gt;alert\(1\)&lt;/script&gt;'
        $md = $r | ConvertTo-MailOpsHtml -Format Markdown
        # Outside code blocks (which Markdown shows literally) no tag survives.
        ($md -replace '(?s)```.*?```', '') | Should -Not -Match '<img'
        $md | Should -Match '&lt;script&gt;alert\(1\)'
    }
}
