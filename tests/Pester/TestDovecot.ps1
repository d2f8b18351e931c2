# A real Dovecot (Debian dovecot-imapd) on 127.0.0.1 for the IMAP Pester suite and benchmarks/imap-import.ps1, dot-sourced
# by both; the PowerShell twin of tests/MailOps.Testing/DovecotServer.cs. Everything lives under -Root: dovecot.conf,
# base_dir, state_dir, log, a self-signed certificate for localhost and the user's Maildir. Two listeners on free ports:
# plain IMAP with STARTTLS and IMAPS. As root the login and internal processes run as Debian's dovenull and dovecot
# users and the mail as dovecot; as another user everything runs as that user. Messages are written straight into the
# Maildir (Dovecot gives them UIDs in name order).

function Get-TestFreePort {
    $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
}

# One DMARC aggregate report with one row; the source IP (192.0.2.N) and Message-ID (report-N@reporter.test) say which.
function New-DmarcReportMessage([int] $N, [switch] $Broken) {
    $ip = "192.0.$([math]::Floor($N / 250) % 250 + 2).$($N % 250 + 1)"
    if ($N -lt 250) { $ip = "192.0.2.$N" }
    $xml = "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>reporter.test</org_name><email>r@reporter.test</email><report_id>r$N</report_id>" +
    "<date_range><begin>1709251200</begin><end>1709337599</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>" +
    "<record><row><source_ip>$ip</source_ip><count>$N</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>" +
    "<identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results></record></feedback>"
    if ($Broken) { $xml = $xml.Substring(0, 200) }
    $b64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($xml), 'InsertLineBreaks')
    "From: r@reporter.test`nTo: dmarc@example.com`nSubject: Report $N`nMessage-ID: <report-$N@reporter.test>`nDate: Fri, 01 Mar 2024 12:0$($N % 10):00 +0000`nMIME-Version: 1.0`nContent-Type: text/xml; name=`"r$N.xml`"`nContent-Disposition: attachment; filename=`"r$N.xml`"`nContent-Transfer-Encoding: base64`n`n$b64`n"
}

function Start-TestDovecot([string] $Root, [string] $User = 'reports', [string] $Password = 'pester-Passw0rd') {
    foreach ($d in 'run', 'state', 'home') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $Root $d) }
    $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
    $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddDnsName('localhost')
    $req.CertificateExtensions.Add($san.Build())
    $cert = $req.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
    $certPath = Join-Path $Root 'cert.pem'
    Set-Content -LiteralPath $certPath -Value $cert.ExportCertificatePem()
    Set-Content -LiteralPath (Join-Path $Root 'key.pem') -Value $key.ExportPkcs8PrivateKeyPem()
    Set-Content -LiteralPath (Join-Path $Root 'passwd') -Value "$($User):{PLAIN}$Password"
    $isRoot = (id -u) -eq '0'
    $me = [Environment]::UserName
    $login = if ($isRoot) { 'dovenull' } else { $me }
    $internal = if ($isRoot) { 'dovecot' } else { $me }
    $imapPort = Get-TestFreePort
    $imapsPort = Get-TestFreePort
    $conf = Join-Path $Root 'dovecot.conf'
    Set-Content -LiteralPath $conf -Value @"
base_dir = $Root/run
state_dir = $Root/state
log_path = $Root/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$Root/cert.pem
ssl_key = <$Root/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = $login
default_internal_user = $internal
default_internal_group = $internal
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $Root/passwd
}
userdb {
  driver = static
  args = uid=$internal gid=$internal home=$Root/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imapPort
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imapsPort
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
    $server = [pscustomobject]@{
        Root = $Root; Conf = $conf; Process = $null; ImapPort = $imapPort; ImapsPort = $imapsPort; CertPath = $certPath
        Maildir = (Join-Path $Root "home/$User/Maildir"); User = $User; Password = $Password; Internal = $internal; IsRoot = $isRoot
    }
    Add-TestDovecotMessage $server 'INBOX' @()
    $server.Process = Start-Process -FilePath /usr/sbin/dovecot -ArgumentList '-F', '-c', $conf -PassThru -RedirectStandardError (Join-Path $Root 'stderr.txt') -RedirectStandardOutput (Join-Path $Root 'stdout.txt')
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        try {
            $c1 = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $imapPort); $c1.Dispose()
            $c2 = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $imapsPort); $c2.Dispose()
            break
        }
        catch {
            if ([DateTime]::UtcNow -gt $deadline -or $server.Process.HasExited) {
                throw "Dovecot did not start: $(Get-Content -Raw (Join-Path $Root 'stderr.txt')) $(Get-Content -Raw (Join-Path $Root 'dovecot.log') -ErrorAction SilentlyContinue)"
            }
            Start-Sleep -Milliseconds 50
        }
    }
    $server
}

function Get-TestDovecotFolderPath($Server, [string] $Folder) {
    if ($Folder -eq 'INBOX') { $Server.Maildir } else { Join-Path $Server.Maildir ".$Folder" }
}

# Writes messages into <folder>/new (the folder is created).
function Add-TestDovecotMessage($Server, [string] $Folder, [string[]] $Messages) {
    $dir = Get-TestDovecotFolderPath $Server $Folder
    foreach ($d in 'cur', 'new', 'tmp') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $dir $d) }
    $i = 0
    foreach ($m in $Messages) {
        $i++
        [IO.File]::WriteAllText((Join-Path $dir ("new/1700000000.M{0:D6}.pester" -f $i)), $m)
    }
    if ($Server.IsRoot) { chown -R "$($Server.Internal):$($Server.Internal)" (Join-Path $Server.Root 'home') }
}

# Message-IDs of the files in a folder's Maildir, and whether each is \Seen.
function Get-TestDovecotFolder($Server, [string] $Folder) {
    $dir = Get-TestDovecotFolderPath $Server $Folder
    if (-not (Test-Path $dir)) { return @() }
    Get-ChildItem (Join-Path $dir 'new'), (Join-Path $dir 'cur') -File | Sort-Object Name | ForEach-Object {
        [pscustomobject]@{
            MessageId = ((Get-Content $_.FullName | Where-Object { $_ -like 'Message-ID:*' } | Select-Object -First 1) -replace '^Message-ID:\s*<(.*)>$', '$1')
            Seen      = $_.Name -match ':2,[A-Z]*S'
        }
    }
}

function Stop-TestDovecot($Server) {
    if (-not $Server -or -not $Server.Process) { return }
    & /usr/sbin/dovecot -c $Server.Conf stop 2>$null
    if (-not $Server.Process.WaitForExit(10000)) { $Server.Process.Kill($true) }
}
