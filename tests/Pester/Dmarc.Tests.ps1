#Requires -Version 7.0
# Pester 5 suite for Test-MailDmarc, Import-DmarcReport and Import-TlsRptReport. Mirrors
# tests/MailOps.Module.Tests/DmarcTests.cs: DNS from the fixture zone through -ZoneFile (offline; -Server 127.0.0.1:9
# makes anything that escapes the zone file fail instead of reaching the internet), report files generated in
# TestDrive. Build first: dotnet build src/MailOps (or ./build.ps1 -Task Build).

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    $offline = @{
        ZoneFile   = Join-Path $PSScriptRoot '../fixtures/dns/dmarc.example.zone'
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
    }

    function New-Report([string] $Id, [int] $Rows) {
        $records = foreach ($i in 1..$Rows) {
            "<record><row><source_ip>192.0.2.$i</source_ip><count>$i</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim><spf><domain>bounce.example.com</domain><result>fail</result></spf></auth_results></record>"
        }
        "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>$Id</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>$($records -join '')</feedback>"
    }

    function ConvertTo-Gzip([string] $Text) {
        $ms = [System.IO.MemoryStream]::new()
        $gz = [System.IO.Compression.GZipStream]::new($ms, [System.IO.Compression.CompressionLevel]::Optimal, $true)
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
        $gz.Write($bytes, 0, $bytes.Length)
        $gz.Dispose()
        , $ms.ToArray()
    }
}

Describe 'Test-MailDmarc' {
    It 'binds strings and objects and fills the result fields' {
        $r = @('good.example' | Test-MailDmarc @offline)
        $r[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Dmarc.MailDmarcResult'
        $r[0].Policy | Should -Be 'reject'
        $r[0].Alignment | Should -Be 'adkim=s; aspf=r'
        $r[0].Status | Should -Be 'Pass'
        $sub = [pscustomobject]@{ DomainName = 'a.b.sub.good.example' } | Test-MailDmarc @offline
        $sub.PolicyDomain | Should -Be 'good.example'
        $sub.DiscoveryMethod | Should -Be 'TreeWalk'
        $psd = [pscustomobject]@{ Name = 'shop.brand.psd.example' } | Test-MailDmarc @offline
        $psd.PolicyDomain | Should -Be 'psd.example'
        $psd.OrganizationalDomain | Should -Be 'brand.psd.example'
    }

    It 'reports every DMARC finding' -ForEach @(
        @{ Domain = 'nodmarc.example'; Code = 'NoRecord' }
        @{ Domain = 'multi.example'; Code = 'MultipleRecords' }
        @{ Domain = 'badversion.example'; Code = 'InvalidVersion' }
        @{ Domain = 'badsyntax.example'; Code = 'SyntaxError' }
        @{ Domain = 'monitor.example'; Code = 'MonitoringOnly' }
        @{ Domain = 'monitor.example'; Code = 'NoAggregateReports' }
        @{ Domain = 'legacy.example'; Code = 'ObsoleteTag' }
        @{ Domain = 'weak.example'; Code = 'WeakSubdomainPolicy' }
        @{ Domain = 'weak.example'; Code = 'WeakNonExistentPolicy' }
        @{ Domain = 'baduri.example'; Code = 'InvalidReportUri' }
        @{ Domain = 'testing.example'; Code = 'TestingMode' }
        @{ Domain = 'external.example'; Code = 'ExternalDestinationAuthorized' }
        @{ Domain = 'external.example'; Code = 'ExternalDestinationNotAuthorized' }
        @{ Domain = 'shop.brand.psd.example'; Code = 'PublicSuffixPolicy' }
    ) {
        $codes = @(Test-MailDmarc -Domain $Domain @offline | ForEach-Object { $_.Findings.Code })
        $codes | Should -Contain $Code
    }

    It 'uses the Public Suffix List with -DiscoveryMethod PublicSuffixList' {
        $r = Test-MailDmarc shop.brand.psd.example -DiscoveryMethod PublicSuffixList @offline
        $r.OrganizationalDomain | Should -Be 'psd.example'
        @($r.QueriedNames) | Should -Be @('_dmarc.shop.brand.psd.example', '_dmarc.psd.example')
    }

    It 'returns $true or $false with -Quiet' {
        Test-MailDmarc good.example -Quiet @offline | Should -BeTrue
        Test-MailDmarc nodmarc.example -Quiet @offline | Should -BeFalse
    }

    It 'writes a DNS error for a name it cannot ask, and goes on with the next' {
        # not-in-zone.test is outside the zone file, so it goes to the dead server and fails.
        $r = @('good.example', 'not-in-zone.test', 'monitor.example' | Test-MailDmarc @offline -ErrorVariable e -ErrorAction SilentlyContinue)
        $r.Domain | Should -Be @('good.example', 'monitor.example')
        $e.Count | Should -Be 1
        $e[0].TargetObject | Should -Be 'not-in-zone.test'
    }
}

Describe 'Import-DmarcReport' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'imports the files Get-ChildItem sends and keeps going past bad ones' {
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value (New-Report 'A' 2)
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'b.bin'), (ConvertTo-Gzip (New-Report 'B' 3)))
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'c-empty.xml'), [byte[]]@())
        Set-Content -LiteralPath (Join-Path $dir 'd-dtd.xml') -Value '<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY x "y">]><feedback>&x;</feedback>'
        $rows = @(Get-ChildItem $dir -File | Import-DmarcReport -ErrorVariable bad -ErrorAction SilentlyContinue)
        ($rows.ReportId | Sort-Object) | Should -Be @('A', 'A', 'B', 'B', 'B')
        $rows[0].PSObject.TypeNames[0] | Should -Be 'MailOps.Reports.DmarcReportRow'
        ($bad | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] } | Sort-Object) | Should -Be @('ReportDtdProhibited', 'ReportNotRecognized')
    }

    It 'stops reading when the pipeline stops early, lets go of the file, and keeps the rows in order' {
        # The file is read on another thread, batches ahead of the pipeline (at most 8 x 1,024 rows, fewer than the
        # file has): Select-Object -First must stop that reader and close the file before the command returns.
        $f = Join-Path $dir 'big.xml'
        Set-Content -LiteralPath $f -Value (New-Report 'BIG' 20000)
        $first = @(Import-DmarcReport -Path $f | Select-Object -First 3)
        $first.Count | Should -Be 3
        ($first | ForEach-Object Count) | Should -Be @(1, 2, 3)
        # Opening with no sharing fails while any reader still holds the file.
        { [System.IO.File]::Open($f, 'Open', 'ReadWrite', 'None').Dispose() } | Should -Not -Throw
        $all = @(Import-DmarcReport -Path $f)
        $all.Count | Should -Be 20000
        ($all | ForEach-Object Count) -join ',' | Should -Be ((1..20000) -join ',')
    }

    It 'takes folders, wildcards and -Recurse' {
        Set-Content -LiteralPath (Join-Path $dir 'top.xml') -Value (New-Report 'T' 1)
        New-Item -ItemType Directory -Path (Join-Path $dir 'sub') | Out-Null
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'sub/deep.xml.gz'), (ConvertTo-Gzip (New-Report 'D' 2)))
        @(Import-DmarcReport -Path $dir).Count | Should -Be 1
        @(Import-DmarcReport -Path $dir -Recurse).Count | Should -Be 3
        @(Import-DmarcReport -Path (Join-Path $dir 't*.xml')).Count | Should -Be 1
    }

    It 'refuses a gzip bomb with a limits error' {
        $data = [System.Text.Encoding]::ASCII.GetBytes('<feedback><report_metadata><org_name>' + ('a' * 16MB))
        $ms = [System.IO.MemoryStream]::new()
        $gz = [System.IO.Compression.GZipStream]::new($ms, [System.IO.Compression.CompressionLevel]::Optimal, $true)
        $gz.Write($data, 0, $data.Length); $gz.Dispose()
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'bomb.gz'), $ms.ToArray())
        Set-Content -LiteralPath (Join-Path $dir 'ok.xml') -Value (New-Report 'OK' 1)
        $rows = @(Import-DmarcReport -Path $dir -MaxDecompressedSize 1MB -ErrorVariable bad -ErrorAction SilentlyContinue)
        $rows.ReportId | Should -Be 'OK'
        $bad.Count | Should -Be 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'ReportTooLarge,*'
        $bad[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
    }

    It 'writes exactly parsedmarc''s CSV columns with -Format Parsedmarc' {
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value (New-Report 'A' 2)
        $csv = Import-DmarcReport -Path $dir -Format Parsedmarc -NoEnrichment | ConvertTo-Csv -NoTypeInformation
        $csv[0] | Should -Be '"xml_schema","org_name","org_email","org_extra_contact_info","report_id","begin_date","end_date","normalized_timespan","errors","domain","adkim","aspf","p","sp","np","pct","fo","testing","discovery_method","source_ip_address","source_country","source_reverse_dns","source_base_domain","source_name","source_type","source_asn","source_as_name","source_as_domain","count","spf_aligned","dkim_aligned","dmarc_aligned","disposition","policy_override_reasons","policy_override_comments","envelope_from","header_from","envelope_to","dkim_domains","dkim_selectors","dkim_results","spf_domains","spf_scopes","spf_results"'
        $row = $csv | ConvertFrom-Csv | Select-Object -First 1
        $row.begin_date | Should -Be '2023-11-14 22:13:20'
        $row.dkim_aligned | Should -Be 'True'
        $row.envelope_from | Should -Be 'bounce.example.com'
    }
}

Describe 'Import-TlsRptReport' {
    It 'reads JSON and gzipped JSON, one object per policy' {
        $json = '{"organization-name":"Org","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"contact-info":"tls@org.example","report-id":"r1","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce"],"policy-domain":"example.com","mx-host":["mail.example.com"]},"summary":{"total-successful-session-count":10,"total-failure-session-count":2},"failure-details":[{"result-type":"certificate-expired","receiving-mx-hostname":"mail.example.com","failed-session-count":2}]}]}'
        $dir = Join-Path $TestDrive 'tls'
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 't.json') -Value $json
        [System.IO.File]::WriteAllBytes((Join-Path $dir 't.json.gz'), (ConvertTo-Gzip $json))
        # The two files are the same report (report-id r1): imported once.
        $rows = @(Get-ChildItem $dir | Import-TlsRptReport)
        $rows.Count | Should -Be 1
        $rows[0].PolicyDomain | Should -Be 'example.com'
        $rows[0].FailedSessionCount | Should -Be 2
        $rows[0].FailureDetails[0].ResultType | Should -Be 'certificate-expired'
    }
}
