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

Describe 'Get-MailDeliveryLog' {
    BeforeAll { $log = Join-Path $PSScriptRoot '../fixtures/maillog/mail.log' }

    It 'joins a Postfix log by queue id into classified attempts' {
        $r = Get-MailDeliveryLog -Path $log
        $r.Count | Should -Be 8
        ($r | Where-Object To -eq 'dave@outlook.com').Reason | Should -Be 'blocked'
        ($r | Where-Object To -eq 'dave@outlook.com').Blocklist | Should -Be 'Microsoft S3140'
        ($r | Where-Object Status -eq 'expired').To | Should -Be 'erin@yahoo.com'
    }

    It 'reads gzip rotations and piped lines alike' {
        $gz = Join-Path $TestDrive 'mail.log.1.gz'
        $in = [System.IO.File]::OpenRead($log); $out = [System.IO.File]::Create($gz)
        $z = [System.IO.Compression.GZipStream]::new($out, [System.IO.Compression.CompressionLevel]::Fastest)
        $in.CopyTo($z); $z.Dispose(); $out.Dispose(); $in.Dispose()
        (Get-MailDeliveryLog -LiteralPath $gz).Count | Should -Be 8
        (Get-Content $log | Get-MailDeliveryLog | Where-Object Status -eq 'sent').Count | Should -Be 2
    }

    It 'filters with -Since' {
        $r = Get-MailDeliveryLog -Path $log -Since ([datetime]::new(2000, 1, 1)) -Format Syslog
        $r.Count | Should -Be 8
    }
}
