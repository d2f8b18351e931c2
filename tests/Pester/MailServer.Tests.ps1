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

Describe 'Test-MailServer -Service, -Local and -Relay' {
    BeforeAll {
        $script:Closed = & {
            $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
        }
        $script:RelayZones = @{ ZoneFile = (Join-Path $PSScriptRoot '../fixtures/dns/server/relay/*.zone'); Server = '127.0.0.1:9'; TimeoutSec = 1 }
        $script:Password = 'Pester-Relay-' + [guid]::NewGuid().ToString('N')
        $script:Cred = [pscredential]::new('apikey', (ConvertTo-SecureString $script:Password -AsPlainText -Force))

        # A relay without STARTTLS that advertises AUTH in clear text: greets, answers EHLO, then records what comes next.
        function Start-PlainRelay {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                param($listener)
                $client = $listener.AcceptTcpClient()
                $stream = $client.GetStream()
                $reader = [System.IO.StreamReader]::new($stream)
                $writer = [System.IO.StreamWriter]::new($stream); $writer.NewLine = "`r`n"; $writer.AutoFlush = $true
                $writer.WriteLine('220 relay.test ESMTP')
                $seen = @()
                while ($null -ne ($line = $reader.ReadLine())) {
                    $seen += $line
                    if ($line -like 'EHLO*') { $writer.WriteLine('250-relay.test'); $writer.WriteLine('250 AUTH PLAIN LOGIN') }
                    elseif ($line -eq 'QUIT') { $writer.WriteLine('221 bye'); break }
                    else { $writer.WriteLine('502 no') }
                }
                $client.Dispose()
                $seen
            }).AddArgument($listener)
            [pscustomobject]@{ Listener = $listener; Port = $listener.LocalEndpoint.Port; Shell = $ps; Handle = $ps.BeginInvoke() }
        }
    }

    It '-ServicePort probes the ports given: port 25 refused is SmtpPortClosed' {
        $r = Test-MailServer 127.0.0.1 @offline -NoAsn -ServicePort @{ Smtp = $Closed } -ErrorAction SilentlyContinue
        $r.Services.Count | Should -Be 1
        $r.Services[0].Protocol | Should -Be 'SMTP'
        $r.Services[0].Status | Should -Be 'Unreachable'
        $r.Findings.Code | Should -Contain 'SmtpPortClosed'
    }

    It '-ServicePort refuses an unknown protocol' {
        { Test-MailServer 127.0.0.1 @offline -ServicePort @{ Smtpz = 25 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidServicePort*'
    }

    It '-Local attaches the egress result; nothing answering is an EgressUnreachable error' {
        $r = Test-MailServer 198.51.100.10 @offline -NoAsn -Local -EgressTarget "127.0.0.1:$Closed" -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Port25Egress.Verdict | Should -Be 'Unreachable'
        $r.Status | Should -Be 'Incomplete'
        $errs.FullyQualifiedErrorId | Should -Contain 'EgressUnreachable,MailOps.Commands.TestMailServerCommand'
    }

    It '-Relay sends no password to a relay without TLS: NoTlsBeforeAuth' {
        $relay = Start-PlainRelay
        try {
            $r = Test-MailServer -Relay "127.0.0.1:$($relay.Port)" -Credential $Cred -TimeoutSec 5
            $seen = $relay.Shell.EndInvoke($relay.Handle)
        } finally { $relay.Listener.Stop(); $relay.Shell.Dispose() }
        $r.PSObject.TypeNames[0] | Should -Be 'MailOps.Server.MailRelayResult'
        $r.Login | Should -Be 'NoTls'
        $r.Findings.Code | Should -Contain 'NoTlsBeforeAuth'
        $r.Findings.Code | Should -Contain 'NoStartTls'
        @($seen | Where-Object { $_ -like 'AUTH*' }) | Should -BeNullOrEmpty
        $seen[-1] | Should -Be 'QUIT'
    }

    It '-Relay with -Domain checks the provider''s SPF include and DKIM even when the relay is down, and never shows the password' {
        $r = Test-MailServer -Relay "smtp.sendgrid.net:$Closed" -Credential $Cred -Domain bare.relay.example @RelayZones -ErrorVariable errs -ErrorAction SilentlyContinue -Verbose 4>&1
        $result = $r | Where-Object { $_ -is [MailOps.Server.MailRelayResult] }
        $result.Status | Should -Be 'Unreachable'
        $result.Provider | Should -Be 'SendGrid'
        $result.SpfAuthorizesRelay | Should -BeFalse
        $result.Findings.Code | Should -Contain 'SpfMissingRelayInclude'
        $result.Findings.Code | Should -Contain 'DkimRelaySelectorMissing'
        $errs.Count | Should -Be 1
        (($r | Out-String) + ($errs | Out-String) + ($result | Format-List * | Out-String)) | Should -Not -Match ([regex]::Escape($Password))
        $good = Test-MailServer -Relay "smtp.sendgrid.net:$Closed" -Credential $Cred -Domain good.relay.example @RelayZones -ErrorAction SilentlyContinue
        $good.SpfAuthorizesRelay | Should -BeTrue
        @($good.DkimSelectorFound) | Should -Be @('s1')
    }
}
