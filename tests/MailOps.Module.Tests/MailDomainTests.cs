using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Test-MailDomain (and the fan-out base under it) as a user types it, against the fixture DNS server on loopback.</summary>
    [Collection("Runspace")]
    public sealed class MailDomainTests : IDisposable
    {
        /// <summary>The domain cases, their stub TLD and PTRs, and the default blocklists as working lists (bl-*.zone).</summary>
        private static readonly string[] Zones = System.IO.Directory.GetFiles(Paths.DnsFixture("domain"), "*.zone");
        private readonly FixtureDnsServer _dns;
        private readonly Dictionary<string, object?> _vars;

        public MailDomainTests()
        {
            _dns = FixtureDnsServer.Start();
            foreach (var z in Zones) _dns.LoadMasterFileFromPath(z);
            _vars = new Dictionary<string, object?>
            {
                ["srv"] = _dns.ServerSpec,
                ["zones"] = Paths.DnsFixture("domain/*.zone"),
                ["dead"] = Paths.DeadServer,
            };
        }

        public void Dispose() => _dns.Dispose();

        private static IEnumerable<string?> Codes(PSObject result) =>
            ((IEnumerable<object>)result.Properties["Findings"].Value).Select(f => PSObject.AsPSObject(f).Properties["Code"].Value as string);

        private static PSObject Finding(PSObject result, string code) =>
            ((IEnumerable<object>)result.Properties["Findings"].Value).Select(PSObject.AsPSObject).First(f => (string)f.Properties["Code"].Value == code);

        [Fact]
        public void One_object_per_domain_with_typed_sub_results_and_findings_in_fix_first_order()
        {
            var run = ModuleHost.Run("'good.domain.example', 'broken.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("MailOps.DomainHealth.MailDomainResult", run.Output[0].TypeNames[0]);

            var good = run.Output[0];
            Assert.Equal("good.domain.example", good.Properties["Domain"].Value);
            Assert.Equal("MailOps.Spf.SpfAuditResult", PSObject.AsPSObject(good.Properties["Spf"].Value).TypeNames[0]);
            Assert.Equal("MailOps.Dmarc.MailDmarcResult", PSObject.AsPSObject(good.Properties["Dmarc"].Value).TypeNames[0]);
            Assert.Equal("reject", PSObject.AsPSObject(good.Properties["Dmarc"].Value).Properties["Policy"].Value);
            Assert.Equal(2, ((IEnumerable<object>)good.Properties["Mx"].Value).Count());
            Assert.Equal("s2026", PSObject.AsPSObject(((IEnumerable<object>)good.Properties["Dkim"].Value).Single()).Properties["Selector"].Value);
            // Only hardening is left: no MTA-STS (2 points). No TLSA is information.
            Assert.Equal("Warning", good.Properties["Status"].Value);
            Assert.Equal(98, good.Properties["Score"].Value);
            Assert.Equal("A", good.Properties["Grade"].Value);
            Assert.Equal(new[] { "NoMtaStsRecord", "NoTlsa", "NoTlsa" }, Codes(good));

            var broken = run.Output[1];
            Assert.Equal("Fail", broken.Properties["Status"].Value);
            Assert.Equal("F", broken.Properties["Grade"].Value);
            // Blocking first (SPF before DMARC), then deliverability, then hardening.
            // s2026 was asked for and is not published: a Fail of the DKIM check, so Broken, before the warnings.
            Assert.Equal(new[] { "MultipleSpfRecords", "NoRecord", "NoDkimRecord", "ImplicitMx", "NoMtaStsRecord", "NoTlsRptRecord" }, Codes(broken));
            Assert.Equal("Broken", Finding(broken, "NoDkimRecord").Properties["Priority"].Value);
            var dmarc = Finding(broken, "NoRecord");
            Assert.Equal("Blocking", dmarc.Properties["Priority"].Value);
            Assert.Equal(2, dmarc.Properties["Rank"].Value);
            Assert.Equal("_dmarc.broken.domain.example. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@broken.domain.example\"", dmarc.Properties["Record"].Value);
            Assert.NotNull(dmarc.Properties["Remedy"].Value);
            Assert.Equal("_smtp._tls.broken.domain.example. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@broken.domain.example\"", Finding(broken, "NoTlsRptRecord").Properties["Record"].Value);
        }

        [Fact]
        public void A_check_that_could_not_run_is_an_error_and_the_domain_is_Incomplete_never_Pass()
        {
            _dns.SetFault("_dmarc.good.domain.example", FixtureDnsServer.Fault.ServFail);
            var run = ModuleHost.Run("'good.domain.example', 'mailcow.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026, dkim", _vars);
            var error = Assert.Single(run.Errors);
            Assert.Equal("DnsServerFailure", run.ErrorIds.Single());
            Assert.Equal("good.domain.example", error.TargetObject);
            Assert.Contains("Dmarc check could not run", error.ErrorDetails.Message);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal("Incomplete", run.Prop(0, "Status"));
            Assert.Null(run.Prop(0, "Score"));
            Assert.Equal("?", run.Prop(0, "Grade"));
            Assert.Null(run.Prop(0, "Dmarc"));
            Assert.Contains("Dmarc:", run.Prop(0, "CouldNotCheck")!.ToString());
            // The pipeline went on: the next domain is complete.
            Assert.Equal("mailcow.domain.example", run.Prop(1, "Domain"));
            Assert.NotEqual("Incomplete", run.Prop(1, "Status"));
        }

        [Fact]
        public void Results_come_in_input_order_whatever_the_throttle()
        {
            // shared1 is slowed by a timeout-free delay: its DMARC question times out once and is answered by nothing,
            // so use an order where the first input is the slowest (a faulted server costs the full timeout).
            _dns.SetFault("_dmarc.shared1.domain.example", FixtureDnsServer.Fault.Timeout);
            var domains = "'shared1.domain.example', 'good.domain.example', 'broken.domain.example', 'mailcow.domain.example', 'tlsa.domain.example', 'shared2.domain.example'";
            var run = ModuleHost.Run($"{domains} | Test-MailDomain -Server $srv -TimeoutSec 1 -ThrottleLimit 6 | ForEach-Object Domain", _vars);
            Assert.Equal(new[] { "shared1.domain.example", "good.domain.example", "broken.domain.example", "mailcow.domain.example", "tlsa.domain.example", "shared2.domain.example" },
                run.Output.Select(o => o.BaseObject as string));
            Assert.Equal("DnsTimeout", Assert.Single(run.ErrorIds));
        }

        [Fact]
        public void One_dns_cache_for_the_whole_pipeline_asks_a_shared_include_once()
        {
            var run = ModuleHost.Run("'shared1.domain.example', 'shared2.domain.example' | Test-MailDomain -Server $srv -DkimSelector s1 -ThrottleLimit 1", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(2, run.Output.Count);
            Assert.Equal(1, _dns.QueryCount("_spf.provider.domain.example", ARSoft.Tools.Net.Dns.RecordType.Txt));
        }

        [Fact]
        public void Quiet_writes_one_boolean_for_the_invocation()
        {
            var ok = ModuleHost.Run("'good.domain.example', 'good.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026 -Quiet", _vars);
            Assert.Equal(new object[] { true }, ok.Output.Select(o => o.BaseObject));
            var bad = ModuleHost.Run("'good.domain.example', 'broken.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026 -Quiet", _vars);
            Assert.Equal(new object[] { false }, bad.Output.Select(o => o.BaseObject));
        }

        [Fact]
        public void Import_Csv_rows_bind_by_Domain_and_Selector_columns()
        {
            var run = ModuleHost.Run(@"
@([pscustomobject]@{ Domain = 'good.domain.example'; Selector = 's2026' },
  [pscustomobject]@{ Domain = 'mailcow.domain.example'; Selector = 'dkim' }) | Test-MailDomain -Server $srv", _vars);
            Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(e => e.ToString())));
            Assert.Equal(new[] { "good.domain.example", "mailcow.domain.example" }, run.Output.Select(o => o.Properties["Domain"].Value));
            Assert.DoesNotContain("NoDkimSelectorFound", Codes(run.Output[0]));
            Assert.DoesNotContain("NoDkimSelectorFound", Codes(run.Output[1]));
        }

        [Fact]
        public void Profile_Mailcow_checks_the_client_records_and_proposes_the_missing_ones()
        {
            var run = ModuleHost.Run("Test-MailDomain mailcow.domain.example -Server $srv -Profile Mailcow", _vars);
            Assert.Empty(run.Errors);
            var r = Assert.Single(run.Output);
            var client = ((IEnumerable<object>)r.Properties["ClientRecords"].Value).Select(PSObject.AsPSObject).ToList();
            Assert.Equal(12, client.Count);
            Assert.True((bool)client.Single(c => (string)c.Properties["Name"].Value == "autodiscover.mailcow.domain.example").Properties["Found"].Value);
            Assert.True((bool)client.Single(c => (string)c.Properties["Name"].Value == "_submission._tcp.mailcow.domain.example").Properties["Found"].Value);
            Assert.False((bool)client.Single(c => (string)c.Properties["Name"].Value == "_imaps._tcp.mailcow.domain.example").Properties["Found"].Value);
            var missing = ((IEnumerable<object>)r.Properties["Findings"].Value).Select(PSObject.AsPSObject)
                .Where(f => (string)f.Properties["Code"].Value == "ClientRecordMissing").ToList();
            Assert.Equal(10, missing.Count);
            Assert.Contains(missing, f => (string)f.Properties["Record"].Value == "_imaps._tcp.mailcow.domain.example. IN SRV 0 1 993 mx1.good.domain.example.");
            Assert.All(missing, f => Assert.Equal("Hardening", f.Properties["Priority"].Value));
            // Mailcow's default selector 'dkim' is probed.
            Assert.DoesNotContain("NoDkimSelectorFound", Codes(r));
        }

        [Fact]
        public void Tlsa_records_without_dnssec_are_a_finding_without_connecting()
        {
            var run = ModuleHost.Run("Test-MailDomain tlsa.domain.example -Server $srv", _vars);
            Assert.Empty(run.Errors);
            var r = Assert.Single(run.Output);
            var dane = PSObject.AsPSObject(((IEnumerable<object>)r.Properties["Dane"].Value).Single());
            Assert.Equal("Published", dane.Properties["DaneStatus"].Value);
            Assert.Equal(false, dane.Properties["TlsEstablished"].Value);
            var f = Finding(r, "TlsaNotDnssecValidated");
            Assert.Equal("Broken", f.Properties["Priority"].Value);
        }

        [Fact]
        public void Invalid_domain_is_an_error_and_the_rest_go_on()
        {
            var run = ModuleHost.Run("'bad..name', 'good.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026", _vars);
            Assert.Equal("InvalidDomainName", Assert.Single(run.ErrorIds));
            Assert.Equal("good.domain.example", run.Prop(0, "Domain"));
        }

        [Fact]
        public void ZoneFile_gives_the_same_answer_offline()
        {
            var run = ModuleHost.Run("'good.domain.example', 'broken.domain.example' | Test-MailDomain -ZoneFile $zones -Server $dead -TimeoutSec 1 -DkimSelector s2026", _vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal(new object[] { "A", "F" }, run.Output.Select(o => o.Properties["Grade"].Value));
        }

        [Fact]
        public void Live_probes_smtp_on_each_mx_and_ranks_its_findings()
        {
            using var smtp = new ScriptedMailServer { Banner = "220 mx.live.domain.example ESMTP", AdvertiseStartTls = false };
            _vars["p"] = smtp.Start().Port;
            var run = ModuleHost.Run("Test-MailDomain live.domain.example -Server $srv -Live -SmtpPort $p -DkimSelector s1", _vars);
            Assert.Empty(run.Errors);
            var r = Assert.Single(run.Output);
            Assert.Equal(true, r.Properties["Live"].Value);
            var svc = PSObject.AsPSObject(((IEnumerable<object>)r.Properties["Smtp"].Value).Single());
            Assert.Equal("mx.live.domain.example", svc.Properties["HostName"].Value);
            var f = Finding(r, "NoStartTls");
            Assert.Equal("Smtp", f.Properties["Area"].Value);
            Assert.Equal("Broken", f.Properties["Priority"].Value);
            Assert.True(smtp.Connections >= 1);
        }

        [Fact]
        public void Live_with_an_mx_that_refuses_is_an_error_and_Incomplete()
        {
            _vars["p"] = ScriptedMailServer.ClosedPort();
            var run = ModuleHost.Run("Test-MailDomain live.domain.example -Server $srv -Live -SmtpPort $p -DkimSelector s1", _vars);
            Assert.Equal("MailConnectionRefused", Assert.Single(run.ErrorIds));
            Assert.Equal("Incomplete", run.Prop(0, "Status"));
            Assert.Contains("Smtp:", run.Prop(0, "CouldNotCheck")!.ToString());
        }

        [Fact]
        public void CtrlC_stops_a_fan_out_within_a_second()
        {
            foreach (var d in new[] { "good", "broken", "mailcow", "tlsa" })
                _dns.SetFault($"{d}.domain.example", FixtureDnsServer.Fault.Timeout);
            var took = ModuleHost.RunAndStop("'good.domain.example','broken.domain.example','mailcow.domain.example','tlsa.domain.example' | Test-MailDomain -Server $srv -TimeoutSec 60 -ThrottleLimit 2",
                _vars, TimeSpan.FromMilliseconds(300), () => _dns.QueryCount("good.domain.example") > 0);
            Assert.True(took < TimeSpan.FromSeconds(1), $"Stop took {took.TotalMilliseconds:0} ms");
        }
    
        [Fact]
        public void A_listed_MX_address_and_a_listed_domain_are_Blocking_findings_first()
        {
            var run = ModuleHost.Run("Test-MailDomain listed.domain.example -Server $srv -DkimSelector s2026", _vars);
            Assert.Empty(run.Errors);
            var r = run.Output.Single();
            Assert.Equal("Fail", r.Properties["Status"].Value);
            Assert.Equal("F", r.Properties["Grade"].Value);
            var findings = ((IEnumerable<object>)r.Properties["Findings"].Value).Select(PSObject.AsPSObject).ToList();
            // Blocking tier, MX area first, then the blocklists: before the DKIM key nobody published.
            Assert.Equal("Blocklist", findings[0].Properties["Area"].Value);
            Assert.Equal("Blocking", findings[0].Properties["Priority"].Value);
            var ip = Finding(r, "Blocklisted");
            Assert.Equal("192.0.2.66", ip.Properties["Subject"].Value);
            Assert.Contains("bl.spamcop.net", (string)ip.Properties["Message"].Value);
            Assert.Contains("mx.listed.domain.example", (string)ip.Properties["Message"].Value);
            Assert.Contains("Blocked - see https://www.spamcop.net", (string)ip.Properties["Message"].Value);
            var dom = Finding(r, "DomainBlocklisted");
            Assert.Contains("dbl.spamhaus.org", (string)dom.Properties["Message"].Value);
            Assert.Equal(new[] { "listed.domain.example on dbl.spamhaus.org", "192.0.2.66 on bl.spamcop.net" },
                ((IEnumerable<object>)r.Properties["ListedOn"].Value).Cast<string>());
            // Every default zone was asked: the domain lists about the domain, the IP lists about the address.
            var results = ((IEnumerable<object>)r.Properties["Blocklists"].Value).Select(PSObject.AsPSObject).ToList();
            Assert.Equal(13, results.Count);
            Assert.All(results, x => Assert.NotEqual("Error", x.Properties["Status"].Value));
        }

        [Fact]
        public void A_clean_domain_is_asked_about_on_every_default_list_and_stays_as_it_was()
        {
            var run = ModuleHost.Run("Test-MailDomain good.domain.example -Server $srv -DkimSelector s2026", _vars);
            Assert.Empty(run.Errors);
            var r = run.Output.Single();
            var results = ((IEnumerable<object>)r.Properties["Blocklists"].Value).Select(PSObject.AsPSObject).ToList();
            // The domain on 3 domain lists (ZRD only with a DQS key), mx1 and mx2 (192.0.2.25, .26) on 10 IP lists each.
            Assert.Equal(3 + 2 * 10, results.Count);
            Assert.All(results, x => Assert.Equal("NotListed", x.Properties["Status"].Value));
            Assert.Empty((IEnumerable<object>)r.Properties["ListedOn"].Value);
            Assert.Equal(98, r.Properties["Score"].Value);
        }

        [Fact]
        public void A_blocklist_that_cannot_be_asked_makes_the_domain_Incomplete_with_one_error_per_zone_not_a_clean_bill()
        {
            // SpamCop's test entry goes unanswered: every 'not listed' from it would be a guess.
            _dns.SetFault("2.0.0.127.bl.spamcop.net", FixtureDnsServer.Fault.Refused);
            var run = ModuleHost.Run("'good.domain.example', 'listed.domain.example' | Test-MailDomain -Server $srv -DkimSelector s2026", _vars);
            Assert.Equal(2, run.Output.Count);
            Assert.All(run.Output, r => Assert.Equal("Incomplete", r.Properties["Status"].Value));
            Assert.All(run.Output, r => Assert.Contains(((IEnumerable<object>)r.Properties["CouldNotCheck"].Value).Cast<string>(), l => l.StartsWith("Blocklist bl.spamcop.net:")));
            // Three addresses, one zone, one kind: one error record for the invocation.
            var error = Assert.Single(run.Errors);
            Assert.Equal("DnsRefused", error.FullyQualifiedErrorId.Split(',')[0]);
            // The other lists still answered: the domain's DBL listing is still reported.
            Assert.Contains("DomainBlocklisted", Codes(run.Output[1]));
        }

        [Fact]
        public void NoBlocklist_skips_the_lists_and_Zone_narrows_them()
        {
            var none = ModuleHost.Run("Test-MailDomain listed.domain.example -Server $srv -DkimSelector s2026 -NoBlocklist", _vars);
            Assert.Empty(none.Errors);
            Assert.Empty((IEnumerable<object>)none.Output.Single().Properties["Blocklists"].Value);
            Assert.DoesNotContain("Blocklisted", Codes(none.Output.Single()));

            var one = ModuleHost.Run("Test-MailDomain listed.domain.example -Server $srv -DkimSelector s2026 -Zone bl.spamcop.net", _vars);
            Assert.Empty(one.Errors);
            var results = ((IEnumerable<object>)one.Output.Single().Properties["Blocklists"].Value).Select(PSObject.AsPSObject).ToList();
            Assert.Equal("bl.spamcop.net", Assert.Single(results).Properties["Zone"].Value);
            Assert.Contains("Blocklisted", Codes(one.Output.Single()));
            Assert.DoesNotContain("DomainBlocklisted", Codes(one.Output.Single()));

            var both = ModuleHost.Run("Test-MailDomain listed.domain.example -Server $srv -NoBlocklist -Zone bl.spamcop.net", _vars);
            Assert.Empty(both.Output);
            Assert.Contains("AmbiguousParameterSet", Assert.Single(both.Errors).FullyQualifiedErrorId);
        }
}
}
