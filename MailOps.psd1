@{
    RootModule           = 'MailOps.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '014a27d4-e66b-490d-ac3a-2a191f477914'
    Author               = 'MailOps contributors'
    CompanyName          = 'MailOps'
    Copyright            = '(c) MailOps contributors. MIT licence.'
    Description          = 'Mail deliverability checks for people who run their own mail server: MX, SPF, DKIM, DMARC, blocklists, reverse DNS, MTA-STS, DANE and SMTP - as objects for the pipeline.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @(
        'MailOps.Mx.Format.ps1xml'
        'MailOps.Dmarc.Format.ps1xml'
    )
    TypesToProcess       = @(
        'MailOps.Types.ps1xml'
        'MailOps.Dmarc.Types.ps1xml'
    )
    CmdletsToExport      = @(
        'Get-MailMx'
        'Test-MailDmarc'
        'Import-DmarcReport'
        'Import-TlsRptReport'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Mail', 'Email', 'SMTP', 'DNS', 'MX', 'SPF', 'DKIM', 'DMARC', 'DNSBL', 'Deliverability', 'Postfix', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'See CHANGELOG.md. 0.1.0: the DNS layer (-Server, -TimeoutSec, -ZoneFile; typed outcomes; per-invocation cache) and Get-MailMx.'
        }
    }
}
