#Requires -Version 7.0
# Pester 5 suite for Import-DmarcFailureReport, report de-duplication (-ExcludeReportId) and zlib payloads. Mirrors
# tests/MailOps.Module.Tests/DmarcFailureReportTests.cs; every report is generated in TestDrive. Build first:
# dotnet build src/MailOps (or ./build.ps1 -Task Build).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force

    # A DMARC failure report: ARF (RFC 5965) with an auth-failure feedback report (RFC 6591, RFC 9991 fields) and the
    # failed message's headers.
    function New-FailureReport([string] $Id, [string] $Ip) {
        @(
            'From: dmarc-ruf@receiver.example', 'To: ruf@example.com', "Subject: DMARC failure report $Id",
            'Date: Sun, 22 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0',
            'Content-Type: multipart/report; report-type=feedback-report; boundary="b"', '',
            '--b', 'Content-Type: text/plain', '', 'A message failed DMARC.',
            '--b', 'Content-Type: message/feedback-report', '',
            'Feedback-Type: auth-failure', 'User-Agent: Receiver/1', 'Version: 1',
            'Original-Mail-From: <bounce@example.com>', 'Original-Rcpt-To: <alice@receiver.example>',
            'Arrival-Date: Sun, 22 Nov 2026 09:58:12 +0100', "Source-IP: $Ip", 'Auth-Failure: dmarc',
            'Delivery-Result: quarantine', 'Identity-Alignment: spf', 'Reported-Domain: example.com', '',
            '--b', 'Content-Type: text/rfc822-headers', '',
            'From: billing@example.com', 'To: alice@receiver.example', "Subject: Invoice $Id", "Message-ID: <$Id@bulk.example>", '',
            '--b--', ''
        ) -join "`r`n"
    }

    function New-Report([string] $Org, [string] $Id, [int] $Rows) {
        $records = foreach ($i in 1..$Rows) {
            "<record><row><source_ip>192.0.2.$i</source_ip><count>$i</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><result>pass</result></dkim></auth_results></record>"
        }
        "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>$Org</org_name><email>d@r.example</email><report_id>$Id</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>$($records -join '')</feedback>"
    }

    function ConvertTo-Compressed([string] $Text, [string] $Kind) {
        $ms = [System.IO.MemoryStream]::new()
        $z = if ($Kind -eq 'zlib') { [System.IO.Compression.ZLibStream]::new($ms, [System.IO.Compression.CompressionLevel]::Optimal, $true) }
             else { [System.IO.Compression.GZipStream]::new($ms, [System.IO.Compression.CompressionLevel]::Optimal, $true) }
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
        $z.Write($bytes, 0, $bytes.Length)
        $z.Dispose()
        , $ms.ToArray()
    }
}

Describe 'Import-DmarcFailureReport' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'reads a Maildir, one object per report' {
        New-Item -ItemType Directory -Path (Join-Path $dir 'cur'), (Join-Path $dir 'new'), (Join-Path $dir 'tmp') | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'cur/1.eml') -Value (New-FailureReport 'a' '198.51.100.7') -NoNewline
        Set-Content -LiteralPath (Join-Path $dir 'new/2.eml') -Value (New-FailureReport 'b' '203.0.113.9') -NoNewline
        $reports = @(Import-DmarcFailureReport -Path $dir)
        $reports.Count | Should -Be 2
        $reports[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Reports.DmarcFailureReport'
        ($reports.SourceIP | Sort-Object) | Should -Be @('198.51.100.7', '203.0.113.9')
        $reports[0].AuthFailure | Should -Be 'dmarc'
        $reports[0].DeliveryResult | Should -Be 'quarantine'
        $reports[0].IdentityAlignment | Should -Be @('spf')
        $reports[0].ArrivalDate | Should -Be ([datetime]::new(2026, 11, 22, 8, 58, 12, [System.DateTimeKind]::Utc))
        $reports[0].SampleHeadersOnly | Should -BeTrue
    }

    It 'writes parsedmarc''s forensic CSV with -Format Parsedmarc' {
        Set-Content -LiteralPath (Join-Path $dir 'r.eml') -Value (New-FailureReport 'a' '198.51.100.7') -NoNewline
        $csv = Import-DmarcFailureReport -Path $dir -Format Parsedmarc -NoEnrichment | ConvertTo-Csv -NoTypeInformation
        $csv[0] | Should -Be '"feedback_type","user_agent","version","original_envelope_id","original_mail_from","original_rcpt_to","arrival_date","arrival_date_utc","subject","message_id","authentication_results","dkim_domain","source_ip_address","source_country","source_reverse_dns","source_base_domain","delivery_result","auth_failure","reported_domain","authentication_mechanisms","sample_headers_only"'
        $row = $csv | ConvertFrom-Csv
        $row.arrival_date_utc | Should -Be '2026-11-22 08:58:12'
        $row.authentication_mechanisms | Should -Be 'spf'
        $row.subject | Should -Be 'Invoice a'
    }

    It 'skips aggregate reports in the same mbox with one warning, and Import-DmarcReport does the reverse' {
        $agg = @(
            'From: noreply@reporter.example', 'Subject: Report domain: example.com', 'MIME-Version: 1.0',
            'Content-Type: multipart/mixed; boundary="m"', '', '--m', 'Content-Type: text/plain', '', 'Aggregate.',
            '--m', 'Content-Type: application/gzip; name="r.xml.gz"', 'Content-Transfer-Encoding: base64', '',
            [Convert]::ToBase64String((ConvertTo-Compressed (New-Report 'rep.example' 'agg-1' 2) 'gzip'), 'InsertLineBreaks'), '--m--', ''
        ) -join "`n"
        $mbox = "From x Sun Nov 22 10:00:00 2026`n" + (New-FailureReport 'a' '198.51.100.7').Replace("`r`n", "`n") + "`n" +
                "From x Sun Nov 22 10:00:00 2026`n" + $agg + "`n"
        Set-Content -LiteralPath (Join-Path $dir 'dmarc.mbox') -Value $mbox -NoNewline
        $ruf = @(Import-DmarcFailureReport -Path $dir -ErrorVariable bad -WarningVariable warn -WarningAction SilentlyContinue)
        $ruf.Count | Should -Be 1
        $bad.Count | Should -Be 0
        $warn.Count | Should -Be 1
        $rua = @(Import-DmarcReport -Path $dir -ErrorVariable bad2 -WarningVariable warn2 -WarningAction SilentlyContinue)
        $rua.Count | Should -Be 2
        $bad2.Count | Should -Be 0
        $warn2.Count | Should -Be 1
    }
}

Describe 'Report de-duplication and -ExcludeReportId' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'imports the same report once, keeps another organisation''s report with the same id' {
        $xml = New-Report 'google.com' '42' 3
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value $xml
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'b.xml.gz'), (ConvertTo-Compressed $xml 'gzip'))
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'c.xml.z'), (ConvertTo-Compressed $xml 'zlib'))
        Set-Content -LiteralPath (Join-Path $dir 'd.xml') -Value (New-Report 'Yahoo' '42' 2)
        $verbose = Import-DmarcReport -Path $dir -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Skipped *' }
        @(Import-DmarcReport -Path $dir).Count | Should -Be 5
        $verbose.Count | Should -Be 2
        $verbose[0].Message | Should -BeLike "*already imported from '*a.xml'*"
    }

    It 'takes the seen-ids file of a scheduled job' {
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value (New-Report 'google.com' '42' 3)
        Set-Content -LiteralPath (Join-Path $dir 'b.xml') -Value (New-Report 'Yahoo' '43' 2)
        $seen = Join-Path $TestDrive 'seen.txt'
        Import-DmarcReport -Path (Join-Path $dir 'a.xml') | ForEach-Object { '{0}|{1}' -f $_.OrgName, $_.ReportId } | Sort-Object -Unique | Add-Content $seen
        $rows = @(Import-DmarcReport -Path $dir -ExcludeReportId (Get-Content $seen))
        $rows.Count | Should -Be 2
        $rows.OrgName | Sort-Object -Unique | Should -Be 'Yahoo'
        Import-DmarcReport -Path $dir -Format Parsedmarc | Select-Object -ExpandProperty report_id -Unique | Add-Content $seen
        @(Import-DmarcReport -Path $dir -ExcludeReportId (Get-Content $seen)).Count | Should -Be 0
    }
}
