#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>A fact that needs a real pwsh (PowerShell 7) executable: skipped, with a message saying so, when there is none.</summary>
    public sealed class PwshFactAttribute : FactAttribute
    {
        public PwshFactAttribute()
        {
            if (IsolationTests.Pwsh == null) Skip = "No pwsh found (MAILOPS_TEST_PWSH, PATH, ~/.dotnet/tools/pwsh): run the tests with `dotnet pwsh ./build.ps1 -Task Test`, or install PowerShell 7 (dotnet tool install -g PowerShell --version 7.6.9).";
        }
    }

    /// <summary>MailOps' dependencies load in their own AssemblyLoadContext on PowerShell 7, so a module that ships another
    /// version of DnsClient (PSOpenAD) or MimeKit loads beside it and both work.</summary>
    [Collection("Runspace")]
    public sealed class IsolationTests
    {
        /// <summary>The pwsh command: the executable and the arguments before the script's (["dotnet", ".../pwsh.dll"]
        /// under `dotnet pwsh`). build.ps1 -Task Test passes its own in MAILOPS_TEST_PWSH; else pwsh on PATH or the global
        /// tool. Null when there is none.</summary>
        internal static readonly string[]? Pwsh = FindPwsh();

        private static string[]? FindPwsh()
        {
            var fromBuild = Environment.GetEnvironmentVariable("MAILOPS_TEST_PWSH");
            if (!string.IsNullOrEmpty(fromBuild))
            {
                var parts = fromBuild.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && File.Exists(parts[0])) return parts;
            }
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh"))
                .Append(Path.Combine(home, ".dotnet", "tools", OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh"));
            var found = candidates.FirstOrDefault(File.Exists);
            return found == null ? null : new[] { found };
        }

        private static string OtherDnsClient => Path.Combine(AppContext.BaseDirectory, "other-dnsclient", "DnsClient.dll");

        private static (int Exit, string Out, string Err) RunPwsh(string script)
        {
            var psi = new ProcessStartInfo(Pwsh![0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in Pwsh.Skip(1).Concat(new[] { "-NoProfile", "-NonInteractive", "-Command", script })) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("pwsh did not finish in 120 s"); }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }

        [PwshFact]
        public void An_older_DnsClient_loaded_first_and_MailOps_both_answer_in_a_real_pwsh()
        {
            Assert.True(File.Exists(OtherDnsClient), $"{OtherDnsClient} is missing (the test project's build copies DnsClient 1.6.1 there).");
            using var dns = FixtureDnsServer.StartWithZone(
                "$ORIGIN iso.example.\n@ 300 IN MX 10 mail.iso.example.\nmail 300 IN A 192.0.2.25\n");
            var port = dns.EndPoint.Port;
            var script = $@"
$ErrorActionPreference = 'Stop'
Add-Type -Path '{OtherDnsClient}'
# Another module's DnsClient 1.6.1 is now in the default context; it works on its own:
$client = [DnsClient.LookupClient]::new([System.Net.IPAddress]::Loopback, {port})
$theirs = $client.Query('iso.example', [DnsClient.QueryType]::MX).Answers.Count
Import-Module '{Paths.ModuleManifest}'
$mx = Get-MailMx iso.example -Server 127.0.0.1:{port}
# MailOps' own DnsClient finds the system's resolvers (the default when -Server is not given); called directly so that
# no question leaves loopback:
$null = [MailOps.Dns.WireDnsResolver]::SystemServers()
$asm = (Get-Command Get-MailMx).ImplementingType.Assembly
$ctx = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($asm)
$mailopsDnsClient = $ctx.Assemblies | Where-Object {{ $_.GetName().Name -eq 'DnsClient' }}
'theirs=' + [DnsClient.LookupClient].Assembly.GetName().Version + ' answers=' + $theirs
'mailops=' + $mailopsDnsClient.GetName().Version + ' context=' + $ctx.Name + ' host=' + $mx.HostName + ' ' + $mx.IPv4Address
";
            var (exit, stdout, stderr) = RunPwsh(script);
            Assert.True(exit == 0, $"pwsh exited {exit}: {stderr}\n{stdout}");
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Contains("theirs=1.6.1.0 answers=1", lines);
            Assert.Contains("mailops=1.8.0.0 context=MailOps host=mail.iso.example 192.0.2.25", lines);
        }

        [PwshFact]
        public void Without_the_load_context_the_same_pair_collides()
        {
            // The control: importing MailOps.dll directly (what 0.1.0 did, and what Windows PowerShell 5.1 still does)
            // next to the older DnsClient fails as soon as MailOps needs DnsClient (finding the system's resolvers, the
            // default without -Server) - the conflict the load context removes.
            var dll = Path.Combine(Path.GetDirectoryName(Paths.ModuleManifest)!, "dependencies", "MailOps.dll");
            var script = $@"
Add-Type -Path '{OtherDnsClient}'
Import-Module '{dll}'
try {{ $null = [MailOps.Dns.WireDnsResolver]::SystemServers(); 'no conflict' }} catch {{ 'conflict: ' + $_.Exception.GetType().Name + ' ' + $_.Exception.Message }}
";
            var (_, stdout, stderr) = RunPwsh(script);
            Assert.DoesNotContain("no conflict", stdout);
            Assert.Contains("conflict", stdout + stderr);
            Assert.Contains("DnsClient, Version=1.8.0.0", stdout + stderr);
        }

        [Fact]
        public void Import_Module_Force_and_Remove_Module_then_Import_keep_every_cmdlet_working()
        {
            var run = ModuleHost.Run(
                "Import-Module $ModuleManifest -Force\n" +
                "(Get-Module MailOps).ExportedCmdlets.Count -eq (Test-ModuleManifest $ModuleManifest).ExportedCmdlets.Count\n" +
                "(Get-MailMx example.com -ZoneFile ./examples/zones/*.zone -Server 127.0.0.1:9).Count\n" +
                "Remove-Module MailOps\n" +
                "Import-Module $ModuleManifest\n" +
                "(Get-MailMx example.com -ZoneFile ./examples/zones/*.zone -Server 127.0.0.1:9).HostName -join ','");
            Assert.Empty(run.Errors);
            Assert.Equal(true, run.Output[0].BaseObject); // every cmdlet the manifest lists, again after -Force
            Assert.Equal(2, run.Output[1].BaseObject);
            Assert.Equal("mail.example.com,mx2.example.com", run.Output[2].BaseObject);
        }

        [Fact]
        public void Hosted_runspace_loads_MailOps_and_its_dependencies_into_their_own_context()
        {
            var run = ModuleHost.Run(
                "$asm = (Get-Command Get-MailMx).ImplementingType.Assembly\n" +
                "$ctx = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($asm)\n" +
                "$ctx.Name\n" +
                "[System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([System.Management.Automation.PSObject].Assembly).Name\n" +
                "($ctx.Assemblies | ForEach-Object { $_.GetName().Name }) -join ','");
            Assert.Empty(run.Errors);
            Assert.Equal("MailOps", run.Output[0].BaseObject);
            Assert.Equal("Default", run.Output[1].BaseObject); // the engine is shared, never loaded twice
            var names = ((string)run.Output[2].BaseObject).Split(',');
            Assert.Contains("MailOps", names);
            Assert.Contains("MailOps.Core", names);
            Assert.DoesNotContain("System.Management.Automation", names);
        }

        [Fact]
        public void Engine_types_resolve_as_type_literals_in_scripts_and_views()
        {
            // MailOps.Core lives in MailOps' load context; scripts (and the format views, which escape with
            // [MailOps.TextSafety]) name its types as they do in Windows PowerShell.
            var run = ModuleHost.Run(
                "[MailOps.TextSafety]::Escape(\"a$([char]27)b\")\n" +
                "[MailOps.Dns.DnsRecordType]::TXT.ToString()\n" +
                "(Get-MailMx example.com -ZoneFile ./examples/zones/*.zone -Server 127.0.0.1:9)[0] -is [MailOps.Mx.MailMxHost]");
            Assert.True(run.Errors.Count == 0, string.Join("; ", run.Errors.Select(e => e.ToString())));
            Assert.Equal("a\\x1Bb", run.Output[0].BaseObject);
            Assert.Equal("TXT", run.Output[1].BaseObject);
            Assert.Equal(true, run.Output[2].BaseObject);
        }
    }
}
