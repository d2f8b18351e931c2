<#
.SYNOPSIS
    Scheduled DMARC import straight from the mailbox (cron or Task Scheduler): reads the report messages of an IMAP
    folder, appends their rows to a CSV, and archives (or marks seen) each message once its rows are written.
.DESCRIPTION
    Connects to -ImapServer over TLS (port 993, or STARTTLS on 143), reads every message in -Folder with
    Import-DmarcReport -ImapServer and appends one CSV line per report row to -OutFile (the header is written when the
    file is new, even when there is nothing to import, so the file always says the job ran). With -ArchiveFolder each
    imported message is moved there (created when missing); without it, it is marked seen and later runs read only
    unseen messages. A message that carries no readable report is left in the folder as it was, for a human.
    The password is read from the first line of -PasswordFile (a file only the job's user can read: chmod 600, or an
    ACL on Windows); it is never put on the command line.
    Exit codes:
      0  every message was read and its rows appended
      2  one or more messages could not be read (left in the folder; the others were imported)
      3  the import could not run or finish: module not found, password file or output unusable, the server could
         not be reached, TLS or the login failed, the folder does not exist, or the connection broke
.EXAMPLE
    pwsh -NoProfile -File ./examples/import-dmarc-imap.ps1 -ImapServer mail.example.com -UserName dmarc@example.com -PasswordFile /etc/mailops/imap.pass -OutFile /var/log/mailops/dmarc.csv -ArchiveFolder Archive/DMARC
.EXAMPLE
    # crontab: every hour; a summary line per run in the log; cron mails the "failed" line when the exit code is not 0
    # 5 * * * *  pwsh -NoProfile -File /opt/mailops/examples/import-dmarc-imap.ps1 -ImapServer mail.example.com -UserName dmarc@example.com -PasswordFile /etc/mailops/imap.pass -OutFile /var/lib/mailops/dmarc.csv -ArchiveFolder Archive/DMARC >> /var/log/mailops/imap.log 2>&1 || echo "DMARC IMAP import failed, see /var/log/mailops/imap.log"
#>
param(
    [Parameter(Mandatory)] [string] $ImapServer,
    [Parameter(Mandatory)] [string] $UserName,
    [Parameter(Mandatory)] [string] $PasswordFile,
    [Parameter(Mandatory)] [string] $OutFile,
    [string] $Folder = 'INBOX',
    [string] $ArchiveFolder,
    [ValidateSet('Implicit', 'StartTls')] [string] $ImapSecurity,
    [string[]] $TrustedCertificatePath,
    [string] $ModulePath
)

if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$columns = 'MessageDate', 'MessageId', 'ImapUid', 'OrgName', 'ReportId', 'BeginDate', 'EndDate', 'Domain', 'HeaderFrom',
'SourceIP', 'Count', 'Disposition', 'DkimAligned', 'SpfAligned', 'DmarcResult'

try {
    $ErrorActionPreference = 'Stop'
    . (Join-Path $PSScriptRoot 'Import-MailOpsModule.ps1') -ModulePath $ModulePath
    $password = @(Get-Content -LiteralPath $PasswordFile -TotalCount 1)[0]
    if (-not $password) { throw "$PasswordFile is empty." }
    $credential = [pscredential]::new($UserName, (ConvertTo-SecureString $password -AsPlainText -Force))
    Remove-Variable password
    if (-not (Test-Path -LiteralPath $OutFile)) { Set-Content -LiteralPath $OutFile -Value ('"' + ($columns -join '","') + '"') }
    else { [IO.File]::OpenWrite((Resolve-Path -LiteralPath $OutFile).ProviderPath).Dispose() }   # not writable: stops here
    $ErrorActionPreference = 'Continue'
}
catch {
    [Console]::Error.WriteLine("import-dmarc-imap: cannot run: $($_.Exception.Message)")
    exit 3
}

$imap = @{ ImapServer = $ImapServer; Credential = $credential; Folder = $Folder }
if ($ArchiveFolder) { $imap.Processed = 'Move'; $imap.ArchiveFolder = $ArchiveFolder } else { $imap.Processed = 'MarkSeen' }
if ($ImapSecurity) { $imap.ImapSecurity = $ImapSecurity }
if ($TrustedCertificatePath) { $imap.TrustedCertificatePath = $TrustedCertificatePath }

# Rows go to the CSV as they are read: a message is archived only once its rows are in the file.
$count = 0
Import-DmarcReport @imap -ErrorVariable importErrors -ErrorAction SilentlyContinue |
    ForEach-Object { $count++; $_ } |
    Select-Object $columns |
    Export-Csv -LiteralPath $OutFile -Append -NoTypeInformation

$mailbox = @($importErrors | Where-Object { $_.FullyQualifiedErrorId -like 'Imap*' })
$messages = @($importErrors | Where-Object { $_.FullyQualifiedErrorId -notlike 'Imap*' })
"DMARC IMAP import: $count row(s) from $ImapServer/$Folder; $($messages.Count) message(s) left unread$(if ($mailbox.Count) { '; the mailbox could not be read' })."
foreach ($e in @($importErrors)) { Write-Warning "$($e.TargetObject): $(if ($e.ErrorDetails) { $e.ErrorDetails.Message } else { $e.Exception.Message })" }
if ($mailbox.Count -gt 0) { exit 3 }
if ($messages.Count -gt 0) { exit 2 }
exit 0
