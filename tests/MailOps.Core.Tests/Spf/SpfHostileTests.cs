using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;
using ArRecordType = ARSoft.Tools.Net.Dns.RecordType;

namespace MailOps.Tests.Spf
{
    /// <summary>SPF records built to hurt: control bytes, ten thousand terms, loops, huge macro expansions.</summary>
    public sealed class SpfHostileTests : IDisposable
    {
        private readonly FixtureDnsServer _server = FixtureDnsServer.Start();

        public SpfHostileTests() => _server.LoadMasterFile("example. 300 IN SOA ns.example. h.example. 1 1 1 1 60\n");

        public void Dispose() => _server.Dispose();

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(3), 0));

        private void Publish(string name, string record)
        {
            var bytes = Encoding.UTF8.GetBytes(record);
            _server.AddRawText(name, ArRecordType.Txt, 300, Enumerable.Range(0, (bytes.Length + 254) / 255).Select(i => bytes.Skip(i * 255).Take(255).ToArray()));
        }

        [Fact]
        public async Task Nul_and_escape_bytes_stay_in_the_record_and_never_reach_the_display()
        {
            Publish("ctl.example", "v=spf1 ip4:192.0.2.1\0 \u001b]0;owned\u0007 \u001b[2J -all");
            var o = await SpfAudit.RunAsync(Dns(), "ctl.example", CancellationToken.None);
            var r = o.Result;
            Assert.Contains("\0", r.Record);                  // the value as published
            Assert.Contains("\u001b", r.Record);
            Assert.Equal("Fail", r.Status);                   // a syntax error
            foreach (var shown in new[] { r.ToString(), r.ToTreeString(), r.Findings.ToString(), r.Terms.ToString() }
                         .Concat(r.Findings.Select(f => f.Message + f.Remedy + f.Subject)))
                Assert.False(TextSafety.HasControlCharacters(shown?.Replace("\n", "")), shown);
        }

        [Fact]
        public void Escape_writes_control_characters_as_visible_escapes()
        {
            Assert.Equal("a\\x00b\\x1B[31mc\\x07\\x9B\\u202E", TextSafety.Escape("a\0b\u001b[31mc\u0007\u009b\u202e"));
            Assert.Equal("plain text, é and \\ kept", TextSafety.Escape("plain text, é and \\ kept"));
            Assert.Null(TextSafety.Escape(null));
        }

        [Fact]
        public async Task Ten_thousand_terms_are_audited_in_bounded_time()
        {
            Publish("wide.example", "v=spf1 " + string.Concat(Enumerable.Repeat("z=1 ", 10000)) + "-all");
            var sw = Stopwatch.StartNew();
            var o = await SpfAudit.RunAsync(Dns(), "wide.example", CancellationToken.None);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
            Assert.Equal(10001, o.Result.Terms.Count);
            Assert.Contains(o.Result.Findings, f => f.Code == "RecordTooLongForUdp");
            Assert.InRange(_server.TotalQueries, 2, 4);       // TXT (UDP, then TCP) and type 99 of the domain; modifiers ask nothing
        }

        [Fact]
        public async Task Redirect_loops_are_a_finding_and_a_permerror()
        {
            Publish("r1.example", "v=spf1 redirect=r2.example");
            Publish("r2.example", "v=spf1 redirect=r1.example");
            var o = await SpfAudit.RunAsync(Dns(), "r1.example", CancellationToken.None);
            Assert.Contains(o.Result.Findings, f => f.Code == "RedirectLoop");
            var e = await SpfEvaluator.EvaluateAsync(Dns(), IPAddress.Parse("192.0.2.1"), "r1.example", "", null, null, CancellationToken.None);
            Assert.Equal("permerror", e.Result.Result);
            Assert.True(_server.TotalQueries < 40, $"{_server.TotalQueries} questions");
        }

        [Fact]
        public async Task Include_loops_are_a_finding_and_a_permerror()
        {
            Publish("i1.example", "v=spf1 include:i2.example -all");
            Publish("i2.example", "v=spf1 include:i1.example -all");
            var o = await SpfAudit.RunAsync(Dns(), "i1.example", CancellationToken.None);
            Assert.Contains(o.Result.Findings, f => f.Code == "IncludeLoop");
            var e = await SpfEvaluator.EvaluateAsync(Dns(), IPAddress.Parse("192.0.2.1"), "i1.example", "", null, null, CancellationToken.None);
            Assert.Equal("permerror", e.Result.Result);
        }

        [Fact]
        public void A_macro_expansion_far_past_253_characters_is_cut_from_the_left_in_one_pass()
        {
            var expanded = string.Concat(Enumerable.Repeat("abcdefghi.", 200_000)) + "example";   // 2 MB
            var sw = Stopwatch.StartNew();
            var name = SpfMacro.ToQueryName(expanded);
            // One pass takes milliseconds; cutting label by label (quadratic in 2 MB) takes minutes.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
            Assert.NotNull(name);
            Assert.True(name!.Length <= 253);
            Assert.EndsWith(".abcdefghi.example", name);
            Assert.StartsWith("abcdefghi.", name);
            Assert.Null(SpfMacro.ToQueryName(new string('a', 300) + ".example"));   // no label boundary leaves a name
        }

        [Fact]
        public async Task Macro_heavy_record_expands_to_a_valid_name_and_evaluates()
        {
            Publish("mac.example", "v=spf1 exists:" + string.Concat(Enumerable.Repeat("%{i}.", 200)) + "%{d} -all");
            _server.LoadMasterFile("*.mac.example. 300 IN A 127.0.0.2\n");
            var e = await SpfEvaluator.EvaluateAsync(Dns(), IPAddress.Parse("192.0.2.1"), "mac.example", "", null, null, CancellationToken.None);
            Assert.Equal("pass", e.Result.Result);
        }
    }
}
