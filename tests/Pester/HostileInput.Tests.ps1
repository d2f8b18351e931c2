#Requires -Version 7.0
# Pester 5 suite for reading files and folders under hostile input (issues 16 and 17). Mirrors
# tests/MailOps.Module.Tests/HostileInputTests.cs, plus the case a hosted runspace cannot show: a sub-folder the user
# may not read. As root (CI containers) the child pwsh drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH with setpriv, so
# the folder's mode 000 applies to it as it would to any other user. Build first: dotnet build src/MailOps.

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1'
    Import-Module $manifest -Force
    # This very pwsh, to run a child: the apphost, or `dotnet pwsh.dll` when pwsh runs as a .NET tool.
    $pwsh = @([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension($pwsh[0]) -eq 'dotnet') { $pwsh += [Environment]::GetCommandLineArgs()[0] }

    function New-Report([string] $Id) {
        "<?xml version=`"1.0`"?><feedback><report_metadata><org_name>r.example</org_name><report_id>$Id</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published><record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results/></record></feedback>"
    }
}

Describe 'Import-DmarcReport -Recurse on a hostile folder' -Skip:$IsWindows {
    BeforeAll {
        $root = Join-Path $TestDrive 'reports'
        New-Item -ItemType Directory -Path (Join-Path $root 'ok'), (Join-Path $root 'locked') | Out-Null
        Set-Content -Path (Join-Path $root 'ok/a.xml') -Value (New-Report 'A')
        Set-Content -Path (Join-Path $root 'locked/b.xml') -Value (New-Report 'B')
        Set-Content -Path (Join-Path $root 'z.xml') -Value (New-Report 'Z')
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'loop') -Target $root | Out-Null
        & mkfifo (Join-Path $root 'pipe.xml')
        & chmod 000 (Join-Path $root 'locked')
    }
    AfterAll { & chmod 755 (Join-Path $root 'locked') }

    It 'reads every readable report once, and the unreadable folder and the FIFO are one error each' {
        $script = "Import-Module '$manifest'; `$r = @(Import-DmarcReport -Path '$root' -Recurse -ErrorVariable ev -ErrorAction SilentlyContinue); " +
            "[pscustomobject]@{ Ids = (`$r.ReportId | Sort-Object) -join ','; Errors = (`$ev | ForEach-Object { `$_.FullyQualifiedErrorId.Split(',')[0] + ':' + `$_.TargetObject }) -join '|' } | ConvertTo-Json -Compress"
        $cmd = $pwsh + @('-NoProfile', '-NonInteractive', '-Command', $script)
        if ((& id -u) -eq '0') {
            $cmd = @('setpriv', '--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search') + $cmd
        }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $json = & $cmd[0] $cmd[1..($cmd.Count - 1)] | Select-Object -Last 1
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 120
        $result = $json | ConvertFrom-Json
        $result.Ids | Should -Be 'A,Z'
        $errors = $result.Errors -split '\|'
        $errors | Should -HaveCount 2
        $errors | Should -Contain "ReportUnreadable:$(Join-Path $root 'locked')"
        $errors | Should -Contain "ReportUnreadable:$(Join-Path $root 'pipe.xml')"
    }
}

Describe 'Special files given directly' -Skip:$IsWindows {
    It '<_> as a report is refused at once' -ForEach @('/dev/zero') {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $rows = Import-DmarcReport -LiteralPath $_ -ErrorVariable ev -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
        $rows | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'ReportUnreadable,*'
        $ev[0].Exception.Message | Should -BeLike '*character device*'
    }

    It 'a zone file that includes /dev/zero is InvalidZoneFile' {
        $zone = Join-Path $TestDrive 'zero.zone'
        Set-Content -Path $zone -Value "`$ORIGIN example.com.`n`$INCLUDE /dev/zero"
        { Get-MailMx example.com -ZoneFile $zone -Server 127.0.0.1:9 -TimeoutSec 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidZoneFile,*'
    }
}
