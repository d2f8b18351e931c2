#Requires -Version 7.0
# The one -Quiet rule (about_MailOps): every cmdlet with -Quiet writes exactly ONE Boolean per invocation, $true only
# when every input passed and every check ran; a check that could not run makes it $false without an error record.
# Offline: fixture zones through -ZoneFile, -Server at a closed loopback port, closed loopback ports for SMTP.

BeforeDiscovery {
    # One row per cmdlet with -Quiet (the last Describe checks that none is missing).
    $script:CouldNotRun = @(
        @{ Name = 'Test-MailSpf'; Run = { 'good.example.org', 'unanswerable.test' | Test-MailSpf @Spf -Quiet } }
        @{ Name = 'Test-MailSpf -IPAddress'; Run = { Test-MailSpf unanswerable.test -IPAddress 192.0.2.1 @Spf -Quiet } }
        @{ Name = 'Test-MailDmarc'; Run = { 'good.example', 'unanswerable.test' | Test-MailDmarc @Dmarc -Quiet } }
        @{ Name = 'Test-MailDkim'; Run = { Test-MailDkim unanswerable.test good @Dkim -Quiet } }
        @{ Name = 'Test-DkimSignature'; Run = { Test-DkimSignature (Join-Path $TestDrive 'no-such.eml') -Server $Dead -Quiet } }
        @{ Name = 'Get-DnsblListing'; Run = { '192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org, unanswerable.test @Zen -Quiet } }
        @{ Name = 'Test-MailPtr'; Run = { '198.51.100.10', '203.0.113.99' | Test-MailPtr @Ptr -Quiet } }
        @{ Name = 'Test-TlsRpt'; Run = { 'good.mtasts.example', 'unanswerable.test' | Test-TlsRpt @Sts -Quiet } }
        @{ Name = 'Test-MtaSts'; Run = { 'good.mtasts.example' | Test-MtaSts @Sts -HttpsPort $Closed -Quiet } }
        @{ Name = 'Test-SmtpService'; Run = { Test-SmtpService 127.0.0.1 -Port $Closed, $Closed -TimeoutSec 1 -Quiet } }
        @{ Name = 'Test-MailDane'; Run = { Test-MailDane -HostName mx.unanswerable.test -Server $Dead -TimeoutSec 1 -Quiet } }
        @{ Name = 'Test-Port25Egress'; Run = { Test-Port25Egress "127.0.0.1:$Closed" -ControlPort $Closed -TimeoutSec 1 -Server $Dead -Quiet } }
        @{ Name = 'Test-Port25Egress (no default target resolves)'; Run = { Test-Port25Egress -Server $Dead -TimeoutSec 1 -Quiet } }
        @{ Name = 'Test-MailDomain'; Run = { 'good.domain.example', 'unanswerable.test' | Test-MailDomain -ZoneFile (Join-Path $Dns 'domain/*.zone') -Server $Dead -TimeoutSec 1 -DkimSelector s2026 -Quiet } }
        @{ Name = 'Test-MailServer'; Run = { '198.51.100.12', '203.0.113.99' | Test-MailServer -ZoneFile $ServerZones -Server $Dead -TimeoutSec 1 -Zone bl.spamcop.net -Quiet } }
        @{ Name = 'Get-MailDeliveryStat'; Run = { @(Get-MailDeliveryLog -LiteralPath $MailLog -Until ([datetime]'2026-11-08')) + [pscustomobject]@{ Foo = 1 } | Get-MailDeliveryStat -Quiet } }
        @{ Name = 'Test-MailWarmup'; Run = { Test-MailWarmup -Plan ([pscustomobject]@{ Day = '1'; Date = '2026-11-06'; Provider = 'All'; MaxMessages = '100' }) -Log $MailLog, (Join-Path $TestDrive 'no-such.log') -Quiet } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -Force
    $script:Dns = Join-Path $PSScriptRoot '../fixtures/dns'
    $script:Dead = '127.0.0.1:9'
    $script:MailLog = Join-Path $PSScriptRoot '../fixtures/maillog/spike.log'
    $script:Closed = & {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    $script:Spf = @{ ZoneFile = Join-Path $Dns 'spf.example.org.zone'; Server = $Dead; TimeoutSec = 1 }
    $script:Dmarc = @{ ZoneFile = Join-Path $Dns 'dmarc.example.zone'; Server = $Dead; TimeoutSec = 1 }
    $script:Dkim = @{ ZoneFile = Join-Path $Dns 'dkim.example.zone'; Server = $Dead; TimeoutSec = 1 }
    $script:Sts = @{ ZoneFile = Join-Path $Dns 'mtasts.example.zone'; Server = $Dead; TimeoutSec = 1 }
    $script:Zen = @{ ZoneFile = Join-Path $Dns 'dnsbl/dnsbl-zen.spamhaus.org.zone'; Server = $Dead; TimeoutSec = 1 }
    $script:ServerZones = 'server/bl.spamcop.net.zone', 'server/asn.cymru.com.zone', 'dnsbl/ptr-reverse.zone', 'dnsbl/ptr-forward.example.org.zone' | ForEach-Object { Join-Path $Dns $_ }
    $script:Ptr = @{ ZoneFile = @((Join-Path $Dns 'reverse.zone'), (Join-Path $Dns 'mx.example.com.zone'), (Join-Path $Dns 'dnsbl/*.zone')); Server = $Dead; TimeoutSec = 1 }

    # Runs the script block, returns its output as an array, and the errors it wrote (none expected under -Quiet).
    function Invoke-Quiet([scriptblock] $Command) {
        $errs = $null
        $out = @(& $Command -ErrorVariable +errs -ErrorAction SilentlyContinue 2>&1 | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        [pscustomobject]@{ Output = $out; Errors = @($errs) }
    }
}

Describe '-Quiet: exactly one Boolean per invocation' {
    It '<Name>: $true when every input passes' -ForEach @(
        @{ Name = 'Test-MailSpf'; Run = { 'good.example.org' | Test-MailSpf @Spf -Quiet } }
        @{ Name = 'Test-MailSpf -IPAddress'; Run = { Test-MailSpf good.example.org -IPAddress 192.0.2.1 @Spf -Quiet } }
        @{ Name = 'Test-MailDmarc'; Run = { 'good.example' | Test-MailDmarc @Dmarc -Quiet } }
        @{ Name = 'Test-MailDkim'; Run = { Test-MailDkim dkim.example good @Dkim -Quiet } }
        @{ Name = 'Test-DkimSignature'; Run = { Get-ChildItem (Join-Path $PSScriptRoot '../fixtures/dkim') -Filter 'rfc8463-*.eml' | Test-DkimSignature -ZoneFile (Join-Path $Dns 'football.example.com.zone') -Server $Dead -Quiet } }
        @{ Name = 'Get-DnsblListing'; Run = { '192.0.2.20', '192.0.2.21' | Get-DnsblListing -Zone zen.spamhaus.org @Zen -Quiet } }
        @{ Name = 'Test-MailPtr'; Run = { '198.51.100.10' | Test-MailPtr @Ptr -Quiet } }
        @{ Name = 'Test-TlsRpt'; Run = { 'good.mtasts.example' | Test-TlsRpt @Sts -Quiet } }
    ) {
        $r = Invoke-Quiet $Run
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 1
        $r.Output[0] | Should -BeOfType [bool]
        $r.Output[0] | Should -BeTrue
    }

    It '<Name>: one $false when one input of several fails' -ForEach @(
        @{ Name = 'Test-MailSpf'; Run = { 'good.example.org', 'plusall.example.org', 'good.example.org' | Test-MailSpf @Spf -Quiet } }
        @{ Name = 'Test-MailDmarc'; Run = { 'good.example', 'nodmarc.example' | Test-MailDmarc @Dmarc -Quiet } }
        @{ Name = 'Test-MailDkim'; Run = { Test-MailDkim dkim.example good, revoked, good @Dkim -Quiet } }
        @{ Name = 'Get-DnsblListing'; Run = { '192.0.2.20', '192.0.2.10' | Get-DnsblListing -Zone zen.spamhaus.org @Zen -Quiet } }
        @{ Name = 'Test-MailPtr'; Run = { '198.51.100.10', '198.51.100.13', '198.51.100.10' | Test-MailPtr @Ptr -Quiet } }
        @{ Name = 'Test-TlsRpt'; Run = { 'good.mtasts.example', 'norua.mtasts.example' | Test-TlsRpt @Sts -Quiet } }
        @{ Name = 'Test-MtaSts'; Run = { 'none.mtasts.example' | Test-MtaSts @Sts -HttpsPort $Closed -Quiet } }
    ) {
        $r = Invoke-Quiet $Run
        $r.Output.Count | Should -Be 1
        $r.Output[0] | Should -BeOfType [bool]
        $r.Output[0] | Should -BeFalse
    }

    It '<Name>: one $false, and no error record, when a check could not run' -ForEach $CouldNotRun {
        $r = Invoke-Quiet $Run
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 1
        $r.Output[0] | Should -BeOfType [bool]
        $r.Output[0] | Should -BeFalse
    }
}

Describe '-Quiet: no cmdlet left out' {
    # Every cmdlet with -Quiet has a could-not-run row above (the full pass/fail/could-not-run table, with SMTP and HTTPS
    # peers, is tests/MailOps.Module.Tests/QuietRuleTests.cs, which discovers the cmdlets the same way).
    It 'the could-not-run table names every cmdlet that has -Quiet' -ForEach @{ Tested = @($CouldNotRun | ForEach-Object { ($_.Name -split ' ')[0] }) } {
        $withQuiet = Get-Command -Module MailOps | Where-Object { $_.Parameters.ContainsKey('Quiet') } | ForEach-Object Name | Sort-Object
        $withQuiet | Should -Not -BeNullOrEmpty
        $withQuiet | Where-Object { $_ -notin $Tested } | Should -BeNullOrEmpty
    }
}

Describe 'Progress' {
    It 'Test-MailSpf completes its progress bar when it ends' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$((Resolve-Path (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1')).Path)'; Test-MailSpf good.example.org -ZoneFile '$($Spf.ZoneFile)' -Server $Dead")
        $null = $ps.Invoke()
        $progress = @($ps.Streams.Progress | Where-Object Activity -eq 'Test-MailSpf')
        $ps.Dispose()
        $progress.Count | Should -BeGreaterThan 1
        $progress[-1].RecordType | Should -Be 'Completed'
    }
}

Describe 'Never silent' {
    It 'Test-Port25Egress says what to do when no default target resolves' {
        $null = Test-Port25Egress -Server $Dead -TimeoutSec 1 -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $errs.FullyQualifiedErrorId | Should -Contain 'NoEgressTargets,MailOps.Commands.TestPort25EgressCommand'
        ($errs | Where-Object FullyQualifiedErrorId -like 'NoEgressTargets,*').ErrorDetails.RecommendedAction | Should -Match '-Server|-Target'
    }
}

Describe 'about_MailOps' {
    It 'ships with the module and explains <Topic>' -ForEach @(
        @{ Topic = 'findings vs errors'; Pattern = 'FINDINGS ARE DATA, FAILURES ARE ERRORS' }
        @{ Topic = 'the -Quiet rule'; Pattern = 'exactly one Boolean per invocation' }
        @{ Topic = '-ZoneFile'; Pattern = '-ZONEFILE' }
        @{ Topic = '-Server'; Pattern = '-SERVER' }
        @{ Topic = 'scheduling and exit codes'; Pattern = '3  the script itself could not run' }
    ) {
        (Get-Help about_MailOps | Out-String) | Should -Match ([regex]::Escape($Pattern))
    }

    It 'names every cmdlet that has -Quiet' {
        $text = (Get-Help about_MailOps | Out-String) -replace '\s+', ' '
        foreach ($name in (Get-Command -Module MailOps | Where-Object { $_.Parameters.ContainsKey('Quiet') }).Name) {
            $text | Should -Match "\b$name\b" -Because "about_MailOps lists the cmdlets that follow the -Quiet rule"
        }
    }
}
