#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# A hostile DNS server on loopback (a raw UDP responder in a background runspace) answers questions with records
# owned by another name, or with another message id. MailOps must report a DNS error for that input, never the
# forged record, and go on with the next. Mirrors tests/MailOps.Module.Tests/HostileDnsTests.cs.

BeforeAll {
    $repo = Resolve-Path (Join-Path $PSScriptRoot '..' '..')
    Import-Module (Join-Path $repo 'out' 'MailOps' 'MailOps.psd1') -Force -ErrorAction Stop

    $script:udp = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
    $script:srv = "127.0.0.1:$($udp.Client.LocalEndPoint.Port)"
    $responder = {
        param($udp)
        function Name([string]$n) {
            $b = [System.Collections.Generic.List[byte]]::new()
            foreach ($l in $n.Split('.')) { $a = [Text.Encoding]::ASCII.GetBytes($l); $b.Add($a.Length); $b.AddRange($a) }
            $b.Add(0); , $b.ToArray()
        }
        function U16([int]$v) { , [byte[]]@((($v -shr 8) -band 0xff), ($v -band 0xff)) }
        function Rr([string]$owner, [int]$type, [byte[]]$data) {
            , [byte[]]((Name $owner) + (U16 $type) + (U16 1) + [byte[]]@(0, 0, 1, 44) + (U16 $data.Length) + $data)
        }
        function Txt([string]$s) { $a = [Text.Encoding]::ASCII.GetBytes($s); , [byte[]](@([byte]$a.Length) + $a) }
        while ($true) {
            $remote = [System.Net.IPEndPoint]::new([ipaddress]::Any, 0)
            try { $q = $udp.Receive([ref]$remote) } catch { return }
            $i = 12; $labels = @()
            while ($q[$i] -ne 0) { $labels += [Text.Encoding]::ASCII.GetString($q, $i + 1, $q[$i]); $i += $q[$i] + 1 }
            $name = ($labels -join '.').ToLowerInvariant()
            $qtype = $q[$i + 1] * 256 + $q[$i + 2]
            $question = [byte[]]$q[12..($i + 4)]
            $id = $q[0] * 256 + $q[1]
            $rcode = 0; $answers = @()
            switch ($name) {
                'victim.example' {
                    if ($qtype -eq 15) { $answers = , (Rr 'evil.example' 15 ([byte[]]((U16 10) + (Name 'mx.evil.example')))) }
                    else { $answers = , (Rr 'evil.example' 16 (Txt 'v=spf1 +all')) }
                }
                '_dmarc.victim.example' { $answers = , (Rr '_dmarc.evil.example' 16 (Txt 'v=DMARC1; p=reject')) }
                'ctl.example' { if ($qtype -eq 16) { $answers = , (Rr 'ctl.example' 16 (Txt "v=spf1 ip4:192.0.2.1 $([char]27)]0;owned$([char]7)$([char]27)[2J -all")) } }
                'xid.example' { $id = ($id + 1) % 65536; $answers = , (Rr 'xid.example' 15 ([byte[]]((U16 10) + (Name 'mx.evil.example')))) }
                default { $rcode = 3 }
            }
            $reply = [System.Collections.Generic.List[byte]]::new()
            $reply.AddRange([byte[]]((U16 $id) + [byte[]]@(0x81, (0x80 -bor $rcode)) + (U16 1) + (U16 $answers.Count) + (U16 0) + (U16 0)))
            $reply.AddRange($question)
            foreach ($a in $answers) { $reply.AddRange([byte[]]$a) }
            $bytes = $reply.ToArray()
            $null = $udp.Send($bytes, $bytes.Length, $remote)
        }
    }
    $script:ps = [powershell]::Create()
    $null = $ps.AddScript($responder).AddArgument($udp)
    $script:handle = $ps.BeginInvoke()

    $script:zone = Join-Path $TestDrive 'good.example.zone'
    Set-Content -Path $zone -Value @(
        'good.example. 300 IN SOA ns.good.example. hostmaster.good.example. 1 3600 600 86400 300'
        'good.example. 300 IN MX 10 mail.good.example.'
        'mail.good.example. 300 IN A 192.0.2.25'
    )
}

AfterAll {
    $udp.Dispose()
    $null = $handle.AsyncWaitHandle.WaitOne(5000)
    $ps.Dispose()
}

Describe 'Answers for another name are DNS errors' {
    It 'Test-MailSpf does not take evil.example''s +all for victim.example' {
        $r = Test-MailSpf victim.example -Server $srv -TimeoutSec 2 -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'DnsError,*'
        $err[0].Exception.Message | Should -Match 'evil\.example'
        $e = Test-MailSpf victim.example -IPAddress 203.0.113.9 -Server $srv -TimeoutSec 2 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $e.Result | Should -Not -Contain 'pass'
    }

    It 'Test-MailDmarc does not take _dmarc.evil.example''s policy' {
        $r = Test-MailDmarc victim.example -Server $srv -TimeoutSec 2 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Policy | Should -Not -Contain 'reject'
        $err.FullyQualifiedErrorId | Should -Contain 'DnsError,MailOps.Commands.TestMailDmarcCommand'
    }

    It 'Get-MailMx does not return mx.evil.example' {
        $r = Get-MailMx victim.example -Server $srv -TimeoutSec 2 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.HostName | Should -Not -Contain 'mx.evil.example'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'DnsError,*'
    }
}

Describe 'A reply with another message id' {
    It 'is ignored, that input times out saying why, and the next input is processed' {
        $r = 'xid.example', 'good.example' | Get-MailMx -Server $srv -ZoneFile $zone -TimeoutSec 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'DnsTimeout,*'
        $err[0].Exception.Message | Should -BeLike '*message id*'
        $r.HostName | Should -Be 'mail.good.example'
    }
}

Describe 'A record carrying terminal escape sequences' {
    It 'keeps the value but every view prints it escaped' {
        $r = Test-MailSpf ctl.example -Server $srv -TimeoutSec 2
        $r.GetRawRecord() | Should -Match ([regex]::Escape([string][char]27))   # the value as published
        $r.Record | Should -Not -Match ([regex]::Escape([string][char]27))
        $shown = ($r | Format-List | Out-String) + ($r | Format-Table | Out-String) + ($r.Terms | Format-Table | Out-String) + ($r | Out-String) +
            ($r | ConvertTo-Csv | Out-String) + ($r | Select-Object Domain, Record | ConvertTo-Html | Out-String)
        $shown.Contains([string][char]27) | Should -BeFalse
        $shown.Contains([string][char]7) | Should -BeFalse
        $shown | Should -Match ([regex]::Escape('\x1B]0;owned\x07'))
    }
}
