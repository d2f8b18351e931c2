#Requires -Version 7.0
# Pester 5 suite for the DKIM cmdlets; mirrors tests/MailOps.Module.Tests/DkimTests.cs. Offline: DNS comes from the
# fixture zone files (-ZoneFile) and -Server points at a closed loopback port, so nothing escapes to the network.
# The interop tests need dkimpy (Debian python3-dkim, python3-nacl, python3-authres) and openssl, which .ci/run
# installs (build.ps1 -Task Test, as root); without them they are skipped, with a warning saying what to install.

BeforeDiscovery {
    $script:NoDkimpy = $true
    foreach ($python in '/usr/bin/python3', 'python3') {
        if (Get-Command $python -ErrorAction SilentlyContinue) {
            & $python -c 'import dkim, nacl, authres' 2>$null
            if ($LASTEXITCODE -eq 0) { $script:NoDkimpy = $false; break }
        }
    }
    if ($script:NoDkimpy) {
        Write-Warning 'dkimpy is not installed: the DKIM interop tests are skipped. Install: apt-get install -y python3-dkim python3-nacl python3-authres openssl'
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MailOps/MailOps.psd1') -Force
    $script:Dead = '127.0.0.1:9'
    $script:Fixtures = Join-Path $PSScriptRoot '../fixtures/dkim'
    $script:DkimZone = Join-Path $PSScriptRoot '../fixtures/dns/dkim.example.zone'
    $script:FootballZone = Join-Path $PSScriptRoot '../fixtures/dns/football.example.com.zone'
    $script:Message = "From: Joe <joe@example.com>`r`nTo: Sue <sue@example.net>`r`nSubject: Lunch`r`nDate: Mon, 23 Nov 2026 09:00:00 +0000`r`nMessage-ID: <lunch-1@example.com>`r`n`r`nAre you hungry yet?`r`n"

    function Get-Dkimpy {
        foreach ($python in '/usr/bin/python3', 'python3') {
            if (Get-Command $python -ErrorAction SilentlyContinue) {
                & $python -c 'import dkim, nacl, authres' 2>$null
                if ($LASTEXITCODE -eq 0) { return $python }
            }
        }
        throw 'dkimpy is not installed: run apt-get install -y python3-dkim python3-nacl python3-authres openssl (.ci/run installs them).'
    }

    function Invoke-Dkimpy {
        param([string[]] $Arguments)
        $python = Get-Dkimpy
        & $python (Join-Path $script:Fixtures 'dkimpy_tool.py') @Arguments
        if ($LASTEXITCODE -ne 0) { throw "dkimpy_tool.py $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
    }
}

Describe 'New-DkimKey' {
    It 'writes an owner-only PEM key and the zone-file line' {
        $k = New-DkimKey -Selector mail -Domain Example.COM -Path $TestDrive
        $k.DnsName | Should -Be 'mail._domainkey.example.com'
        $k.KeySize | Should -Be 2048
        $k.PrivateKeyPath | Should -Be (Join-Path $TestDrive 'mail.private')
        Get-Content -Raw $k.PrivateKeyPath | Should -Match '^-----BEGIN RSA PRIVATE KEY-----'
        Get-Content -Raw $k.TxtPath | Should -Be $k.ZoneFileLine
        ($k.TxtStrings -join '') | Should -Be $k.TxtValue
        if (-not $IsWindows) {
            # Compare the flags, not their text: ToString() order is not guaranteed.
            (Get-Item $k.PrivateKeyPath).UnixFileMode | Should -Be ([System.IO.UnixFileMode]::UserRead -bor [System.IO.UnixFileMode]::UserWrite)
        }
    }

    It 'refuses a second key at the same path without -Force and keeps the first' {
        $first = New-DkimKey s1 example.com -Path $TestDrive
        $before = Get-Content -Raw $first.PrivateKeyPath
        New-DkimKey s1 example.com -Path $TestDrive -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'DkimKeyFileExists,*'
        Get-Content -Raw $first.PrivateKeyPath | Should -Be $before
        $second = New-DkimKey s1 example.com -Path $TestDrive -Force
        Get-Content -Raw $second.PrivateKeyPath | Should -Not -Be $before
    }

    It 'writes nothing with -WhatIf, warns for 1024 bits, and writes the seed for Ed25519' {
        New-DkimKey w example.com -Path $TestDrive -WhatIf
        Test-Path (Join-Path $TestDrive 'w.private') | Should -BeFalse
        $null = New-DkimKey small example.com -Path $TestDrive -KeySize 1024 -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -Not -BeNullOrEmpty
        $e = New-DkimKey ed example.com -Path $TestDrive -Algorithm Ed25519
        $e.KeySize | Should -Be 256
        $e.SeedPath | Should -Be (Join-Path $TestDrive 'ed.seed')
        $e.TxtValue | Should -Match '^v=DKIM1; k=ed25519; p='
    }

    It 'binds CSV-style rows by property name and rejects bad selectors' {
        $rows = [pscustomobject]@{ Selector = 'a1'; Domain = 'one.example'; Path = $TestDrive; Algorithm = 'Ed25519' },
                [pscustomobject]@{ Selector = 'b/1'; DomainName = 'two.example'; Path = $TestDrive }
        $out = $rows | New-DkimKey -ErrorVariable e -ErrorAction SilentlyContinue
        $out.DnsName | Should -Be 'a1._domainkey.one.example'
        $e[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDkimSelector,*'
    }
}

Describe 'Test-MailDkim' {
    It 'binds by value and by property name and reports findings' {
        $r = @('dkim.example' | Test-MailDkim -Selector good, weak, nosuch -ZoneFile $DkimZone -Server $Dead) +
             @([pscustomobject]@{ Domain = 'dkim.example'; Selector = 'revoked' } | Test-MailDkim -ZoneFile $DkimZone -Server $Dead)
        $r.Selector | Should -Be @('good', 'weak', 'nosuch', 'revoked')
        $r.Status | Should -Be @('Pass', 'Warning', 'Fail', 'Fail')
        $r[0].KeySize | Should -Be 2048
        $r[2].Found | Should -BeFalse
    }

    It 'says whether the private key matches the published key' {
        (Test-MailDkim dkim.example good -PrivateKeyPath (Join-Path $Fixtures 'good.private') -ZoneFile $DkimZone -Server $Dead).PrivateKeyMatches | Should -BeTrue
        $mismatch = Test-MailDkim dkim.example good -PrivateKeyPath (Join-Path $Fixtures 'other.private') -ZoneFile $DkimZone -Server $Dead
        $mismatch.PrivateKeyMatches | Should -BeFalse
        $mismatch.Findings.Code | Should -Contain 'DkimPrivateKeyMismatch'
    }

    It 'checks a fresh key against its own .txt file' {
        $k = New-DkimKey fresh example.com -Path $TestDrive
        $r = Test-MailDkim example.com fresh -ZoneFile $k.TxtPath -PrivateKeyPath $k.PrivateKeyPath -Server $Dead
        $r.PrivateKeyMatches | Should -BeTrue
        $r.Status | Should -Be 'Pass'
    }

    It 'stops on a file that is not a private key' {
        Set-Content -Path (Join-Path $TestDrive 'junk.private') -Value 'not a key'
        { Test-MailDkim dkim.example good -PrivateKeyPath (Join-Path $TestDrive 'junk.private') -ZoneFile $DkimZone -Server $Dead -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidDkimPrivateKey,MailOps.Commands.TestMailDkimCommand'
    }

    It 'returns booleans with -Quiet' {
        Test-MailDkim dkim.example good -ZoneFile $DkimZone -Server $Dead -Quiet | Should -Be $true
        # One Boolean per invocation: $false when any selector fails.
        Test-MailDkim dkim.example good, revoked -ZoneFile $DkimZone -Server $Dead -Quiet | Should -Be $false
    }
}

Describe 'Find-DkimSelector' {
    It 'finds the published selectors with their source' {
        $found = Find-DkimSelector dkim.example -Selector custom2026 -ZoneFile $DkimZone -Server $Dead | Sort-Object Selector
        $found.Selector | Should -Be @('custom2026', 'google', 'selector1')
        $found[0].Source | Should -Be '-Selector'
        $found[2].Source | Should -BeLike '*Microsoft 365*'
    }

    It 'warns when nothing is found' {
        $null = Find-DkimSelector football.example.com -ZoneFile $FootballZone -Server $Dead -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -Not -BeNullOrEmpty
    }
}

Describe 'Test-DkimSignature' {
    It 'passes the RFC 8463 example from Get-ChildItem' {
        $r = Get-ChildItem $Fixtures -Filter 'rfc8463-*.eml' | Test-DkimSignature -ZoneFile $FootballZone -Server $Dead
        $r.Result | Should -Be @('pass', 'pass')
        $r.Algorithm | Should -Be @('ed25519-sha256', 'rsa-sha256')
        $r[0].FromSigned | Should -BeTrue
    }

    It 'verifies a New-DkimKey <Algorithm> key used by dkimpy, and fails a tampered copy' -Skip:$NoDkimpy -ForEach @(
        @{ Algorithm = 'Rsa'; KeyProperty = 'PrivateKeyPath' }
        @{ Algorithm = 'Ed25519'; KeyProperty = 'SeedPath' }
    ) {
        $dir = Join-Path $TestDrive $Algorithm
        $null = New-Item -ItemType Directory -Path $dir
        $k = New-DkimKey k1 example.com -Path $dir -Algorithm $Algorithm
        $plain = Join-Path $dir 'plain.eml'
        [IO.File]::WriteAllText($plain, $Message)
        Invoke-Dkimpy sign, $plain, (Join-Path $dir 'signed.eml'), k1, example.com, $k.$KeyProperty, $Algorithm.ToLowerInvariant()
        [IO.File]::WriteAllText((Join-Path $dir 'tampered.eml'), ([IO.File]::ReadAllText((Join-Path $dir 'signed.eml')) -replace 'hungry', 'angry'))
        (Test-DkimSignature (Join-Path $dir 'signed.eml') -ZoneFile $k.TxtPath -Server $Dead).Result | Should -Be 'pass'
        $bad = Test-DkimSignature (Join-Path $dir 'tampered.eml') -ZoneFile $k.TxtPath -Server $Dead
        $bad.Result | Should -Be 'fail'
        $bad.Reason | Should -BeLike 'body hash did not verify*'
        Test-DkimSignature (Join-Path $dir 'signed.eml') -ZoneFile $k.TxtPath -Server $Dead -Quiet | Should -Be $true
        Test-DkimSignature (Join-Path $dir 'signed.eml'), $plain -ZoneFile $k.TxtPath -Server $Dead -Quiet | Should -Be $false
    }

    It 'reports a missing file as an error and goes on' {
        $r = Test-DkimSignature (Join-Path $Fixtures 'rfc8463-a3.eml'), (Join-Path $TestDrive 'no-such.eml') -ZoneFile $FootballZone -Server $Dead -ErrorVariable e -ErrorAction SilentlyContinue
        $r.Count | Should -Be 2
        $e[0].FullyQualifiedErrorId | Should -BeLike 'MessageFileNotFound,*'
    }

    It 'gives the ARC chain its own result' -Skip:$NoDkimpy {
        $in = Join-Path $TestDrive 'in.eml'
        [IO.File]::WriteAllText($in, "Authentication-Results: mx.dkim.example; dkim=pass header.d=example.com`r`n" + $Message)
        $sealed = Join-Path $TestDrive 'arc.eml'
        Invoke-Dkimpy arcsign, $in, $sealed, good, dkim.example, (Join-Path $Fixtures 'good.private'), mx.dkim.example
        $r = Test-DkimSignature $sealed -ZoneFile $DkimZone -Server $Dead
        $r[0].Result | Should -Be 'none'
        $r[1].PSObject.TypeNames[0] | Should -Be 'MailOps.Dkim.DkimArcResult'
        $r[1].Result | Should -Be 'pass'
    }
}
