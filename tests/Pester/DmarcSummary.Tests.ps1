#Requires -Version 7.0
# Pester 5 suite for Get-DmarcSummary and the -Format Parsedmarc source enrichment of Import-DmarcReport. Mirrors
# tests/MailOps.Module.Tests/DmarcSummaryTests.cs. DNS from fixture zones through -ZoneFile (PTR for 198.51.100.0/24,
# Team Cymru's TXT answers); -Server 127.0.0.1:9 makes anything outside them fail instead of reaching the internet.
# The shared corpus (../shared/corpora/dmarc-aggregate) is read at test time; its test is skipped when it is missing.

BeforeDiscovery {
    $script:Corpus = Join-Path $PSScriptRoot '../../../shared/corpora/dmarc-aggregate'
    $script:NoCorpus = -not (Test-Path -LiteralPath $Corpus)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -Force
    $dns = Join-Path $PSScriptRoot '../fixtures/dns'
    $script:Offline = @{
        ZoneFile   = (Join-Path $dns 'dnsbl/ptr-reverse.zone'), (Join-Path $dns 'server/asn.cymru.com.zone')
        Server     = '127.0.0.1:9'
        TimeoutSec = 1
    }
    $script:Corpus = Join-Path $PSScriptRoot '../../../shared/corpora/dmarc-aggregate'

    function New-Report([string] $Domain, [string] $P, [object[]] $Records) {
        $body = foreach ($r in $Records) {
            $dkim = if ($r[2]) { 'pass' } else { 'fail' }
            $spf = if ($r[3]) { 'pass' } else { 'fail' }
            "<record><row><source_ip>$($r[0])</source_ip><count>$($r[1])</count><policy_evaluated><disposition>none</disposition><dkim>$dkim</dkim><spf>$spf</spf></policy_evaluated></row><identifiers><header_from>$Domain</header_from></identifiers><auth_results><spf><domain>$Domain</domain><result>$spf</result></spf></auth_results></record>"
        }
        "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>r.example</org_name><email>d@r.example</email><report_id>$Domain-1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>$Domain</domain><p>$P</p></policy_published>$($body -join '')</feedback>"
    }
}

Describe 'Import-DmarcReport -Format Parsedmarc enrichment' {
    BeforeEach {
        $script:dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value (New-Report 'example.com' 'none' @(
                , @('198.51.100.10', 5, $true, $true)
                , @('198.51.100.15', 40, $false, $false)
                , @('203.0.113.5', 2, $true, $true)))
    }

    It 'fills parsedmarc''s source columns from DNS, and they survive Export-Csv' {
        $csv = Join-Path $TestDrive 'agg.csv'
        Import-DmarcReport -Path $dir -Format Parsedmarc @Offline -WarningAction SilentlyContinue | Export-Csv -LiteralPath $csv -NoTypeInformation
        $rows = Import-Csv -LiteralPath $csv
        $rows[0].source_reverse_dns | Should -Be 'mail.example.org'
        $rows[0].source_base_domain | Should -Be 'example.org'
        $rows[0].source_asn | Should -Be '64496'
        $rows[1].source_country | Should -Be 'DE'
        $rows[1].source_as_name | Should -Be 'EXAMPLE-BB - Example Residential Broadband GmbH, DE'
    }

    It 'leaves the columns of an unanswered source empty, with one warning and no error' {
        $rows = @(Import-DmarcReport -Path $dir -Format Parsedmarc @Offline -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e)
        $?  | Should -BeTrue
        $e.Count | Should -Be 0
        $rows.Count | Should -Be 3
        $rows[2].source_reverse_dns | Should -Be ''
        $w.Count | Should -Be 1
        $w[0].Message | Should -BeLike '1 of 3 source address(es) could not be fully enriched*not because there is no record*'
    }

    It 'asks nothing with -NoEnrichment' {
        $rows = @(Import-DmarcReport -Path $dir -Format Parsedmarc -NoEnrichment -Server 127.0.0.1:9 -TimeoutSec 1 -WarningVariable w)
        $w.Count | Should -Be 0
        ($rows.source_reverse_dns | Where-Object { $_ }).Count | Should -Be 0
    }
}

Describe 'Get-DmarcSummary' {
    BeforeAll {
        $script:dir = Join-Path $TestDrive 'summary'
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'a.xml') -Value (New-Report 'example.com' 'none' @(
                , @('198.51.100.10', 30, $false, $true)
                , @('198.51.100.15', 40, $false, $false)
                , @('198.51.100.11', 5, $true, $true)))
    }

    It 'summarises per source with enrichment and findings' {
        $s = Import-DmarcReport -Path $dir | Get-DmarcSummary @Offline
        $s.Count | Should -Be 3
        $s[0].SourceIP | Should -Be '198.51.100.15'
        $s[0].ReverseDns | Should -Be 'dsl-15.cust.example.org'
        $s[0].Asn | Should -Be 64497
        $s[0].FindingCodes | Should -Be 'UnauthenticatedSource'
        $s[0].Status | Should -Be 'Fail'
        $s[1].FindingCodes | Should -Be 'DkimNotAligned'
        $s[1].Findings[0].Remedy | Should -BeLike '*Find-DkimSelector*'
        $s[2].Status | Should -Be 'Pass'
    }

    It 'exports flat CSV that comes back as a baseline' {
        $csv = Join-Path $TestDrive 'sources.csv'
        Import-DmarcReport -Path $dir | Get-DmarcSummary -NoEnrichment | Export-Csv -LiteralPath $csv -NoTypeInformation
        $back = Import-Csv -LiteralPath $csv
        $back.Count | Should -Be 3
        $back[0].Findings | Should -BeLike 'Fail UnauthenticatedSource: *'
        $back[0].Reporters | Should -Be 'r.example'
        $baseline = $back | Where-Object SourceIP -ne '198.51.100.11'
        $again = Import-DmarcReport -Path $dir | Get-DmarcSummary -NoEnrichment -Baseline $baseline
        ($again | Where-Object FindingCodes -like '*NewSource*').SourceIP | Should -Be '198.51.100.11'
    }

    It 'writes one object per domain with -By Domain' {
        $d = @(Import-DmarcReport -Path $dir | Get-DmarcSummary -NoEnrichment -By Domain)
        $d.Count | Should -Be 1
        $d[0].Messages | Should -Be 75
        $d[0].Sources | Should -Be 3
        $d[0].DmarcPassPercent | Should -Be 46.7
    }

    It 'matches an independent count over the shared corpus' -Skip:$NoCorpus {
        $rows = @(Import-DmarcReport -Path $Corpus -Recurse -ErrorAction SilentlyContinue)
        $rows.Count | Should -BeGreaterThan 0
        $expected = $rows | Group-Object { $d = if ($_.HeaderFrom) { $_.HeaderFrom } else { $_.Domain }; $d.ToLowerInvariant() + '|' + $_.SourceIP } | ForEach-Object {
            [pscustomobject]@{
                Key      = $_.Name
                Messages = [long]($_.Group | Measure-Object Count -Sum).Sum
                Pass     = [long]($_.Group | Where-Object DmarcResult -eq 'pass' | Measure-Object Count -Sum).Sum
            }
        }
        $got = @($rows | Get-DmarcSummary -NoEnrichment)
        $got.Count | Should -Be @($expected).Count
        foreach ($e in $expected) {
            $s = $got | Where-Object { ($_.Domain + '|' + $_.SourceIP) -eq $e.Key }
            $s.Messages | Should -Be $e.Messages
            $s.DmarcPass | Should -Be $e.Pass
        }
        ($got | Measure-Object Messages -Sum).Sum | Should -Be ($rows | Measure-Object Count -Sum).Sum
    }
}
