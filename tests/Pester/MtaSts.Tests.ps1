#Requires -Version 7.2
# Pester 5 suite for Test-MtaSts, Test-TlsRpt and New-MtaStsPolicy, mirroring tests/MailOps.Module.Tests/MtaStsTests.cs.
# DNS comes from the fixture zone through -ZoneFile (with -Server 127.0.0.1:9 so nothing escapes to the network); the
# policies come from small HTTPS listeners on 127.0.0.1 started here, one port per case, with a test CA made in
# BeforeAll. Nothing but loopback is ever contacted.

BeforeAll {
    $script:Manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    $script:Zone = Join-Path $PSScriptRoot '../fixtures/dns/mtasts.example.zone'
    $script:Dead = '127.0.0.1:9'
    Import-Module $script:Manifest -Force -ErrorAction Stop

    function New-TestCertificate {
        param(
            [string] $Name,
            [System.Security.Cryptography.X509Certificates.X509Certificate2] $Issuer,
            [int] $NotBeforeDays = -1,
            [int] $NotAfterDays = 90,
            [switch] $Ca
        )
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Name", $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $now = [DateTimeOffset]::UtcNow
        if ($Ca) {
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
            $cert = $req.CreateSelfSigned($now.AddDays(-365), $now.AddDays(3650))
        }
        else {
            $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            $san.AddDnsName($Name)
            $req.CertificateExtensions.Add($san.Build())
            $eku = [System.Security.Cryptography.OidCollection]::new()
            $null = $eku.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($eku, $false))
            $serial = [byte[]](1..12 | ForEach-Object { Get-Random -Minimum 1 -Maximum 127 })
            $signed = $req.Create($Issuer, $now.AddDays($NotBeforeDays), $now.AddDays($NotAfterDays), $serial)
            $cert = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($signed, $key)
        }
        $pfx = $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs12)
        [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($pfx, $null, [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable, $null)
    }

    $script:Ca = New-TestCertificate -Name 'MailOps Pester Root CA' -Ca
    $other = New-TestCertificate -Name 'MailOps Pester Untrusted Root' -Ca
    $script:CaPem = Join-Path $TestDrive 'test-ca.pem'
    Set-Content -Path $script:CaPem -Encoding ascii -Value ("-----BEGIN CERTIFICATE-----`n" +
        [Convert]::ToBase64String($script:Ca.RawData, 'InsertLineBreaks') + "`n-----END CERTIFICATE-----")

    $good = "version: STSv1`r`nmode: enforce`r`nmx: mx1.good.mtasts.example`r`nmx: *.backup.mtasts.example`r`nmax_age: 604800`r`n"
    $cases = @{
        good      = @{ Cert = New-TestCertificate -Name 'mta-sts.good.mtasts.example' -Issuer $script:Ca; Status = 200; Type = 'text/plain'; Body = $good }
        wildcard  = @{ Cert = New-TestCertificate -Name 'mta-sts.wildcard.mtasts.example' -Issuer $script:Ca; Status = 200; Type = 'text/plain'
                       Body = "version: STSv1`r`nmode: enforce`r`nmx: *.backup.mtasts.example`r`nmax_age: 1209600`r`n" }
        redirect  = @{ Cert = New-TestCertificate -Name 'mta-sts.redirect.mtasts.example' -Issuer $script:Ca; Status = 301; Type = 'text/plain'; Body = ''
                       Location = 'https://www.redirect.mtasts.example/mta-sts.txt' }
        ctype     = @{ Cert = New-TestCertificate -Name 'mta-sts.ctype.mtasts.example' -Issuer $script:Ca; Status = 200; Type = 'text/html'; Body = $good }
        expired   = @{ Cert = New-TestCertificate -Name 'mta-sts.expired.mtasts.example' -Issuer $script:Ca -NotBeforeDays -60 -NotAfterDays -2; Status = 200; Type = 'text/plain'; Body = $good }
        untrusted = @{ Cert = New-TestCertificate -Name 'mta-sts.untrusted.mtasts.example' -Issuer $other; Status = 200; Type = 'text/plain'; Body = $good }
        wrongname = @{ Cert = New-TestCertificate -Name 'mta-sts.other.mtasts.example' -Issuer $script:Ca; Status = 200; Type = 'text/plain'; Body = $good }
    }
    $script:Port = @{}
    $sites = foreach ($name in $cases.Keys) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $script:Port[$name] = $listener.LocalEndpoint.Port
        [pscustomobject]@{
            Listener = $listener; Certificate = $cases[$name].Cert; Status = $cases[$name].Status
            ContentType = $cases[$name].Type; Body = $cases[$name].Body; Location = $cases[$name].Location
        }
    }
    $script:Sites = @($sites)

    # One background runspace answers every listener: TLS with the case's certificate, one HTTP/1.1 response, close.
    $serve = {
        param($Sites, $Control)
        while ($Control.Run) {
            $busy = $false
            foreach ($site in $Sites) {
                if (-not $site.Listener.Pending()) { continue }
                $busy = $true
                $client = $site.Listener.AcceptTcpClient()
                try {
                    $client.ReceiveTimeout = 5000
                    $ssl = [System.Net.Security.SslStream]::new($client.GetStream(), $false)
                    $ssl.AuthenticateAsServer($site.Certificate)
                    $reader = [System.IO.StreamReader]::new($ssl, [System.Text.Encoding]::ASCII, $false, 1024, $true)
                    while ($line = $reader.ReadLine()) { }
                    $body = [System.Text.Encoding]::UTF8.GetBytes($site.Body)
                    $head = "HTTP/1.1 $($site.Status) Case`r`nContent-Type: $($site.ContentType)`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n"
                    if ($site.Location) { $head += "Location: $($site.Location)`r`n" }
                    $bytes = [System.Text.Encoding]::ASCII.GetBytes($head + "`r`n")
                    $ssl.Write($bytes, 0, $bytes.Length)
                    $ssl.Write($body, 0, $body.Length)
                    $ssl.Flush()
                }
                catch { }
                finally { $client.Dispose() }
            }
            if (-not $busy) { [System.Threading.Thread]::Sleep(20) }
        }
    }
    $script:ServerRunspace = [runspacefactory]::CreateRunspace([initialsessionstate]::CreateDefault2())
    $script:ServerRunspace.Open()
    $script:Server = [powershell]::Create()
    $script:Server.Runspace = $script:ServerRunspace
    $script:Control = [hashtable]::Synchronized(@{ Run = $true })
    $null = $script:Server.AddScript($serve).AddArgument($script:Sites).AddArgument($script:Control)
    $script:ServerHandle = $script:Server.BeginInvoke()

    # A port that refuses connections for the whole file: held by a socket that is bound but never listens.
    $script:ClosedSocket = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
    $script:ClosedSocket.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    $script:ClosedPort = $script:ClosedSocket.LocalEndPoint.Port

    function Invoke-Sts {
        [CmdletBinding()]   # so callers can pass -ErrorVariable / -ErrorAction through to Test-MtaSts
        param([string] $Case, [string] $Domain = "$Case.mtasts.example", [int] $Port = $script:Port[$Case], [switch] $Quiet)
        Test-MtaSts -Domain $Domain -ZoneFile $script:Zone -Server $script:Dead -HttpsPort $Port -TrustedCaCertificatePath $script:CaPem -Quiet:$Quiet
    }
}

AfterAll {
    # The loop checks the flag between connections; no PowerShell.Stop() needed.
    if ($script:Control) { $script:Control.Run = $false }
    if ($script:ServerHandle) { $null = $script:ServerHandle.AsyncWaitHandle.WaitOne(5000) }
    if ($script:Server) { $script:Server.Dispose(); $script:ServerRunspace.Dispose() }
    foreach ($site in $script:Sites) { $site.Listener.Stop() }
    if ($script:ClosedSocket) { $script:ClosedSocket.Dispose() }
    Remove-Module MailOps -ErrorAction SilentlyContinue
}

Describe 'Test-MtaSts' {
    It 'passes a good policy that covers every MX host' {
        $r = Invoke-Sts -Case good
        $r.Status | Should -Be 'Pass'
        $r.Mode | Should -Be 'enforce'
        $r.Id | Should -Be '20261123000000'
        $r.MaxAge | Should -Be 604800
        $r.HttpStatus | Should -Be 200
        $r.PolicyValid | Should -BeTrue
        @($r.UnmatchedMxHost).Count | Should -Be 0
        $r.PSObject.TypeNames[0] | Should -Be 'MailOps.MtaSts.MtaStsResult'
    }

    It 'binds Import-Csv style objects by property name' {
        $r = [pscustomobject]@{ Domain = 'good.mtasts.example' } |
            Test-MtaSts -ZoneFile $script:Zone -Server $script:Dead -HttpsPort $script:Port.good -TrustedCaCertificatePath $script:CaPem
        $r.Domain | Should -Be 'good.mtasts.example'
        $r.Status | Should -Be 'Pass'
    }

    It 'reports <Case> as <Code>' -ForEach @(
        @{ Case = 'redirect'; Code = 'PolicyRedirect' }
        @{ Case = 'ctype'; Code = 'PolicyContentType' }
        @{ Case = 'expired'; Code = 'PolicyCertificateExpired' }
        @{ Case = 'untrusted'; Code = 'PolicyCertificateUntrusted' }
        @{ Case = 'wrongname'; Code = 'PolicyCertificateNameMismatch' }
    ) {
        $r = Invoke-Sts -Case $Case
        $r.Status | Should -Be 'Fail'
        $r.Findings.Code | Should -Contain $Code
        $r.PolicyValid | Should -BeFalse
    }

    It 'matches a wildcard against exactly one leftmost label' {
        $r = Invoke-Sts -Case wildcard
        @($r.UnmatchedMxHost) | Should -Be @('x.y.backup.mtasts.example', 'backup.mtasts.example')
        @($r.Findings | Where-Object Code -EQ 'MxNotInPolicy').Count | Should -Be 2
    }

    It 'warns when there is no record and fetches nothing' {
        $r = Invoke-Sts -Case none -Port $script:ClosedPort
        $r.Findings.Code | Should -Be 'NoMtaStsRecord'
        $r.Status | Should -Be 'Warning'
    }

    It 'writes a ConnectionRefused error, not a finding, and an Unreachable row when nothing listens' {
        $r = Invoke-Sts -Case good -Port $script:ClosedPort -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Unreachable'
        $r.Record | Should -BeLike 'v=STSv1*'
        $r.PolicyValid | Should -BeFalse
        $r.CouldNotCheck | Should -Match 'refused'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'MtaStsPolicyConnectionRefused,*'
        $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'returns booleans with -Quiet' {
        Invoke-Sts -Case good -Quiet | Should -BeTrue
        Invoke-Sts -Case expired -Quiet | Should -BeFalse
        Invoke-Sts -Case none -Port $script:ClosedPort -Quiet | Should -BeFalse
    }

    It 'stops with CertificateFileNotFound for a missing CA file' {
        { Test-MtaSts good.mtasts.example -ZoneFile $script:Zone -Server $script:Dead -TrustedCaCertificatePath (Join-Path $TestDrive 'no.pem') -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateFileNotFound,MailOps.Commands.TestMtaStsCommand'
    }
}

Describe 'Test-TlsRpt' {
    It 'reads <Domain> as <Status>' -ForEach @(
        @{ Domain = 'good.mtasts.example'; Status = 'Pass'; Code = $null }
        @{ Domain = 'https.mtasts.example'; Status = 'Pass'; Code = 'TlsRptExternalDestination' }
        @{ Domain = 'http.mtasts.example'; Status = 'Fail'; Code = 'TlsRptInsecureRua' }
        @{ Domain = 'norua.mtasts.example'; Status = 'Fail'; Code = 'TlsRptMissingRua' }
        @{ Domain = 'tworpt.mtasts.example'; Status = 'Fail'; Code = 'MultipleTlsRptRecords' }
        @{ Domain = 'none.mtasts.example'; Status = 'Warning'; Code = 'NoTlsRptRecord' }
    ) {
        $r = Test-TlsRpt -Domain $Domain -ZoneFile $script:Zone -Server $script:Dead
        $r.Status | Should -Be $Status
        if ($Code) { $r.Findings.Code | Should -Contain $Code } else { @($r.Findings).Count | Should -Be 0 }
    }

    It 'binds by property name and returns one boolean with -Quiet' {
        [pscustomobject]@{ Name = 'good.mtasts.example' } | Test-TlsRpt -ZoneFile $script:Zone -Server $script:Dead -Quiet | Should -Be $true
        $q = @(@([pscustomobject]@{ Name = 'good.mtasts.example' }, [pscustomobject]@{ DomainName = 'norua.mtasts.example' }) |
            Test-TlsRpt -ZoneFile $script:Zone -Server $script:Dead -Quiet)
        $q.Count | Should -Be 1
        $q[0] | Should -BeFalse
    }
}

Describe 'New-MtaStsPolicy' {
    It 'returns the policy text and the TXT record with a fresh id' {
        $p = New-MtaStsPolicy -Domain example.com -MxHost mail.example.com, '*.mx.example.net' -Mode enforce -MaxAgeDays 14
        $p.Policy | Should -Be "version: STSv1`r`nmode: enforce`r`nmx: mail.example.com`r`nmx: *.mx.example.net`r`nmax_age: 1209600`r`n"
        $p.Id | Should -Match '^20\d{12}$'
        $p.TxtRecord | Should -Be "_mta-sts.example.com. 3600 IN TXT `"v=STSv1; id=$($p.Id);`""
        $p.PolicyUrl | Should -Be 'https://mta-sts.example.com/.well-known/mta-sts.txt'
    }

    It 'defaults to testing mode and seven days' {
        $p = New-MtaStsPolicy example.org -MxHost mx.example.org
        $p.Mode | Should -Be 'testing'
        $p.MaxAge | Should -Be 604800
    }

    It 'honours -WhatIf, refuses to overwrite without -Force, overwrites with it' {
        $file = Join-Path $TestDrive '.well-known/mta-sts.txt'
        New-MtaStsPolicy example.com -MxHost mail.example.com -Path $file -WhatIf | Out-Null
        Test-Path $file | Should -BeFalse
        $written = New-MtaStsPolicy example.com -MxHost mail.example.com -Path $file
        $written.Path | Should -Be $file
        Get-Content $file -Raw | Should -Be $written.Policy
        New-MtaStsPolicy example.com -MxHost mx.example.com -Path $file -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'MtaStsPolicyFileExists,*'
        New-MtaStsPolicy example.com -MxHost mx.example.com -Path $file -Force | Out-Null
        Get-Content $file -Raw | Should -Match 'mx: mx\.example\.com'
    }

    It 'rejects a pattern senders would not accept' {
        { New-MtaStsPolicy example.com -MxHost 'mail.*.example.com' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMtaStsPolicy,MailOps.Commands.NewMtaStsPolicyCommand'
    }
}
