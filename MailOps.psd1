@{
    RootModule           = 'MailOps.psm1'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '014a27d4-e66b-490d-ac3a-2a191f477914'
    Author               = 'MailOps contributors'
    CompanyName          = 'MailOps'
    Copyright            = '(c) MailOps contributors. MIT licence.'
    Description          = 'Mail deliverability checks for people who run their own mail server: MX, SPF, DKIM, DMARC, blocklists, reverse DNS, MTA-STS, TLS-RPT, DANE and SMTP - as objects for the pipeline.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @(
        'MailOps.Format.ps1xml'
        'MailOps.Dkim.Format.ps1xml'
        'MailOps.Dmarc.Format.ps1xml'
        'MailOps.Dnsbl.Format.ps1xml'
        'MailOps.DomainHealth.Format.ps1xml'
        'MailOps.MtaSts.Format.ps1xml'
        'MailOps.Monitoring.Format.ps1xml'
        'MailOps.Mx.Format.ps1xml'
        'MailOps.Ptr.Format.ps1xml'
        'MailOps.Server.Format.ps1xml'
        'MailOps.Smtp.Format.ps1xml'
        'MailOps.Spf.Format.ps1xml'
    )
    TypesToProcess       = @(
        'MailOps.Dkim.Types.ps1xml'
        'MailOps.Dmarc.Types.ps1xml'
        'MailOps.Dnsbl.Types.ps1xml'
        'MailOps.Monitoring.Types.ps1xml'
        'MailOps.DomainHealth.Types.ps1xml'
        'MailOps.MtaSts.Types.ps1xml'
        'MailOps.Smtp.Types.ps1xml'
        'MailOps.Spf.Types.ps1xml'
        'MailOps.Types.ps1xml'
    )
    CmdletsToExport      = @(
        'ConvertTo-MailOpsHtml'
        'New-DkimKey'
        'Find-DkimSelector'
        'Test-DkimSignature'
        'Import-DmarcReport'
        'Import-DmarcFailureReport'
        'Get-DmarcSummary'
        'Import-MailBounce'
        'Get-DnsblListing'
        'Get-DnsblZone'
        'Test-MailDane'
        'Test-MailDkim'
        'Test-MailDmarc'
        'Test-MailDomain'
        'Get-MailDeliveryLog'
        'Get-MailDeliveryStat'
        'New-MailWarmupPlan'
        'Test-MailWarmup'
        'Get-MailMx'
        'Test-MailPtr'
        'Test-MailServer'
        'Test-MailSpf'
        'Test-MtaSts'
        'New-MtaStsPolicy'
        'Test-Port25Egress'
        'Test-SmtpService'
        'Test-TlsRpt'
        'Import-TlsRptReport'
        'New-TlsaRecord'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Mail', 'Email', 'SMTP', 'DNS', 'MX', 'SPF', 'DKIM', 'DMARC', 'DNSBL', 'MTA-STS', 'DANE', 'TLSRPT', 'Deliverability', 'Postfix', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'See CHANGELOG.md. 0.1.0: the DNS layer (-Server, -TimeoutSec, -ZoneFile) and the first checks: MX, SPF, DKIM, DMARC and report import, blocklists and reverse DNS, MTA-STS, TLS-RPT, DANE, SMTP/IMAP services and port-25 egress.'
        }
    }
}
