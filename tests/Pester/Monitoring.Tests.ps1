#Requires -Version 7.0
# Pester 5 suite for the monitoring cmdlets (Import-MailBounce ...). Mirrors tests/MailOps.Module.Tests/MonitoringTests.cs.
# Bounce messages come from tests/fixtures/bounces (hand-written, see SOURCE.md). Build first: dotnet build src/MailOps.

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    $fx = Join-Path $PSScriptRoot '../fixtures/bounces'
}

Describe 'Import-MailBounce' {
    It 'explains a Spamhaus block and an unknown user from a Postfix DSN' {
        $r = Import-MailBounce -Path (Join-Path $fx 'postfix-dsn.eml')
        $r.Count | Should -Be 2
        $r[0].Recipient | Should -Be 'alice@example.org'
        $r[0].Reason | Should -Be 'blocked'
        $r[0].Blocklist | Should -Be 'Spamhaus'
        $r[0].RemedyCommand | Should -Be 'Get-DnsblListing'
        $r[1].Reason | Should -Be 'userunknown'
        $r[1].HardBounce | Should -BeTrue
    }

    It 'recognises Gmail 5.7.26 in an Exim text bounce as an authentication failure' {
        $r = Get-ChildItem (Join-Path $fx 'exim-gmail.eml') | Import-MailBounce
        $r.Status | Should -Be '5.7.26'
        $r.Reason | Should -Be 'authfailure'
        $r.Provider | Should -Be 'Gmail'
        $r.Remedy | Should -Match 'Test-MailSpf'
    }

    It 'reports auto-replies and feedback reports as such, and a plain message as an error while going on' {
        $r = Import-MailBounce -Path $fx -ErrorVariable err -ErrorAction SilentlyContinue
        ($r | Where-Object Kind -eq 'AutoReply').Recipient | Should -Be 'dave@example.org'
        ($r | Where-Object Kind -eq 'FeedbackReport').Recipient | Should -Be 'erin@example.net'
        @($r | Where-Object Kind -eq 'Bounce').Count | Should -Be 3
        # not-a-bounce.eml and SOURCE.md (not e-mail at all): one error each, the rest imported.
        $err.Count | Should -Be 2
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ReportNotRecognized*' }
        @($err.TargetObject) -like '*not-a-bounce.eml' | Should -HaveCount 1
    }

    It 'reads a Maildir by its cur and new folders' {
        $md = Join-Path $TestDrive 'Maildir'
        foreach ($s in 'cur', 'new', 'tmp') { New-Item -ItemType Directory -Path (Join-Path $md $s) -Force | Out-Null }
        Copy-Item (Join-Path $fx 'exim-gmail.eml') (Join-Path $md 'cur/1761999302.M1P1.host:2,S')
        Copy-Item (Join-Path $fx 'postfix-dsn.eml') (Join-Path $md 'new/1761999303.M2P1.host')
        $r = Import-MailBounce -LiteralPath $md
        $r.Recipient | Should -Be @('carol@gmail.com', 'alice@example.org', 'bob@example.net')
    }

    It 'has a table view and help with examples' {
        (Get-FormatData -TypeName MailOps.Bounces.BounceRecord) | Should -Not -BeNullOrEmpty
        @((Get-Help Import-MailBounce -Examples).examples.example).Count | Should -BeGreaterOrEqual 2
    }
}
