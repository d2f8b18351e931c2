#Requires -Version 7.0
# Pester 5 suite for Get-MailDeliveryStat, New-MailWarmupPlan, Test-MailWarmup and examples/daily-bounce-check.ps1.
# Mirrors tests/MailOps.Module.Tests/DeliveryStatTests.cs. The log is tests/fixtures/maillog/spike.log (make-spike-log.py):
# a quiet week to Gmail and example.org, then a day with a Gmail deferral spike and an Outlook.com S3140 block.

BeforeAll {
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Module = Join-Path $Repo 'out/MailOps/MailOps.psd1'
    Import-Module $Module -Force
    $script:Log = Join-Path $Repo 'tests/fixtures/maillog/spike.log'
    $script:Records = Get-MailDeliveryLog -LiteralPath $Log
}

Describe 'Get-MailDeliveryStat' {
    It 'writes a row per day, then the deferral spike and the block with reason and remedy' {
        $r = $Records | Get-MailDeliveryStat
        $rows = @($r | Where-Object { $_ -is [MailOps.Logs.MailDeliveryStat] })
        $findings = @($r | Where-Object { $_ -is [MailOps.Logs.MailDeliveryFinding] })
        $rows.Count | Should -Be 8
        $rows[-1].Key | Should -Be '2026-11-08'
        $rows[-1].DeferralRate | Should -Be 33.33
        $findings.Kind | Should -Be @('DeferralSpike', 'Block')
        $findings[0].Provider | Should -Be 'Gmail'
        $findings[0].Rate | Should -Be 40
        $findings[0].Reason | Should -Be 'toomanyconn'
        $findings[0].Remedy | Should -Match 'New-MailWarmupPlan'
        $findings[1].Provider | Should -Be 'Microsoft'
        $findings[1].Blocklist | Should -Be 'Microsoft S3140'
        $findings[1].RemedyCommand | Should -Be 'Get-DnsblListing'
    }

    It 'groups by provider from the MX host, and survives an Export-Csv / Import-Csv round trip' {
        $direct = $Records | Get-MailDeliveryStat -By Provider | Where-Object By
        $csv = Join-Path $TestDrive 'log.csv'
        $Records | Export-Csv $csv
        $viaCsv = Import-Csv $csv | Get-MailDeliveryStat -By Provider | Where-Object By
        $direct.Key | Should -Be @('Gmail', 'example.org', 'Microsoft')
        $direct.Attempts | Should -Be @(242, 40, 1)
        $viaCsv.Key | Should -Be $direct.Key
        $viaCsv.Attempts | Should -Be $direct.Attempts
        # The rows themselves export flat.
        ($direct | ConvertTo-Csv)[0] | Should -Match '^"By","Key","Period","Attempts","Sent","Deferred","Bounced"'
    }

    It '-Quiet is one Boolean: false on the spike day, true for the quiet week' {
        $Records | Get-MailDeliveryStat -Quiet | Should -BeFalse
        $Records | Where-Object Time -lt ([datetimeoffset]'2026-11-08T00:00:00Z') | Get-MailDeliveryStat -Quiet | Should -BeTrue
    }

    It 'reports input it cannot count as an error and goes on' {
        $r = 'not a record', [pscustomobject]@{ Status = 'sent'; To = 'a@gmail.com'; Time = '2026-11-02T10:00:00Z' } |
            Get-MailDeliveryStat -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDeliveryRecord*'
        $r.Sent | Should -Be 1
    }

    It 'has table views and help with examples' {
        foreach ($t in 'MailOps.Logs.MailDeliveryStat', 'MailOps.Logs.MailDeliveryFinding', 'MailOps.Warmup.WarmupPlanDay', 'MailOps.Warmup.WarmupDayResult') {
            Get-FormatData -TypeName $t | Should -Not -BeNullOrEmpty -Because $t
        }
        foreach ($c in 'Get-MailDeliveryStat', 'New-MailWarmupPlan', 'Test-MailWarmup') {
            @((Get-Help $c -Examples).examples.example).Count | Should -BeGreaterOrEqual 2 -Because $c
        }
    }
}

Describe 'New-MailWarmupPlan' {
    It 'ramps 20 to 50 in week 1, about 100 a day in week 2, to the target on the last day' {
        $all = New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 | Where-Object Provider -eq 'All'
        $all.Count | Should -Be 28
        $all[0].MaxMessages | Should -Be 20
        $all[6].MaxMessages | Should -Be 50
        ($all[7..13].MaxMessages | Measure-Object -Average).Average | Should -BeGreaterThan 90
        ($all[7..13].MaxMessages | Measure-Object -Average).Average | Should -BeLessThan 110
        $all[-1].MaxMessages | Should -Be 5000
    }

    It 'exports cleanly to CSV and saves JSON only with -Force over an existing file' {
        $plan = New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Provider Gmail
        $csv = Join-Path $TestDrive 'plan.csv'
        $plan | Export-Csv $csv
        (Get-Content $csv -TotalCount 2)[1] | Should -BeLike '"1","2026-11-01","1","All","20",*'
        $json = Join-Path $TestDrive 'plan.json'
        New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Path $json -WhatIf
        Test-Path $json | Should -BeFalse
        New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Path $json | Should -BeNullOrEmpty
        (Get-Content $json -Raw | ConvertFrom-Json).plan.Count | Should -Be 112
        New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 800 -Path $json -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'WarmupPlanFileExists*'
        New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 800 -Path $json -Force
        (Get-Content $json -Raw | ConvertFrom-Json).targetDailyVolume | Should -Be 800
    }
}

Describe 'Test-MailWarmup' {
    It 'judges each day and provider from the plan file and the log records' {
        $json = Join-Path $TestDrive 'warm.json'
        New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 5000 -Provider Gmail, Microsoft -Path $json
        $r = $Records | Test-MailWarmup -Plan $json
        $r.Count | Should -Be 24
        ($r | Where-Object { $_.Date -eq '2026-11-07' -and $_.Provider -eq 'All' }).Verdict | Should -Be 'OnTrack'
        $gmail = $r | Where-Object { $_.Date -eq '2026-11-08' -and $_.Provider -eq 'Gmail' }
        $gmail.Verdict | Should -Be 'Hold'
        $gmail.NextStep | Should -Match 'send no more than 18 to Gmail'
        ($r | Where-Object { $_.Date -eq '2026-11-08' -and $_.Provider -eq 'Microsoft' }).Verdict | Should -Be 'StepBack'
    }

    It 'reads the plan back from CSV and the log from its path; -Quiet answers once' {
        $csv = Join-Path $TestDrive 'warm.csv'
        New-MailWarmupPlan -StartDate 2026-11-06 -TargetDailyVolume 5000 -Provider Gmail | Export-Csv $csv
        $r = Test-MailWarmup -Plan (Import-Csv $csv) -Log $Log
        $r.Verdict | Should -Be @('OverPlan', 'OverPlan', 'OverPlan', 'OverPlan', 'StepBack', 'Hold')
        Test-MailWarmup -Plan (Import-Csv $csv) -Log $Log -Quiet | Should -BeFalse
        # Get-Item / Get-ChildItem output works for both.
        $json = Join-Path $TestDrive 'warm2.json'
        New-MailWarmupPlan -StartDate 2026-11-06 -TargetDailyVolume 5000 -Provider Gmail -Path $json
        (Get-Item $Log | Test-MailWarmup -Plan (Get-Item $json)).Verdict | Should -Be @('OverPlan', 'OverPlan', 'OverPlan', 'OverPlan', 'StepBack', 'Hold')
    }

    It 'writes results that export flat to CSV' {
        $plan = New-MailWarmupPlan -StartDate 2026-11-07 -TargetDailyVolume 5000 -Provider Gmail
        $csv = ($Records | Test-MailWarmup -Plan $plan | ConvertTo-Csv)
        $csv[0] | Should -Be '"Day","Date","Provider","Planned","Sent","Deferred","Bounced","Blocks","DeferralRate","BounceRate","Verdict","Reason","NextStep","RemedyCommand"'
        $csv[1] | Should -BeLike '"1","2026-11-07","All","20","35","0","0","0","0","0","OverPlan",*'
    }

    It 'stops with a clear error when the plan file is missing' {
        { Test-MailWarmup -Plan (Join-Path $TestDrive 'none.json') -Log $Log -ErrorAction Stop } | Should -Throw -ErrorId 'WarmupPlanNotFound*'
    }
}

Describe 'examples/daily-bounce-check.ps1' {
    BeforeAll {
        $self = [Environment]::ProcessPath
        $script:Pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { @($self, (Join-Path $PSHOME 'pwsh.dll')) } else { @($self) }
        function Invoke-BounceCheck([string[]] $Arguments) {
            $out = Join-Path $TestDrive "$([guid]::NewGuid()).out"
            $err = Join-Path $TestDrive "$([guid]::NewGuid()).err"
            $argList = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Repo 'examples/daily-bounce-check.ps1')) + $Arguments
            $p = Start-Process -FilePath $Pwsh[0] -ArgumentList $argList -RedirectStandardOutput $out -RedirectStandardError $err -Wait -PassThru -NoNewWindow
            [pscustomobject]@{ ExitCode = $p.ExitCode; Output = (Get-Content -Raw $out) + (Get-Content -Raw $err) }
        }
        # The quiet week alone: the first seven days of spike.log.
        $script:QuietLog = Join-Path $TestDrive 'quiet.log'
        Get-Content $Log | Where-Object { $_ -lt '2026-11-08' } | Set-Content $QuietLog
    }

    It 'exits 1 and writes the spike and the block to the CSV' {
        $csv = Join-Path $TestDrive 'spike.csv'
        $r = Invoke-BounceCheck @('-LogPath', $Log, '-OutFile', $csv, '-Since', '2026-11-01', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $rows = Import-Csv $csv
        $rows.Kind | Should -Be @('DeferralSpike', 'Block')
        $rows[1].RemedyCommand | Should -Be 'Get-DnsblListing'
        $r.Output | Should -Match 'DeferralSpike: 2026-11-08 Gmail'
        $r.Output | Should -Not -Match "`e\["
    }

    It 'exits 0 with only the CSV header on a quiet week' {
        $csv = Join-Path $TestDrive 'quiet.csv'
        $r = Invoke-BounceCheck @('-LogPath', $QuietLog, '-OutFile', $csv, '-Since', '2026-11-01', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-Content $csv) | Should -Be '"Kind","PeriodText","Provider","Rate","BaselineRate","Count","Total","Reason","Blocklist","RemedyCommand","Message"'
        $r.Output | Should -Match '2026-11-07'
    }

    It 'exits 2 when the log holds no delivery since -Since' {
        $r = Invoke-BounceCheck @('-LogPath', $QuietLog, '-OutFile', (Join-Path $TestDrive 'empty.csv'), '-Since', '2026-12-01', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'No delivery logged'
    }

    It 'exits 2 when a log file cannot be read (never clean when unsure)' {
        # As on a mail server: mail.log and a rotation, matched by one wildcard; the rotation is a damaged gzip file.
        # (A gzip file merely cut short is read up to where it ends without an error: see the report of this change.)
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'var-log') -Force
        Copy-Item $QuietLog (Join-Path $dir 'mail.log')
        [IO.File]::WriteAllBytes((Join-Path $dir 'mail.log.1.gz'), [byte[]](0x1f, 0x8b, 8, 0) + [Text.Encoding]::ASCII.GetBytes('not deflate data at all'))
        $csv = Join-Path $TestDrive 'unsure.csv'
        $r = Invoke-BounceCheck @('-LogPath', (Join-Path $dir 'mail.log*'), '-OutFile', $csv, '-Since', '2026-11-01', '-ModulePath', $Module)
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'mail.log.1.gz'
    }

    It 'exits 3 when no log file matches or the module is missing' {
        (Invoke-BounceCheck @('-LogPath', (Join-Path $TestDrive 'none.log'), '-OutFile', (Join-Path $TestDrive 'x.csv'), '-ModulePath', $Module)).ExitCode | Should -Be 3
        (Invoke-BounceCheck @('-LogPath', $Log, '-OutFile', (Join-Path $TestDrive 'y.csv'), '-ModulePath', (Join-Path $TestDrive 'no/MailOps.psd1'))).ExitCode | Should -Be 3
    }
}
