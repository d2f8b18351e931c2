#!/usr/bin/env pwsh
# Import-DmarcReport -ImapServer against a real Dovecot on loopback (IMAPS, TLS), messages per second, against the same
# messages read as .eml files from disk (Import-DmarcReport -LiteralPath): what the IMAP round trips cost.
# Usage: pwsh -NoProfile -File benchmarks/imap-import.ps1 [-Messages 1000] [-Runs 3]
# Needs a build (out/MailOps) and Debian's dovecot-imapd (tests/Pester/TestDovecot.ps1 starts it in a temporary folder).
param([int]$Messages = 1000, [int]$Runs = 3)
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $repo 'out/MailOps/MailOps.psd1')
. (Join-Path $repo 'tests/Pester/TestDovecot.ps1')
$tmp = Join-Path ([IO.Path]::GetTempPath()) "imap-bench-$PID"
$null = New-Item -ItemType Directory -Path $tmp
$server = $null
try {
    $server = Start-TestDovecot -Root (Join-Path $tmp 'dovecot')
    $mail = @(1..$Messages | ForEach-Object { New-DmarcReportMessage -N $_ })
    Add-TestDovecotMessage $server 'Bench' $mail
    Add-TestDovecotMessage $server 'BenchSeen' $mail
    Add-TestDovecotMessage $server 'BenchMove' $mail
    $emls = Join-Path $tmp 'eml'
    $null = New-Item -ItemType Directory -Path $emls
    for ($i = 0; $i -lt $mail.Count; $i++) { [IO.File]::WriteAllText((Join-Path $emls "$i.eml"), $mail[$i]) }
    $cred = [pscredential]::new($server.User, (ConvertTo-SecureString $server.Password -AsPlainText -Force))
    $imap = @{ ImapServer = "localhost:$($server.ImapsPort)"; Credential = $cred; TrustedCertificatePath = $server.CertPath }

    # The first run also lets Dovecot index the folder; it is not counted.
    $n = (Import-DmarcReport @imap -Folder Bench | Measure-Object).Count
    if ($n -ne $Messages) { throw "read $n rows, expected $Messages" }

    function Measure-Best([scriptblock] $Block, [int] $Times) {
        $best = [double]::MaxValue
        for ($i = 0; $i -lt $Times; $i++) { $t = (Measure-Command $Block).TotalSeconds; if ($t -lt $best) { $best = $t } }
        $best
    }
    $files = Measure-Best { Import-DmarcReport -LiteralPath $emls | Measure-Object | Out-Null } $Runs
    $keep = Measure-Best { Import-DmarcReport @imap -Folder Bench | Measure-Object | Out-Null } $Runs
    # MarkSeen and Move change the folder: one run each.
    $seen = (Measure-Command { Import-DmarcReport @imap -Folder BenchSeen -Processed MarkSeen | Measure-Object | Out-Null }).TotalSeconds
    $move = (Measure-Command { Import-DmarcReport @imap -Folder BenchMove -Processed Move -ArchiveFolder BenchDone | Measure-Object | Out-Null }).TotalSeconds
    $left = @(Get-TestDovecotFolder $server 'BenchMove').Count
    $moved = @(Get-TestDovecotFolder $server 'BenchDone').Count
    if ($left -ne 0 -or $moved -ne $Messages) { throw "Move left $left and moved $moved" }

    '{0:N0} one-row DMARC report messages, Dovecot {1} on loopback, IMAPS' -f $Messages, ((& /usr/sbin/dovecot --version) -split ' ')[0]
    '{0,-40} {1,8:N0} messages/s  ({2:N2} s, best of {3})' -f '.eml files (Import-DmarcReport -LiteralPath)', ($Messages / $files), $files, $Runs
    '{0,-40} {1,8:N0} messages/s  ({2:N2} s, best of {3})  {4:N1}x the file time' -f 'IMAP -Processed Keep', ($Messages / $keep), $keep, $Runs, ($keep / $files)
    '{0,-40} {1,8:N0} messages/s  ({2:N2} s, one run)' -f 'IMAP -Processed MarkSeen', ($Messages / $seen), $seen
    '{0,-40} {1,8:N0} messages/s  ({2:N2} s, one run)' -f 'IMAP -Processed Move', ($Messages / $move), $move
    'peak working set of this pwsh: {0:N0} MB; load average {1}' -f ((Get-Process -Id $PID).PeakWorkingSet64 / 1MB), (((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ')
}
finally {
    Stop-TestDovecot $server
    Remove-Item -Recurse -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
}
