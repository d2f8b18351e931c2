using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>
    /// Cmdlets that chain (issue 11): Get-MailMx output into Test-MailPtr, Get-DnsblListing, Test-SmtpService and
    /// Test-MailDane; domains as people paste them; CIDR ranges; progress bars completed however a cmdlet ends.
    /// All DNS from -ZoneFile with -Server 127.0.0.1:9 (nothing escapes to the network); SMTP peers on loopback.
    /// (The hosted runspace has no Microsoft.PowerShell.Utility: rows are [pscustomobject], as Import-Csv writes them.)
    /// </summary>
    [Collection("Runspace")]
    public sealed class ChainTests : IDisposable
    {
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly Dictionary<string, object?> _vars = new()
        {
            ["zones"] = new[]
            {
                Paths.DnsFixture("*.zone"),
                Paths.DnsFixture("dnsbl/dnsbl-zen.spamhaus.org.zone"),
            },
            ["dead"] = Paths.DeadServer,
        };

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
        }

        private PsRun Run(string script) => ModuleHost.Run("$o = @{ ZoneFile = $zones; Server = $dead; TimeoutSec = 1 }\n" + script, _vars);

        private static void NoErrors(PsRun run) =>
            Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));

        private static IEnumerable<string> Props(PsRun run, string name) => run.Output.Select(o => o.Properties[name].Value?.ToString() ?? "");

        // ------------------------------------------------------------------ Get-MailMx | ...

        [Fact]
        public void Mx_hosts_into_Test_MailPtr_check_every_address_of_every_host()
        {
            var run = Run("Get-MailMx example.com @o | Test-MailPtr @o");
            NoErrors(run);
            // mail.example.com has 192.0.2.10 and 2001:db8::10; backup.example.com has 192.0.2.20.
            Assert.Equal(new[] { "192.0.2.10", "2001:db8::10", "192.0.2.20" }, Props(run, "IPAddress"));
            Assert.All(run.Output, o => Assert.Equal("MailOps.Ptr.MailPtrResult", o.TypeNames[0]));
        }

        [Fact]
        public void Mx_hosts_into_Get_DnsblListing_check_every_address_not_the_domain()
        {
            var run = Run("Get-MailMx example.com @o | Get-DnsblListing -Zone zen.spamhaus.org @o");
            NoErrors(run);
            var byTarget = run.Output.ToDictionary(o => o.Properties["Target"].Value!.ToString()!, o => o.Properties["Status"].Value!.ToString());
            Assert.Equal(new[] { "192.0.2.10", "192.0.2.20", "2001:db8::10" }, byTarget.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal("Listed", byTarget["192.0.2.10"]);
            Assert.Equal("NotListed", byTarget["192.0.2.20"]);
        }

        [Fact]
        public void Mx_hosts_into_Test_MailDane_check_each_host_once()
        {
            // Before: the MailMxHost bound its Domain property, so each MX host re-checked every MX host of the domain.
            var run = Run("Get-MailMx two.smtp.test @o | Test-MailDane @o -TimeoutSec 2");
            NoErrors(run);
            Assert.Equal(new[] { "mx1.two.smtp.test", "mx2.two.smtp.test" }, Props(run, "HostName"));
        }

        [Fact]
        public void Mx_hosts_into_Test_SmtpService_probe_each_host_name()
        {
            var s = new ScriptedMailServer();
            _servers.Add(s);
            _vars["p"] = s.Start().Port;
            var run = Run("Get-MailMx two.smtp.test @o | Test-SmtpService -Port $p @o -TimeoutSec 5");
            NoErrors(run);
            Assert.Equal(new[] { "mx1.two.smtp.test", "mx2.two.smtp.test" }, Props(run, "HostName"));
        }

        [Fact]
        public void Mx_hosts_given_as_an_argument_bind_the_same_way()
        {
            var run = Run("Test-MailPtr -IPAddress (Get-MailMx example.com @o) @o; Test-MailDane -HostName (Get-MailMx two.smtp.test @o) @o -TimeoutSec 2");
            NoErrors(run);
            Assert.Equal(new[] { "192.0.2.10", "2001:db8::10", "192.0.2.20" }, run.Output.Take(3).Select(o => o.Properties["IPAddress"].Value));
            Assert.Equal(new[] { "mx1.two.smtp.test", "mx2.two.smtp.test" }, run.Output.Skip(3).Select(o => o.Properties["HostName"].Value));
        }

        [Fact]
        public void Csv_rows_still_bind_by_IPAddress_HostName_and_Domain_columns()
        {
            var run = Run(@"
[pscustomobject]@{ IPAddress = '192.0.2.10'; Owner = 'x' } | Test-MailPtr @o
[pscustomobject]@{ Domain = 'example.com' } | Test-MailDane @o -TimeoutSec 2 | ForEach-Object HostName
[pscustomobject]@{ IPAddress = '192.0.2.20' } | Get-DnsblListing -Zone zen.spamhaus.org @o | ForEach-Object Target
[pscustomobject]@{ HostName = 'mx1.two.smtp.test' } | Test-MailDane @o -TimeoutSec 2 | ForEach-Object HostName");
            NoErrors(run);
            Assert.Equal("192.0.2.10", run.Prop(0, "IPAddress"));
            Assert.Equal(new[] { "mail.example.com", "backup.example.com", "192.0.2.20", "mx1.two.smtp.test" }, run.Output.Skip(1).Select(o => o.BaseObject.ToString()));
        }

        [Fact]
        public void A_null_mx_host_into_Test_MailPtr_is_an_error_naming_it_and_the_pipeline_goes_on()
        {
            var run = Run("Get-MailMx nullmx.example.com, example.com @o | Test-MailPtr @o");
            var e = Assert.Single(run.Errors);
            Assert.Equal("InvalidIPAddress", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
            Assert.Equal(3, run.Output.Count);
        }

        [Theory]
        [InlineData("Test-MailPtr @o")]
        [InlineData("Get-DnsblListing -Zone zen.spamhaus.org @o")]
        [InlineData("Test-SmtpService @o -Port 1")]
        [InlineData("Test-MailDane @o")]
        public void A_domain_with_no_mail_host_piped_on_is_an_error_naming_it_not_a_binding_failure(string cmdlet)
        {
            var run = Run("Get-MailMx nosuch.example.com @o -WarningAction SilentlyContinue | " + cmdlet);
            var e = Assert.Single(run.Errors);
            Assert.Equal("NoMailHost", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
            Assert.Equal("nosuch.example.com", e.TargetObject);
            Assert.Contains("nosuch.example.com", e.ToString());
            Assert.Empty(run.Output);
        }

        [Fact]
        public void Quiet_is_false_when_one_piped_domain_had_no_mail_host_to_check()
        {
            // The other domain's addresses all pass: the one that could not be checked must still make the answer $false.
            var run = Run("Get-MailMx nosuch.example.com, example.com @o -WarningAction SilentlyContinue | Test-MailPtr @o -Quiet -WarningAction SilentlyContinue");
            Assert.Equal(new object[] { false }, run.Output.Select(o => o.BaseObject));
            var clean = Run("Get-MailMx example.com @o -WarningAction SilentlyContinue | Test-MailPtr @o -Quiet -WarningAction SilentlyContinue");
            Assert.Equal(new object[] { true }, clean.Output.Select(o => o.BaseObject));
        }

        // ------------------------------------------------------------------ domains as people paste them

        [Theory]
        [InlineData("Get-MailMx")]
        [InlineData("Test-MailSpf")]
        [InlineData("Test-MailDmarc")]
        [InlineData("Test-MtaSts")]
        public void Pasted_domains_are_read_as_the_domain(string cmdlet)
        {
            var pasted = new[] { "User@Example.COM", "https://example.com/", "http://EXAMPLE.com/path?q=1", "example.com.", "<postmaster@example.com>" };
            _vars["pasted"] = pasted;
            var run = Run($"$pasted | {cmdlet} @o -Verbose -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | ForEach-Object Domain");
            Assert.True(run.Terminating == null, run.Terminating?.ToString());
            Assert.DoesNotContain(run.ErrorIds, id => id == "InvalidDomainName");
            foreach (var p in pasted)
                Assert.Contains(run.Verbose, v => v.Message == $"'{p}' read as the domain example.com.");
            // Results (where the fixture data lets the cmdlet get that far) carry the domain, not the pasted text.
            Assert.All(run.Output, o => Assert.Equal("example.com", o.BaseObject));
        }

        [Fact]
        public void An_idn_becomes_its_a_label_form()
        {
            var run = Run("'Bücher.example', 'user@bücher.example' | Get-MailMx @o -ErrorAction SilentlyContinue | ForEach-Object Domain");
            Assert.Equal(new[] { "xn--bcher-kva.example", "xn--bcher-kva.example" }, run.Output.Select(o => o.BaseObject.ToString()));
        }

        [Theory]
        [InlineData("Get-MailMx")]
        [InlineData("Test-MailSpf")]
        [InlineData("Test-MailDmarc")]
        [InlineData("Test-MailDkim -Selector s1")]
        [InlineData("Get-DnsblListing -Zone dbl.spamhaus.org")]
        [InlineData("Test-MailDane")]
        [InlineData("Find-DkimSelector -Selector s1")]
        public void Bad_domains_are_InvalidDomainName_naming_the_input_and_the_next_input_runs(string cmdlet)
        {
            var bad = new[] { "exa mple.com", "a..b", " ", "x/y.com", new string('a', 64) + ".com", string.Join(".", Enumerable.Repeat(new string('b', 60), 5)), "@", "https:///" };
            _vars["bad"] = bad;
            var run = Run($"$bad + 'example.com' | ForEach-Object {{ [pscustomobject]@{{ Domain = $_ }} }} | {cmdlet} @o -ErrorAction SilentlyContinue -WarningAction SilentlyContinue -ErrorVariable ev | Out-Null; $ev | Where-Object {{ $_.FullyQualifiedErrorId -like 'InvalidDomainName,*' }} | ForEach-Object {{ [string]$_.TargetObject + '|' + $_.CategoryInfo.Category }}; @($ev | Where-Object {{ $_.FullyQualifiedErrorId -like 'InvalidDomainName,*' -and $_.TargetObject -eq 'example.com' }}).Count");
            var lines = run.Output.Select(o => o.BaseObject.ToString()).ToList();
            Assert.Equal(bad.Select(b => b + "|InvalidArgument"), lines.Take(bad.Length));
            Assert.Equal("0", lines.Last());
            Assert.DoesNotContain(run.Errors, e => e.FullyQualifiedErrorId.StartsWith("Dns", StringComparison.Ordinal) && bad.Contains(e.TargetObject as string));
        }

        [Fact]
        public void The_file_writing_cmdlets_read_domains_the_same_way()
        {
            var run = Run(@"
(New-MtaStsPolicy -Domain 'user@Example.COM' -MxHost mail.example.com).Domain
New-MtaStsPolicy -Domain 'exa mple.com' -MxHost mail.example.com
New-DkimKey -Selector s1 -Domain 'a..b' -Path $RepoRoot -WhatIf");
            Assert.Equal("example.com", Assert.Single(run.Output).BaseObject);
            Assert.Equal(new[] { "InvalidDomainName", "InvalidDomainName" }, run.ErrorIds);
            Assert.Equal(new object[] { "exa mple.com", "a..b" }, run.Errors.Select(e => e.TargetObject));
        }

        [Fact]
        public void Underscore_names_are_legal_domains()
        {
            var run = Run("Test-MailSpf '_spf.example.com' @o -ErrorAction SilentlyContinue -ErrorVariable ev | Out-Null; $ev | ForEach-Object { $_.FullyQualifiedErrorId }");
            Assert.DoesNotContain(run.Output.Select(o => o.BaseObject.ToString()), id => id!.StartsWith("InvalidDomainName", StringComparison.Ordinal));
        }

        // ------------------------------------------------------------------ Test-MailSpf as a receiver

        [Fact]
        public void Sender_alone_is_enough_its_domain_is_evaluated()
        {
            var run = Run("Test-MailSpf -IPAddress 192.0.2.10, 203.0.113.7 -Sender 'x@good.example.org' @o | ForEach-Object { '{0}|{1}|{2}' -f $_.Domain, $_.Result, $_.Sender }");
            NoErrors(run);
            Assert.Equal(new[] { "good.example.org|pass|x@good.example.org", "good.example.org|fail|x@good.example.org" }, run.Output.Select(o => o.ToString()));
        }

        [Fact]
        public void An_empty_sender_evaluates_postmaster_at_the_helo_name()
        {
            var run = Run("Test-MailSpf -IPAddress 192.0.2.44 -Sender '' -HeloName helo.example.org @o; Test-MailSpf -IPAddress 192.0.2.44 -Sender '<>' -HeloName helo.example.org @o");
            NoErrors(run);
            Assert.Equal(2, run.Output.Count);
            Assert.All(run.Output, o =>
            {
                Assert.Equal("helo.example.org", o.Properties["Domain"].Value);
                Assert.Equal("postmaster@helo.example.org", o.Properties["Sender"].Value);
                Assert.Equal("pass", o.Properties["Result"].Value);
            });
        }

        [Fact]
        public void Evaluating_with_no_identity_is_an_error_naming_what_to_give()
        {
            var run = Run("Test-MailSpf -IPAddress 192.0.2.44 -Sender '' @o");
            Assert.Empty(run.Output);
            var e = Assert.Single(run.Errors);
            Assert.Equal("InvalidDomainName", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("-HeloName", e.ToString());
        }

        [Theory]
        [InlineData("-Domain 'A...example.com'")]
        [InlineData("-Sender 'x@A...example.com'")]
        [InlineData("-Domain ('a' * 64 + '.example.com')")]
        public void A_malformed_domain_evaluates_to_none_as_a_receiver_would(string identity)
        {
            var run = Run($"Test-MailSpf -IPAddress 192.0.2.10 {identity} @o; Test-MailSpf -IPAddress 192.0.2.10 -Domain good.example.org @o");
            NoErrors(run);
            Assert.Equal(new[] { "none", "pass" }, Props(run, "Result"));
        }

        [Fact]
        public void The_audit_still_refuses_a_malformed_domain()
        {
            var run = Run("Test-MailSpf 'A...example.com', good.example.org @o");
            Assert.Equal("InvalidDomainName", Assert.Single(run.ErrorIds));
            Assert.Equal("good.example.org", Assert.Single(run.Output).Properties["Domain"].Value);
        }

        // ------------------------------------------------------------------ CIDR ranges

        [Fact]
        public void Test_MailPtr_expands_a_range_in_order_without_network_and_broadcast()
        {
            var run = Run("'192.0.2.8/30', '192.0.2.30', '2001:db8::/126' | Test-MailPtr @o -WarningAction SilentlyContinue");
            NoErrors(run);
            Assert.Equal(new[] { "192.0.2.9", "192.0.2.10", "192.0.2.30", "2001:db8::1", "2001:db8::2", "2001:db8::3" }, Props(run, "IPAddress"));
        }

        [Fact]
        public void A_slash_31_gives_both_addresses_and_a_slash_24_all_254_hosts()
        {
            var run = Run("Get-DnsblListing -IPAddress 192.0.2.10/31, 198.51.100.0/24 -Zone zen.spamhaus.org @o | ForEach-Object Target");
            NoErrors(run);
            var targets = run.Output.Select(o => o.BaseObject.ToString()!).ToList();
            Assert.Equal(new[] { "192.0.2.10", "192.0.2.11" }, targets.Where(t => t.StartsWith("192.", StringComparison.Ordinal)).OrderBy(t => t, StringComparer.Ordinal));
            Assert.Equal(Enumerable.Range(1, 254).Select(i => "198.51.100." + i).OrderBy(t => t, StringComparer.Ordinal), targets.Where(t => t.StartsWith("198.", StringComparison.Ordinal)).OrderBy(t => t, StringComparer.Ordinal));
        }

        [Theory]
        [InlineData("Test-MailPtr", "192.0.2.0/23")]
        [InlineData("Test-MailPtr", "2001:db8::/119")]
        [InlineData("Get-DnsblListing -Zone zen.spamhaus.org", "10.0.0.0/8")]
        [InlineData("Test-MailPtr", "192.0.2.0/33")]
        [InlineData("Test-MailPtr", "mail.example.com")]
        [InlineData("Test-MailPtr", "10.1")]
        public void Too_large_or_bad_ranges_are_InvalidIPAddress_naming_the_input_and_the_next_runs(string cmdlet, string input)
        {
            _vars["in"] = input;
            var run = Run($"$in, '192.0.2.10' | {cmdlet} @o -WarningAction SilentlyContinue");
            var e = Assert.Single(run.Errors);
            Assert.Equal("InvalidIPAddress", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
            Assert.Equal(input, e.TargetObject);
            Assert.Contains(input, e.ToString());
            Assert.Equal("192.0.2.10", Assert.Single(Props(run, run.Output[0].Properties["Target"] != null ? "Target" : "IPAddress")));
        }

        // ------------------------------------------------------------------ progress

        private static void AllCompleted(PsRun run)
        {
            Assert.NotEmpty(run.Progress);
            foreach (var g in run.Progress.GroupBy(p => p.ActivityId))
                Assert.Equal(ProgressRecordType.Completed, g.Last().RecordType);
        }

        [Fact]
        public void Test_MailSpf_completes_its_bar_when_it_ends_normally_and_on_an_error()
        {
            AllCompleted(Run("Test-MailSpf spf.example.org, example.com @o -ErrorAction SilentlyContinue | Out-Null"));
            AllCompleted(Run("Test-MailSpf example.com -Server $dead -TimeoutSec 1 -ErrorAction SilentlyContinue | Out-Null"));
        }

        [Fact]
        public void A_bar_is_completed_before_ErrorAction_Stop_ends_the_command()
        {
            var run = Run("try { Test-MailSpf example.com, example.org -Server $dead -TimeoutSec 1 -ErrorAction Stop } catch { 'stopped' }");
            Assert.Equal("stopped", Assert.Single(run.Output).BaseObject);
            AllCompleted(run);
        }

        [Fact]
        public void Fan_out_and_dnsbl_bars_are_completed()
        {
            AllCompleted(Run("'192.0.2.10', '192.0.2.20' | Get-DnsblListing -Zone zen.spamhaus.org @o | Out-Null"));
            AllCompleted(Run("Test-MailDomain example.com, example.org @o -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null"));
        }
    }
}
