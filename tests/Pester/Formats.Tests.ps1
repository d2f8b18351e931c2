#Requires -Version 7.0
# The default views, as a user sees them in an 80- or 120-column terminal: the Status of every result is shown in full
# (never dropped, never cut to "Pa…"), and a finding shows its Remedy. Offline: fixture zones with -ZoneFile, -Server at a
# closed loopback port.

BeforeDiscovery {
    $script:Cases = @(
        @{ Name = 'Get-MailMx'; Run = { Get-MailMx example.com, nullmx.example.com -ZoneFile "$D/*.zone" @Z } }
        @{ Name = 'Test-MailSpf'; Run = { 'good.example.org', 'plusall.example.org' | Test-MailSpf -ZoneFile "$D/spf.example.org.zone" @Z } }
        @{ Name = 'Test-MailDmarc'; Run = { 'good.example', 'nodmarc.example' | Test-MailDmarc -ZoneFile "$D/dmarc.example.zone" @Z } }
        @{ Name = 'Test-MailDkim'; Run = { Test-MailDkim dkim.example good, revoked -ZoneFile "$D/dkim.example.zone" @Z } }
        @{ Name = 'Get-DnsblListing'; Run = { '192.0.2.20', '192.0.2.10' | Get-DnsblListing -Zone zen.spamhaus.org -ZoneFile "$D/dnsbl/dnsbl-zen.spamhaus.org.zone" @Z } }
        @{ Name = 'Test-MailPtr'; Run = { '198.51.100.10', '198.51.100.13' | Test-MailPtr -ZoneFile "$D/reverse.zone", "$D/mx.example.com.zone", "$D/dnsbl/*.zone" @Z } }
        @{ Name = 'Test-TlsRpt'; Run = { 'good.mtasts.example', 'norua.mtasts.example' | Test-TlsRpt -ZoneFile "$D/mtasts.example.zone" @Z } }
        @{ Name = 'Test-MtaSts'; Run = { 'good.mtasts.example', 'none.mtasts.example' | Test-MtaSts -ZoneFile "$D/mtasts.example.zone" -HttpsPort $Closed @Z -ErrorAction SilentlyContinue } }
        @{ Name = 'Test-SmtpService'; Run = { Test-SmtpService 127.0.0.1 -Port $Closed -TimeoutSec 1 -ErrorAction SilentlyContinue } }
        @{ Name = 'Test-MailDomain'; Run = { 'good.domain.example', 'broken.domain.example' | Test-MailDomain -ZoneFile "$D/domain/*.zone" -DkimSelector s2026 @Z } }
        @{ Name = 'Test-MailServer'; Run = { '198.51.100.12', '198.51.100.10' | Test-MailServer -ZoneFile "$D/server/*.zone", "$D/dnsbl/ptr-reverse.zone", "$D/dnsbl/ptr-forward.example.org.zone" -Zone bl.spamcop.net @Z } }
        @{ Name = 'Test-MailServer -Relay'; Run = { Test-MailServer -Relay "127.0.0.1:$Closed" -Credential ([pscredential]::new('apikey', (ConvertTo-SecureString 'not-sent' -AsPlainText -Force))) -Domain bare.relay.example -ZoneFile "$D/server/relay/*.zone" @Z -ErrorAction SilentlyContinue } }
        @{ Name = 'Get-DmarcSummary'; Run = { New-SummaryReport | Import-DmarcReport | Get-DmarcSummary -ZoneFile "$D/dnsbl/ptr-reverse.zone", "$D/server/asn.cymru.com.zone" @Z } }
        @{ Name = 'Get-DmarcSummary -By Domain'; Run = { New-SummaryReport | Import-DmarcReport | Get-DmarcSummary -By Domain -NoEnrichment } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -Force
    $script:D = Join-Path $PSScriptRoot '../fixtures/dns'
    $script:Z = @{ Server = '127.0.0.1:9'; TimeoutSec = 1 }
    $script:Closed = & {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    # A DMARC report with one failing and two passing sources, for Get-DmarcSummary's views; returns its path.
    function New-SummaryReport {
        $path = Join-Path $TestDrive 'summary.xml'
        $rec = foreach ($r in @(, @('198.51.100.15', 40, 'fail') + , @('198.51.100.10', 30, 'pass') + , @('198.51.100.11', 5, 'pass'))) {
            "<record><row><source_ip>$($r[0])</source_ip><count>$($r[1])</count><policy_evaluated><disposition>none</disposition><dkim>$($r[2])</dkim><spf>$($r[2])</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers></record>"
        }
        Set-Content -LiteralPath $path -Value "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>$($rec -join '')</feedback>"
        $path
    }
    function Get-Render([object[]] $Objects, [int] $Width) {
        ($Objects | Out-String -Width $Width) -replace "`e\[[0-9;]*m", ''
    }
}

Describe 'Default table views at <Width> columns' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
    It '<Name>: every Status shown in full' -ForEach $Cases {
        $objects = @(& $Run)
        $objects.Count | Should -BeGreaterThan 0
        $text = Get-Render $objects $Width
        $text | Should -Not -Match '\b(Pa|Pas|Fa|Fai|Wa|War|Warn|Un|Unr|Unre|In|Inc|Er|Li|Lis|No|Not|NotL)…'
        foreach ($group in ($objects | Group-Object Status)) {
            ([regex]::Matches($text, "(?<![\w-])$($group.Name)(?![\w-])")).Count |
                Should -BeGreaterOrEqual $group.Count -Because "$($group.Count) result(s) with Status $($group.Name) in:`n$text"
        }
    }
}

Describe 'Findings' {
    It 'a finding shows its Remedy in full by default at <_> columns' -ForEach 80, 120 {
        $finding = (Test-MailSpf plusall.example.org -ZoneFile "$D/spf.example.org.zone" @Z).Findings[0]
        $text = Get-Render @($finding) $_
        $text | Should -Match 'Remedy\s*:'
        ($text -replace '\s', '') | Should -BeLike "*$($finding.Remedy -replace '\s', '')*"
        ($text -replace '\s', '') | Should -BeLike "*$($finding.Message -replace '\s', '')*"
    }

    It 'a Test-MailDomain finding shows its Remedy and Record in full by default at <_> columns' -ForEach 80, 120 {
        $findings = @((Test-MailDomain broken.domain.example -ZoneFile "$D/domain/*.zone" -DkimSelector s2026 @Z).Findings | Select-Object -First 3)
        $text = (Get-Render $findings $_) -replace '\s', ''
        foreach ($f in $findings) {
            $text | Should -BeLike "*$($f.Remedy -replace '\s', '')*"
            if ($f.Record) { $text | Should -BeLike "*$([WildcardPattern]::Escape(($f.Record -replace '\s', '')))*" }
        }
    }

    It 'Format-Table still gives one line per finding' {
        $findings = (Test-MailSpf plusall.example.org -ZoneFile "$D/spf.example.org.zone" @Z).Findings
        $text = ($findings | Format-Table | Out-String -Width 120) -replace "`e\[[0-9;]*m", ''
        $text | Should -Match 'Severity\s+Code\s+Message'
    }
}
