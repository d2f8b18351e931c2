#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 suite for Test-SmtpService, Test-MailDane, New-TlsaRecord and Test-Port25Egress, mirroring
# tests/MailOps.Module.Tests/SmtpTests.cs. Offline: names come from -ZoneFile (with -Server 127.0.0.1:9 so nothing
# escapes), servers are loopback listeners created here, certificates are made here with CertificateRequest.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -Force
    $script:Zone = Join-Path $PSScriptRoot '../fixtures/dns/smtp.test.zone'
    $script:Dead = '127.0.0.1:9'

    function New-TestCertificate([string]$Name, [int]$Days = 90) {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Name", $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
        $san.AddDnsName($Name)
        $req.CertificateExtensions.Add($san.Build())
        $req.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays($Days))
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }

    # A listener that accepts (the kernel completes the handshake) but never greets.
    $script:Silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $script:Silent.Start()
    $script:SilentPort = $script:Silent.LocalEndpoint.Port
    $script:ClosedPort = Get-FreePort
}

AfterAll {
    if ($script:Silent) { $script:Silent.Stop() }
}

Describe 'New-TlsaRecord' {
    BeforeAll {
        $script:Cert = New-TestCertificate -Name 'mail.smtp.test'
        $script:PemPath = Join-Path $TestDrive 'fullchain.pem'
        Set-Content -Path $script:PemPath -Value $script:Cert.ExportCertificatePem()
        $spki = $script:Cert.PublicKey.ExportSubjectPublicKeyInfo()
        $script:Expected = [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($spki)).ToLowerInvariant()
    }

    It 'writes the 3 1 1 record line for a certificate file' {
        $r = New-TlsaRecord -CertificatePath $script:PemPath
        $r.Record | Should -Be "_25._tcp.mail.smtp.test. IN TLSA 3 1 1 $($script:Expected)"
        $r.Name | Should -Be '_25._tcp.mail.smtp.test.'
    }

    It 'uses -ServerName and -Port in the owner name' {
        (New-TlsaRecord -CertificatePath $script:PemPath -ServerName mx.example.net -Port 465).Name | Should -Be '_465._tcp.mx.example.net.'
    }

    It 'stops on a missing file' {
        { New-TlsaRecord -CertificatePath (Join-Path $TestDrive 'nope.pem') -ErrorAction Stop } | Should -Throw -ErrorId 'CertificateFileNotFound*'
    }

    It 'stops when usage 2 is asked of a file without a CA certificate' {
        { New-TlsaRecord -CertificatePath $script:PemPath -Usage 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTlsaParameters*'
    }
}

Describe 'Test-SmtpService' {
    It 'reports a refused port as MailConnectionRefused and still writes an Unreachable row' {
        $r = Test-SmtpService 127.0.0.1 -Port $script:ClosedPort -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Unreachable'
        $r.Port | Should -Be $script:ClosedPort
        $r.CouldNotCheck | Should -Match 'refused'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailConnectionRefused,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'reports a silent server as MailNoBanner, an operation timeout, with an Error row' {
        $r = Test-SmtpService 127.0.0.1 -Port $script:SilentPort -TimeoutSec 1 -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Error'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailNoBanner,*'
        $errs[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'puts the unreachable port in the CSV file, with a header' {
        $csv = Join-Path $TestDrive 'smtp.csv'
        Test-SmtpService 127.0.0.1 -Port $script:ClosedPort -ErrorAction SilentlyContinue | Export-Csv $csv
        $rows = @(Import-Csv $csv)
        $rows.Count | Should -Be 1
        $rows[0].Status | Should -Be 'Unreachable'
        $rows[0].CouldNotCheck | Should -Not -BeNullOrEmpty
    }

    It 'returns $false with -Quiet and writes no error' {
        Test-SmtpService 127.0.0.1 -Port $script:ClosedPort -Quiet -ErrorVariable errs | Should -BeFalse
        $errs | Should -BeNullOrEmpty
    }

    It 'binds objects by ComputerName' {
        [pscustomobject]@{ ComputerName = '127.0.0.1' } | Test-SmtpService -Port $script:ClosedPort -Quiet | Should -BeFalse
    }

    It 'resolves names from -ZoneFile' {
        Test-SmtpService mail.smtp.test -Port $script:ClosedPort -ZoneFile $script:Zone -Server $script:Dead -ErrorVariable errs -ErrorAction SilentlyContinue | Out-Null
        $errs[0].TargetObject | Should -Be "mail.smtp.test:$($script:ClosedPort)"
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailConnectionRefused,*'
    }

    It 'stops on a missing trusted certificate file' {
        { Test-SmtpService 127.0.0.1 -Port 25 -TrustedCertificatePath (Join-Path $TestDrive 'none.pem') -ErrorAction Stop } | Should -Throw -ErrorId 'CertificateFileNotFound*'
    }
}

Describe 'Test-MailDane' {
    It 'says NoTlsa for a host without TLSA records, offline' {
        $r = Test-MailDane dane.smtp.test -ZoneFile $script:Zone -Server $script:Dead
        $r.HostName | Should -Be 'mx.dane.smtp.test'
        $r.DaneStatus | Should -Be 'NoTlsa'
        $r.Findings[0].Code | Should -Be 'NoTlsa'
    }

    It 'checks every MX host of a domain' {
        (Test-MailDane two.smtp.test -ZoneFile $script:Zone -Server $script:Dead).HostName | Should -Be @('mx1.two.smtp.test', 'mx2.two.smtp.test')
    }

    It 'reports a null MX as not checked' {
        (Test-MailDane nullmx.smtp.test -ZoneFile $script:Zone -Server $script:Dead).DaneStatus | Should -Be 'NotChecked'
    }
}

Describe 'Test-Port25Egress' {
    It 'is Blocked when port 25 is refused and the control port connects' {
        $r = Test-Port25Egress -Target "mail.smtp.test:$($script:ClosedPort)" -ControlPort $script:SilentPort -ZoneFile $script:Zone -Server $script:Dead -WarningAction SilentlyContinue
        $r.Verdict | Should -Be 'Blocked'
        $r.Remedy | Should -Match '587'
        $r.Targets[0].SmtpResult | Should -Be 'Refused'
    }

    It 'is Unreachable when nothing answers: the result, and an error saying port 25 could not be judged' {
        $r = Test-Port25Egress -Target "127.0.0.1:$($script:ClosedPort)" -ControlPort $script:ClosedPort -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Unreachable'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'EgressUnreachable,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $errs[0].ErrorDetails.RecommendedAction | Should -Be $r.Remedy
    }

    It 'treats a silent accept as blocked when the control port answers' {
        $r = Test-Port25Egress -Target "127.0.0.1:$($script:SilentPort)" -ControlPort $script:SilentPort -TimeoutSec 1 -WarningAction SilentlyContinue
        $r.Targets[0].SmtpResult | Should -Be 'NoBanner'
        $r.Verdict | Should -Be 'Blocked'
    }

    It 'returns $false with -Quiet when port 25 is not open' {
        Test-Port25Egress -Target "127.0.0.1:$($script:ClosedPort)" -ControlPort $script:ClosedPort -Quiet | Should -BeFalse
    }

    It 'writes InvalidTarget for a bad target and tests the rest' {
        $r = Test-Port25Egress 'host:99999', "127.0.0.1:$($script:ClosedPort)" -ControlPort $script:ClosedPort -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTarget,*'
        $r.Targets.Count | Should -Be 1
    }
}
