#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 suite for the report importers' -ImapServer parameter set in the real pwsh (the module and MailKit in their
# own AssemblyLoadContext), mirroring tests/MailOps.Module.Tests/ImapTests.cs: a real Dovecot (Debian dovecot-imapd)
# started here on 127.0.0.1 with its own dovecot.conf in $TestDrive by TestDovecot.ps1 (the twin of
# tests/MailOps.Testing/DovecotServer.cs), a self-signed certificate for localhost, messages written straight into the Maildir. Also runs
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
    . (Join-Path $PSScriptRoot 'TestDovecot.ps1')
    $script:Server = Start-TestDovecot -Root (Join-Path $TestDrive 'dovecot')
    $script:User = $Server.User
    $script:Password = $Server.Password
    $script:CertPath = $Server.CertPath
    $script:ImapPort = $Server.ImapPort
    $script:ImapsPort = $Server.ImapsPort
    $script:PasswordFile = Join-Path $TestDrive 'imap.pass'
    Set-Content -LiteralPath $PasswordFile -Value $Password
    function New-ReportMessage([int] $N, [switch] $Broken) { New-DmarcReportMessage -N $N -Broken:$Broken }
    function Add-Message([string] $Folder, [string[]] $Messages) { Add-TestDovecotMessage $Server $Folder $Messages }
    function Get-Folder([string] $Folder) { Get-TestDovecotFolder $Server $Folder }
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
    if ($script:Server) { Stop-TestDovecot $script:Server }
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
