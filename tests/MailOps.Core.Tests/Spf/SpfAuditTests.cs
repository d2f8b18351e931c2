using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;

namespace MailOps.Tests.Spf
{
    /// <summary>The SPF audit and evaluation engine on recorded fixtures, through the loopback server and through -ZoneFile.</summary>
    public sealed class SpfAuditTests : IDisposable
    {
        private static readonly string[] Zones = { "spf.example.org.zone", "reverse.zone", "reverse6.zone" };
        private readonly FixtureDnsServer _server;

        public SpfAuditTests()
        {
            _server = FixtureDnsServer.Start();
            foreach (var z in Zones) _server.LoadMasterFileFromPath(Paths.DnsFixture(z));
        }

        public void Dispose() => _server.Dispose();

        public static IEnumerable<object[]> Paths2 => new[] { new object[] { "wire" }, new object[] { "zonefile" } };

        private IDnsResolver Dns(string path) => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(1500), 0))
            : new CachingDnsResolver(new ZoneFileResolver(Zones.Select(z => MasterFileParser.ParseFile(Paths.DnsFixture(z))),
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        private async Task<SpfAuditResult> Audit(string path, string domain)
        {
            var r = await SpfAudit.RunAsync(Dns(path), domain, CancellationToken.None);
            Assert.Empty(r.Unanswered);
            return r.Result;
        }

        private static string[] Codes(SpfAuditResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Theory, MemberData(nameof(Paths2))]
        public async Task Good_record_passes_with_tree_and_costs(string path)
        {
            var r = await Audit(path, "good.example.org");
            Assert.Equal("Pass", r.Status);
            Assert.Empty(r.Findings);
            Assert.StartsWith("v=spf1 mx ip4:192.0.2.0/25", r.Record);
            Assert.Equal(3, r.LookupCount);      // mx, include, nested include
            Assert.Equal(0, r.VoidLookupCount);
            Assert.Equal(new[] { "mx", "ip4", "include", "all", "exp" }, r.Terms.Select(t => t.Kind));
            var include = r.Terms[2];
            Assert.Equal("_spf.provider.example.org", include.Target);
            Assert.Equal(1, include.LookupCost);
            Assert.Equal(2, include.SubtreeLookupCost);
            Assert.Equal("v=spf1 ip4:198.51.100.0/24 include:_spf2.provider.example.org ~all", include.Record);
            var nested = include.Children[1];
            Assert.Equal("include:_spf2.provider.example.org", nested.Term);
            Assert.Equal("ip6:2001:db8:100::/48", Assert.Single(nested.Children, c => c.Kind == "ip6").Term);
            Assert.Equal("fail", r.Terms[3].Qualifier);
            Assert.Contains("2 MX host(s): mail.example.org, backup.example.org", r.Terms[0].Note);
            Assert.Contains("    include:_spf2.provider.example.org  [cost 1, subtree 1]", r.ToTreeString());
        }

        [Theory]
        [InlineData("none.example.org", "NoSpfRecord", "Fail")]
        [InlineData("nothing-here.example.org", "NoSpfRecord", "Fail")]
        [InlineData("two.example.org", "MultipleSpfRecords", "Fail")]
        [InlineData("plusall.example.org", "AllowAll", "Fail")]
        [InlineData("qall.example.org", "NeutralAll", "Warning")]
        [InlineData("noall.example.org", "NoAllOrRedirect", "Warning")]
        [InlineData("afterall.example.org", "TermsAfterAll", "Warning")]
        [InlineData("ptr.example.org", "PtrMechanism", "Warning")]
        [InlineData("incnone.example.org", "IncludeNoSpf", "Fail")]
        [InlineData("loop.example.org", "IncludeLoop", "Fail")]
        [InlineData("manymx.example.org", "MxTooManyNames", "Fail")]
        [InlineData("long.example.org", "RecordTooLongForUdp", "Warning")]
        [InlineData("obsolete.example.org", "ObsoleteSpfRecordType", "Warning")]
        [InlineData("onevoid.example.org", "VoidLookup", "Warning")]
        [InlineData("badname.example.org", "InvalidTargetName", "Warning")]
        public async Task Each_problem_is_a_finding_with_severity_message_and_remedy(string domain, string code, string severity)
        {
            foreach (var path in new[] { "wire", "zonefile" })
            {
                var r = await Audit(path, domain);
                var f = Assert.Single(r.Findings, x => x.Code == code);
                Assert.Equal(severity, f.Severity);
                Assert.Contains(domain.Split('.')[0], f.Message);
                Assert.False(string.IsNullOrWhiteSpace(f.Remedy));
                Assert.Equal(severity, r.Status);
            }
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Syntax_error_names_the_position_and_term(string path)
        {
            var r = await Audit(path, "syntax.example.org");
            var f = Assert.Single(r.Findings, x => x.Code == "SyntaxError");
            // "v=spf1 mx ip4:192.0.2.300 -all": the address starts at character 15.
            Assert.Contains("position 15 (in 'ip4:192.0.2.300')", f.Message);
            Assert.Equal("Fail", r.Status);
            Assert.Equal("mx", Assert.Single(r.Terms).Kind); // the terms before the error are still shown
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Over_the_lookup_limit_names_the_culprits_and_the_eleventh_term(string path)
        {
            var r = await Audit(path, "toomany.example.org");
            Assert.Equal(13, r.LookupCount);
            Assert.Equal(6, r.Terms[0].SubtreeLookupCost);
            Assert.Equal(5, r.Terms[1].SubtreeLookupCost);
            var f = Assert.Single(r.Findings, x => x.Code == "TooManyLookups");
            Assert.Equal("Fail", f.Severity);
            Assert.Contains("needs 13", f.Message);
            Assert.Contains("include:big1.example.org (6), include:big2.example.org (5), a (1), mx (1)", f.Message);
            // 1 + 5 (big1) = 6, then include:big2 = 7, its a:h1..h4 = 8..11: the 11th is a:h4 inside big2.
            Assert.Contains("'a:h4.example.org' in the record of big2.example.org (via include:big2.example.org", f.Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Void_lookups_are_counted_per_term_and_over_two_fail(string path)
        {
            var r = await Audit(path, "voids.example.org");
            Assert.Equal(3, r.VoidLookupCount);
            Assert.Equal(new[] { 1, 1, 1, 0, 0 }, r.Terms.Select(t => t.VoidLookups));
            var f = Assert.Single(r.Findings, x => x.Code == "TooManyVoidLookups");
            Assert.Contains("'a:gone3.example.org'", f.Message);
            var inc = await Audit(path, "incnone.example.org");
            Assert.Equal(1, inc.VoidLookupCount);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Redirect_is_followed_and_its_all_counts(string path)
        {
            var r = await Audit(path, "redirect.example.org");
            Assert.Equal(2, r.LookupCount);
            Assert.Equal("Pass", r.Status);
            Assert.Equal("_spf.provider.example.org", Assert.Single(r.Terms).Target);
        }

        [Fact]
        public async Task Unanswered_own_lookup_throws_so_the_cmdlet_writes_an_error()
        {
            _server.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() =>
                SpfAudit.RunAsync(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(300), 0), "slow.example.org", CancellationToken.None));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
            Assert.Equal(DnsRecordType.TXT, ex.Result.Type);
        }

        [Fact]
        public async Task Unanswered_include_is_a_finding_and_reported_not_a_missing_record()
        {
            _server.SetFault("slow.example.org", FixtureDnsServer.Fault.ServFail);
            var o = await SpfAudit.RunAsync(Dns("wire"), "slowinc.example.org", CancellationToken.None);
            var f = Assert.Single(o.Result.Findings, x => x.Code == "IncludeUnanswered");
            Assert.Contains("ServerFailure", f.Message);
            Assert.DoesNotContain(o.Result.Findings, x => x.Code == "IncludeNoSpf");
            Assert.Contains(o.Unanswered, q => q.Name == "slow.example.org" && q.Type == DnsRecordType.TXT);
        }

        private async Task<SpfEvaluationResult> Eval(string path, string domain, string ip, string sender = "", string? helo = null)
        {
            var e = await SpfEvaluator.EvaluateAsync(Dns(path), IPAddress.Parse(ip), domain, sender, helo, new SpfEvaluationOptions(), CancellationToken.None);
            return e.Result;
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Evaluation_pass_via_mx_and_nested_include(string path)
        {
            var mx = await Eval(path, "good.example.org", "192.0.2.200");
            Assert.Equal("pass", mx.Result);
            Assert.Equal("mx", mx.MatchedTerm);
            Assert.Equal(1, mx.LookupsUsed);
            var nested = await Eval(path, "good.example.org", "2001:db8:100::5", "alice@good.example.org");
            Assert.Equal("pass", nested.Result);
            Assert.Equal("include:_spf.provider.example.org", nested.MatchedTerm);
            Assert.Equal(3, nested.LookupsUsed);
            Assert.Contains(nested.Trace, s => s.Depth == 2 && s.Term == "ip6:2001:db8:100::/48" && s.Outcome == "match");
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Evaluation_fail_uses_the_exp_text_with_macros(string path)
        {
            var r = await Eval(path, "good.example.org", "203.0.113.9", "bob@good.example.org");
            Assert.Equal("fail", r.Result);
            Assert.Equal("-all", r.MatchedTerm);
            Assert.Equal("203.0.113.9 is not allowed to send mail for good.example.org", r.Explanation);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Evaluation_of_ipv4_mapped_address_is_ipv4_and_macros_work(string path)
        {
            var r = await Eval(path, "macro.example.org", "::ffff:192.0.2.77");
            Assert.Equal("pass", r.Result);
            Assert.Equal("192.0.2.77", r.IPAddress);
            Assert.Equal("fail", (await Eval(path, "macro.example.org", "192.0.2.78")).Result);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Helo_check_uses_postmaster_at_the_helo_name(string path)
        {
            var r = await Eval(path, "helo.example.org", "192.0.2.44", "", "helo.example.org");
            Assert.Equal("pass", r.Result);
            Assert.Equal("postmaster@helo.example.org", r.Sender);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Evaluation_limits_and_errors_are_results(string path)
        {
            Assert.Equal("permerror", (await Eval(path, "toomany.example.org", "203.0.113.1")).Result);
            Assert.Equal("permerror", (await Eval(path, "voids.example.org", "192.0.2.9")).Result);
            Assert.Equal("none", (await Eval(path, "none.example.org", "192.0.2.9")).Result);
            var syntax = await Eval(path, "syntax.example.org", "192.0.2.9");
            Assert.Equal("permerror", syntax.Result);
            Assert.Contains("position 15", syntax.Explanation);
            Assert.Equal("permerror", (await Eval(path, "manymx.example.org", "192.0.2.9")).Result);
            Assert.Equal("softfail", (await Eval(path, "redirect.example.org", "192.0.2.9")).Result);
        }

        [Fact]
        public async Task Evaluation_timeout_is_temperror_naming_the_query()
        {
            _server.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var dns = new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromMilliseconds(300), 0));
            var e = await SpfEvaluator.EvaluateAsync(dns, IPAddress.Parse("203.0.113.1"), "slowinc.example.org", "", null, null, CancellationToken.None);
            Assert.Equal("temperror", e.Result.Result);
            Assert.Contains("slow.example.org TXT", e.Result.Explanation);
            Assert.Contains("timed out", e.Result.Explanation);
            Assert.Contains(e.Unanswered, q => q.Name == "slow.example.org");
        }

        [Fact]
        public async Task Evaluation_over_the_time_limit_is_temperror()
        {
            var options = new SpfEvaluationOptions { MaxElapsed = TimeSpan.Zero };
            var e = await SpfEvaluator.EvaluateAsync(Dns("zonefile"), IPAddress.Parse("192.0.2.200"), "good.example.org", "", null, options, CancellationToken.None);
            Assert.Equal("temperror", e.Result.Result);
            Assert.Contains("longer than 0 seconds", e.Result.Explanation);
        }

        [Fact]
        public async Task Cancellation_stops_the_evaluation()
        {
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                SpfEvaluator.EvaluateAsync(Dns("wire"), IPAddress.Parse("192.0.2.200"), "good.example.org", "", null, null, cts.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SpfAudit.RunAsync(Dns("wire"), "good.example.org", cts.Token));
        }

        [Fact]
        public async Task A_hostile_wide_tree_is_followed_only_so_far()
        {
            // 8 includes, each of 8 distinct includes: 72 includes in all.
            using var wide = FixtureDnsServer.Start();
            var text = new System.Text.StringBuilder("wide.example. 60 IN SOA ns.wide.example. h.wide.example. 1 1 1 1 60\n");
            text.Append("wide.example. 60 IN TXT \"v=spf1 ").Append(string.Join(" ", Enumerable.Range(0, 8).Select(i => $"include:l{i}.wide.example"))).Append(" -all\"\n");
            for (int i = 0; i < 8; i++)
            {
                text.Append($"l{i}.wide.example. 60 IN TXT \"v=spf1 ").Append(string.Join(" ", Enumerable.Range(0, 8).Select(j => $"include:l{i}-{j}.wide.example"))).Append(" -all\"\n");
                for (int j = 0; j < 8; j++) text.Append($"l{i}-{j}.wide.example. 60 IN TXT \"v=spf1 ip4:192.0.2.{i * 8 + j} -all\"\n");
            }
            wide.LoadMasterFile(text.ToString());
            var o = await SpfAudit.RunAsync(new CachingDnsResolver(new WireDnsResolver(new[] { wide.EndPoint }, TimeSpan.FromSeconds(2), 0)), "wide.example", CancellationToken.None);
            Assert.Equal(2 + 40, wide.TotalQueries);                      // TXT + type 99 of the domain, then 40 includes followed
            // Siblings are asked together: the 8 top-level includes are all followed, then 32 of their 64 children.
            Assert.Equal(72, o.Result.LookupCount);
            Assert.Equal(0, o.Result.Terms.Count(t => t.Note != null && t.Note.StartsWith("not followed")));
            Assert.Equal(32, o.Result.Terms.SelectMany(t => t.Children).Count(t => t.Note != null && t.Note.StartsWith("not followed")));
            Assert.Contains("needs at least 72", Assert.Single(o.Result.Findings, f => f.Code == "TooManyLookups").Message);
        }

        /// <summary>A long record as master-file character-strings of at most 250 characters.</summary>
        private static string Strings(string record) =>
            string.Join(" ", Enumerable.Range(0, (record.Length + 249) / 250).Select(i => "\"" + record.Substring(i * 250, Math.Min(250, record.Length - i * 250)) + "\""));

        private static async Task<(CheckOutcome<SpfAuditResult> Outcome, FixtureDnsServer Server)> AuditHostile(string zone, string domain, int timeoutMs = 2000)
        {
            var server = FixtureDnsServer.Start();
            server.LoadMasterFile(zone);
            var o = await SpfAudit.RunAsync(new CachingDnsResolver(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromMilliseconds(timeoutMs), 0)),
                domain, CancellationToken.None);
            return (o, server);
        }

        [Fact]
        public async Task Many_lookup_terms_across_includes_are_listed_but_the_questions_asked_are_bounded()
        {
            // 20 includes of 40 a:/mx:/exists: terms each: 2,400 questions if every term were asked.
            var text = new System.Text.StringBuilder("many.example. 60 IN TXT ")
                .Append(Strings("v=spf1 " + string.Join(" ", Enumerable.Range(0, 20).Select(i => $"include:i{i}.many.example")) + " -all")).Append('\n');
            for (int i = 0; i < 20; i++)
                text.Append($"i{i}.many.example. 60 IN TXT ")
                    .Append(Strings("v=spf1 " + string.Join(" ", Enumerable.Range(0, 40).Select(j => (j % 3) switch { 0 => $"a:h{j}.i{i}.many.example", 1 => $"mx:h{j}.i{i}.many.example", _ => $"exists:h{j}.i{i}.many.example" })) + " -all"))
                    .Append('\n');
            var (o, server) = await AuditHostile(text.ToString(), "many.example");
            using (server)
            {
                Assert.InRange(server.TotalQueries, 2, 2 + 100);
                Assert.Equal(20, o.Result.Terms.Count(t => t.Kind == "include"));
                Assert.Equal(20 + 20 * 40, o.Result.LookupCount);    // every term is still counted
                var incomplete = Assert.Single(o.Result.Findings, f => f.Code == "AuditIncomplete");
                Assert.Contains("100 DNS questions", incomplete.Message);
                Assert.Contains(o.Result.Terms.SelectMany(t => t.Children), c => c.Note != null && c.Note.StartsWith("not looked up"));
            }
        }

        [Fact]
        public async Task Slow_terms_are_asked_concurrently_and_the_audit_stops_asking_when_servers_do_not_answer()
        {
            var text = "slow.example. 60 IN TXT " + Strings("v=spf1 " + string.Join(" ", Enumerable.Range(0, 100).Select(i => $"a:h{i}.slow.example")) + " -all") + "\n";
            using var server = FixtureDnsServer.Start();
            server.LoadMasterFile(text);
            for (int i = 0; i < 100; i++) server.SetFault($"h{i}.slow.example", FixtureDnsServer.Fault.Timeout);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var o = await SpfAudit.RunAsync(new CachingDnsResolver(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromMilliseconds(500), 0)),
                "slow.example", CancellationToken.None);
            sw.Stop();
            // 100 terms one after another would take 100 x 0.5 s; 8 at a time and at most ~10 unanswered: a few rounds.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(6), $"took {sw.Elapsed}");
            Assert.Equal(100, o.Result.Terms.Count(t => t.Kind == "a"));
            Assert.Contains("went unanswered", Assert.Single(o.Result.Findings, f => f.Code == "AuditIncomplete").Message);
            Assert.True(server.TotalQueries <= 2 + 2 * (10 + 8), $"{server.TotalQueries} questions");
        }

        [Fact]
        public async Task Ctrl_C_stops_an_audit_waiting_on_slow_terms_within_a_second()
        {
            var text = "slow.example. 60 IN TXT " + Strings("v=spf1 " + string.Join(" ", Enumerable.Range(0, 50).Select(i => $"a:h{i}.slow.example")) + " -all") + "\n";
            using var server = FixtureDnsServer.Start();
            server.LoadMasterFile(text);
            for (int i = 0; i < 50; i++) server.SetFault($"h{i}.slow.example", FixtureDnsServer.Fault.Timeout);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                SpfAudit.RunAsync(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(30), 0), "slow.example", cts.Token));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.3), $"took {sw.Elapsed}");
        }
    }
}
