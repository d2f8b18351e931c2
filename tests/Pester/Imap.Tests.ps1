#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 suite for the report importers' -ImapServer parameter set in the real pwsh (the module and MailKit in their
# own AssemblyLoadContext), mirroring tests/MailOps.Module.Tests/ImapTests.cs: a real Dovecot (Debian dovecot-imapd)
# started here on 127.0.0.1 with its own dovecot.conf in $TestDrive (as tests/MailOps.Testing/DovecotServer.cs does),
# a self-signed certificate for localhost made here, messages written straight into the Maildir. Also runs
# examples/import-dmarc-imap.ps1 as cron runs it and checks its exit codes.

BeforeDiscovery {
    $script:NoDovecot = -not (Test-Path /usr/sbin/dovecot) -or -not (Test-Path /usr/lib/dovecot/imap)
}

BeforeAll {
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Module = Join-Path $Repo 'out/MailOps/MailOps.psd1'
    Import-Module $Module -Force
    $self = [Environment]::ProcessPath
    $script:Pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { @($self, (Join-Path $PSHOME 'pwsh.dll')) } else { @($self) }
    if (-not (Test-Path /usr/sbin/dovecot)) { return }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    # One aggregate report with one row per message; the source IP says which message it came from.
    function New-ReportMessage([int] $N, [switch] $Broken) {
        $xml = "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>reporter.test</org_name><email>r@reporter.test</email><report_id>r$N</report_id>" +
        "<date_range><begin>1709251200</begin><end>1709337599</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>" +
        "<record><row><source_ip>192.0.2.$N</source_ip><count>$N</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>" +
        "<identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results></record></feedback>"
        if ($Broken) { $xml = $xml.Substring(0, 200) }
        $b64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($xml), 'InsertLineBreaks')
        "From: r@reporter.test`nTo: dmarc@example.com`nSubject: Report $N`nMessage-ID: <report-$N@reporter.test>`nDate: Fri, 01 Mar 2024 12:0$($N % 10):00 +0000`nMIME-Version: 1.0`nContent-Type: text/xml; name=`"r$N.xml`"`nContent-Disposition: attachment; filename=`"r$N.xml`"`nContent-Transfer-Encoding: base64`n`n$b64`n"
    }
    $script:Root = Join-Path $TestDrive 'dovecot'
    $root = $script:Root
    foreach ($d in 'run', 'state', 'home') { $null = New-Item -ItemType Directory -Path (Join-Path $root $d) }
    $script:User = 'reports'
    $script:Password = 'pester-Passw0rd'
    $script:Maildir = Join-Path $root "home/$User/Maildir"
    $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
    $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddDnsName('localhost')
    $req.CertificateExtensions.Add($san.Build())
    $cert = $req.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
    $script:CertPath = Join-Path $root 'cert.pem'
    Set-Content -LiteralPath $CertPath -Value $cert.ExportCertificatePem()
    Set-Content -LiteralPath (Join-Path $root 'key.pem') -Value $key.ExportPkcs8PrivateKeyPem()
    Set-Content -LiteralPath (Join-Path $root 'passwd') -Value "$($User):{PLAIN}$Password"
    $script:PasswordFile = Join-Path $TestDrive 'imap.pass'
    Set-Content -LiteralPath $PasswordFile -Value $Password
    $isRoot = (id -u) -eq '0'
    $me = [Environment]::UserName
    $login = if ($isRoot) { 'dovenull' } else { $me }
    $internal = if ($isRoot) { 'dovecot' } else { $me }
    $script:Internal = $internal
    $script:ImapPort = Get-FreePort
    $script:ImapsPort = Get-FreePort
    $conf = Join-Path $root 'dovecot.conf'
    Set-Content -LiteralPath $conf -Value @"
base_dir = $root/run
state_dir = $root/state
log_path = $root/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$root/cert.pem
ssl_key = <$root/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = $login
default_internal_user = $internal
default_internal_group = $internal
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $root/passwd
}
userdb {
  driver = static
  args = uid=$internal gid=$internal home=$root/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $ImapPort
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $ImapsPort
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
service auth-worker {
  user = $(if ($isRoot) { 'root' } else { $me })
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
"@
    $script:Conf = $conf
    # Messages go into <folder>/new as Maildir files; Dovecot gives them UIDs in name order.
    function Add-Message([string] $Folder, [string[]] $Messages) {
        $dir = if ($Folder -eq 'INBOX') { $Maildir } else { Join-Path $Maildir ".$Folder" }
        foreach ($d in 'cur', 'new', 'tmp') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $dir $d) }
        $i = 0
        foreach ($m in $Messages) {
            $i++
            Set-Content -LiteralPath (Join-Path $dir ("new/1700000000.M{0:D6}.pester" -f $i)) -Value $m -NoNewline
        }
        if ($isRoot) { chown -R "$($internal):$internal" (Join-Path $root 'home') }
    }
    # Message-IDs of the files in a folder's Maildir, and whether each is \Seen.
    function Get-Folder([string] $Folder) {
        $dir = if ($Folder -eq 'INBOX') { $Maildir } else { Join-Path $Maildir ".$Folder" }
        if (-not (Test-Path $dir)) { return @() }
        Get-ChildItem (Join-Path $dir 'new'), (Join-Path $dir 'cur') -File | Sort-Object Name | ForEach-Object {
            [pscustomobject]@{
                MessageId = ((Get-Content $_.FullName | Where-Object { $_ -like 'Message-ID:*' } | Select-Object -First 1) -replace '^Message-ID:\s*<(.*)>$', '$1')
                Seen      = $_.Name -match ':2,[A-Z]*S'
            }
        }
    }
    Add-Message 'INBOX' @()
    $script:Dovecot = Start-Process -FilePath /usr/sbin/dovecot -ArgumentList '-F', '-c', $conf -PassThru -RedirectStandardError (Join-Path $root 'stderr.txt') -RedirectStandardOutput (Join-Path $root 'stdout.txt')
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        try {
            $c1 = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $ImapPort); $c1.Dispose()
            $c2 = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $ImapsPort); $c2.Dispose()
            break
        }
        catch {
            if ([DateTime]::UtcNow -gt $deadline -or $Dovecot.HasExited) { throw "Dovecot did not start: $(Get-Content -Raw (Join-Path $root 'stderr.txt')) $(Get-Content -Raw (Join-Path $root 'dovecot.log') -ErrorAction SilentlyContinue)" }
            Start-Sleep -Milliseconds 50
        }
    }
    $script:Cred = [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
    $script:Imaps = "localhost:$ImapsPort"

    function Invoke-Example([string[]] $Arguments) {
        $out = Join-Path $TestDrive "$([guid]::NewGuid()).out"
        $err = Join-Path $TestDrive "$([guid]::NewGuid()).err"
        $argList = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Repo 'examples/import-dmarc-imap.ps1')) + $Arguments + @('-ModulePath', $Module)
        $p = Start-Process -FilePath $Pwsh[0] -ArgumentList $argList -RedirectStandardOutput $out -RedirectStandardError $err -Wait -PassThru -NoNewWindow
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = (Get-Content -Raw $out) + (Get-Content -Raw $err) }
    }
}

AfterAll {
    if ($script:Dovecot) {
        & /usr/sbin/dovecot -c $script:Conf stop 2>$null
        if (-not $script:Dovecot.WaitForExit(10000)) { $script:Dovecot.Kill($true) }
    }
}

Describe 'Import-DmarcReport -ImapServer (real Dovecot)' -Skip:$NoDovecot {
    It 'reads each message once into rows that carry its UID, Message-ID and Date, and leaves the folder as it was' {
        Add-Message 'Read' (1..3 | ForEach-Object { New-ReportMessage $_ })
        $rows = @(Import-DmarcReport -ImapServer $Imaps -Credential $Cred -Folder Read -TrustedCertificatePath $CertPath)
        $rows.Count | Should -Be 3
        $rows.SourceIP | Should -Be '192.0.2.1', '192.0.2.2', '192.0.2.3'
        $rows.ImapUid | Should -Be 1, 2, 3
        $rows.MessageId | Should -Be 'report-1@reporter.test', 'report-2@reporter.test', 'report-3@reporter.test'
        $rows[1].MessageDate | Should -Be ([DateTimeOffset]::new(2024, 3, 1, 12, 2, 0, [TimeSpan]::Zero))
        $rows[0].SourceFile | Should -Match '^imaps://reports@localhost:\d+/Read;UIDVALIDITY=\d+/;UID=1$'
        @(Get-Folder 'Read' | Where-Object Seen).Count | Should -Be 0
    }

    It 'Select-Object -First stops the pipeline and the messages not yet written stay where they were' {
        Add-Message 'Stop' (1..5 | ForEach-Object { New-ReportMessage $_ })
        $first = @(Import-DmarcReport -ImapServer $Imaps -Credential $Cred -Folder Stop -TrustedCertificatePath $CertPath -Processed Move -ArchiveFolder Stop-Done | Select-Object -First 2)
        $first.Count | Should -Be 2
        # Message 1's row went through and it was moved; message 2's row stopped the pipeline before its move.
        @(Get-Folder 'Stop-Done').MessageId | Should -Be 'report-1@reporter.test'
        @(Get-Folder 'Stop').Count | Should -Be 4
        # The next run reads the four left.
        @(Import-DmarcReport -ImapServer $Imaps -Credential $Cred -Folder Stop -TrustedCertificatePath $CertPath -Processed Move -ArchiveFolder Stop-Done).Count | Should -Be 4
        @(Get-Folder 'Stop').Count | Should -Be 0
    }

    It 'a wrong password is ImapAuthenticationFailed (AuthenticationError); STARTTLS on the plain port works' {
        $bad = [pscredential]::new($User, (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        Import-DmarcReport -ImapServer $Imaps -Credential $bad -TrustedCertificatePath $CertPath -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ImapAuthenticationFailed,*'
        $e[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        Add-Message 'Tls' @(New-ReportMessage 7)
        $row = Import-DmarcReport -ImapServer "localhost:$ImapPort" -ImapSecurity StartTls -Credential $Cred -Folder Tls -TrustedCertificatePath $CertPath
        $row.SourceIP | Should -Be '192.0.2.7'
    }

    It '-Processed completes and ImapSecurity values tab-complete' {
        (TabExpansion2 'Import-DmarcReport -ImapServer x -Processed ').CompletionMatches.CompletionText | Should -Be 'Keep', 'MarkSeen', 'Move'
        (TabExpansion2 'Import-DmarcReport -ImapServer x -ImapSecurity ').CompletionMatches.CompletionText | Should -Be 'Implicit', 'StartTls'
    }
}

Describe 'examples/import-dmarc-imap.ps1' -Skip:$NoDovecot {
    It 'exits 0, appends the rows to the CSV and archives the messages' {
        Add-Message 'Job' (1..2 | ForEach-Object { New-ReportMessage $_ })
        $csv = Join-Path $TestDrive 'job.csv'
        $r = Invoke-Example @('-ImapServer', $Imaps, '-UserName', $User, '-PasswordFile', $PasswordFile, '-OutFile', $csv, '-Folder', 'Job', '-ArchiveFolder', 'Job-Done', '-TrustedCertificatePath', $CertPath)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $rows = @(Import-Csv $csv)
        $rows.SourceIP | Should -Be '192.0.2.1', '192.0.2.2'
        $rows[0].MessageId | Should -Be 'report-1@reporter.test'
        @(Get-Folder 'Job').Count | Should -Be 0
        @(Get-Folder 'Job-Done').Count | Should -Be 2
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 2 when a message could not be read, and leaves it in the folder' {
        Add-Message 'JobBad' @((New-ReportMessage 1), (New-ReportMessage 2 -Broken))
        $csv = Join-Path $TestDrive 'bad.csv'
        $r = Invoke-Example @('-ImapServer', $Imaps, '-UserName', $User, '-PasswordFile', $PasswordFile, '-OutFile', $csv, '-Folder', 'JobBad', '-TrustedCertificatePath', $CertPath)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        @(Import-Csv $csv).Count | Should -Be 1
        $seen = @(Get-Folder 'JobBad')
        ($seen | Where-Object MessageId -eq 'report-1@reporter.test').Seen | Should -BeTrue
        ($seen | Where-Object MessageId -eq 'report-2@reporter.test').Seen | Should -BeFalse
    }

    It 'exits 3 when the login is refused, and writes the CSV header' {
        $wrong = Join-Path $TestDrive 'wrong.pass'
        Set-Content -LiteralPath $wrong -Value 'not-the-password'
        $csv = Join-Path $TestDrive 'none.csv'
        $r = Invoke-Example @('-ImapServer', $Imaps, '-UserName', $User, '-PasswordFile', $wrong, '-OutFile', $csv, '-TrustedCertificatePath', $CertPath)
        $r.ExitCode | Should -Be 3 -Because $r.Output
        @(Get-Content $csv)[0] | Should -BeLike '"MessageDate","MessageId","ImapUid",*'
        $r.Output | Should -Match 'refused the login'
    }

    It 'exits 3 when the password file is missing' {
        $r = Invoke-Example @('-ImapServer', $Imaps, '-UserName', $User, '-PasswordFile', (Join-Path $TestDrive 'nope.pass'), '-OutFile', (Join-Path $TestDrive 'x.csv'))
        $r.ExitCode | Should -Be 3 -Because $r.Output
        $r.Output | Should -Match 'cannot run'
    }
}
