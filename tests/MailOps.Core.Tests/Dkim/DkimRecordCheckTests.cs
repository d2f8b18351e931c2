using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dkim
{
    /// <summary>Test-MailDkim's engine, through the fixture DNS server and through -ZoneFile, on the same fixtures.</summary>
    public sealed class DkimRecordCheckTests : IDisposable
    {
        internal static readonly string[] Zones = { "dkim.example.zone", "football.example.com.zone" };
        private readonly FixtureDnsServer _server;

        public DkimRecordCheckTests()
        {
            _server = FixtureDnsServer.Start();
            foreach (var z in Zones) _server.LoadMasterFileFromPath(Paths.DnsFixture(z));
        }

        public void Dispose() => _server.Dispose();

        public static IEnumerable<object[]> Paths2 => new[] { new object[] { "wire" }, new object[] { "zonefile" } };

        internal static IDnsResolver Resolver(string path, FixtureDnsServer server) => path == "wire"
            ? new CachingDnsResolver(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(3), 0))
            : new CachingDnsResolver(new ZoneFileResolver(Zones.Select(z => MasterFileParser.ParseFile(Paths.DnsFixture(z))),
                new WireDnsResolver(new[] { IPEndPoint.Parse(Paths.DeadServer) }, TimeSpan.FromMilliseconds(300), 0)));

        private Task<MailDkimRecord> Check(string path, string selector, string? privateKey = null, string domain = "dkim.example") =>
            DkimRecordCheck.RunAsync(Resolver(path, _server), domain, selector, privateKey == null ? null : Paths.Fixture("dkim", privateKey), CancellationToken.None);

        private static string[] Codes(MailDkimRecord r) => r.Findings.Select(f => f.Code).ToArray();

        [Theory, MemberData(nameof(Paths2))]
        public async Task Good_record_is_parsed_tag_by_tag_and_passes(string path)
        {
            var r = await Check(path, "good");
            Assert.True(r.Found);
            Assert.Equal("good._domainkey.dkim.example", r.DnsName);
            Assert.Equal("DKIM1", r.Version);
            Assert.Equal("rsa", r.KeyType);
            Assert.Equal(2048, r.KeySize);
            Assert.Equal(new[] { "sha256" }, r.HashAlgorithms);
            Assert.Empty(r.Flags);
            Assert.False(r.Testing);
            Assert.StartsWith("MIIBIjANBg", r.PublicKey);
            Assert.Equal("Pass", r.Status);
            Assert.Empty(r.Findings);
            Assert.Null(r.PrivateKeyMatches);
        }

        [Theory]
        [InlineData("weak", "DkimKeyWeak", "Warning")]
        [InlineData("tiny", "DkimKeyTooShort", "Fail")]
        [InlineData("revoked", "DkimKeyRevoked", "Fail")]
        [InlineData("unknown", "DkimUnknownKeyType", "Fail")]
        [InlineData("sha1", "DkimSha1Only", "Fail")]
        [InlineData("testing", "DkimTestingMode", "Warning")]
        [InlineData("nokey", "DkimSyntaxError", "Fail")]
        [InlineData("badver", "DkimSyntaxError", "Fail")]
        [InlineData("twice", "MultipleDkimRecords", "Fail")]
        public async Task Broken_records_give_the_finding_and_status(string selector, string code, string status)
        {
            foreach (var path in new[] { "wire", "zonefile" })
            {
                var r = await Check(path, selector);
                Assert.True(r.Found, path);
                Assert.Contains(code, Codes(r));
                Assert.Equal(status, r.Status);
                var f = r.Findings.First(x => x.Code == code);
                Assert.False(string.IsNullOrEmpty(f.Remedy));
            }
        }

        [Fact]
        public async Task Key_sizes_and_flags_are_reported()
        {
            Assert.Equal(1024, (await Check("wire", "weak")).KeySize);
            Assert.Equal(512, (await Check("wire", "tiny")).KeySize);
            var testing = await Check("wire", "testing");
            Assert.True(testing.Testing);
            Assert.Equal(new[] { "y" }, testing.Flags);
            var revoked = await Check("wire", "revoked");
            Assert.Equal("", revoked.PublicKey);
            Assert.Null(revoked.KeySize);
            Assert.Contains("first tag", (await Check("wire", "badver")).Findings[0].Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ed25519_record_is_256_bits_with_an_info_note(string path)
        {
            var r = await Check(path, "ed");
            Assert.Equal("ed25519", r.KeyType);
            Assert.Equal(256, r.KeySize);
            Assert.Equal("Pass", r.Status);
            Assert.Equal(new[] { "DkimEd25519Only" }, Codes(r));
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Missing_selector_and_non_dkim_txt_are_no_record_not_errors(string path)
        {
            var missing = await Check(path, "nosuch");
            Assert.False(missing.Found);
            Assert.Equal(new[] { "NoDkimRecord" }, Codes(missing));
            Assert.Contains("NXDOMAIN", missing.Findings[0].Message);
            Assert.Equal("Fail", missing.Status);

            var other = await Check(path, "verify");
            Assert.False(other.Found);
            Assert.Contains("not a DKIM key record", other.Findings[0].Message);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Cnamed_selector_is_noted_with_its_target(string path)
        {
            var r = await Check(path, "alias");
            Assert.True(r.Found);
            Assert.Equal("alias.dkim.provider.dkim.example", r.CnameTarget);
            Assert.Contains("DkimSelectorIsCname", Codes(r));
            Assert.Equal("Pass", r.Status);
        }

        [Theory]
        [InlineData("good", "good.private", "dkim.example", true)]
        [InlineData("good", "other.private", "dkim.example", false)]
        [InlineData("ed", "ed.private", "dkim.example", true)]
        [InlineData("good", "ed.private", "dkim.example", false)]
        [InlineData("brisbane", "rfc8463-brisbane.seed", "football.example.com", true)]
        public async Task Private_key_is_compared_with_the_published_key(string selector, string key, string domain, bool match)
        {
            var r = await Check("zonefile", selector, key, domain);
            Assert.Equal(match, r.PrivateKeyMatches);
            Assert.Contains(match ? "DkimPrivateKeyMatches" : "DkimPrivateKeyMismatch", Codes(r));
            Assert.Equal(match ? "Pass" : "Fail", r.Status);
            Assert.EndsWith(key, r.PrivateKeyPath);
        }

        [Fact]
        public async Task Timeout_is_an_exception_never_no_record()
        {
            _server.SetFault("good._domainkey.dkim.example", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => Check("wire", "good"));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
        }

        [Theory]
        [InlineData("mail", null)]
        [InlineData("s1.2026", null)]
        [InlineData("", "empty")]
        [InlineData("a/b", "character")]
        [InlineData("a..b", "empty label")]
        public void Selector_syntax(string selector, string? problem)
        {
            var r = DkimRecordCheck.ValidateSelector(selector);
            if (problem == null) Assert.Null(r);
            else Assert.Contains(problem, r);
        }
    }

    /// <summary>Find-DkimSelector's engine.</summary>
    public sealed class DkimSelectorSearchTests : IDisposable
    {
        private readonly FixtureDnsServer _server;

        public DkimSelectorSearchTests()
        {
            _server = FixtureDnsServer.Start();
            _server.LoadMasterFileFromPath(Paths.DnsFixture("dkim.example.zone"));
        }

        public void Dispose() => _server.Dispose();

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(3), 0));

        [Fact]
        public void Built_in_list_is_data_with_sources_and_covers_the_big_providers()
        {
            var list = DkimSelectorSearch.BuiltIn;
            Assert.True(list.Count >= 20);
            Assert.Contains(list, s => s.Selector == "google" && (s.Provider ?? "").Contains("Google Workspace"));
            Assert.Contains(list, s => s.Selector == "selector1" && (s.Provider ?? "").Contains("Microsoft 365"));
            Assert.Contains(list, s => s.Selector == "selector2" && (s.Provider ?? "").Contains("Microsoft 365"));
            Assert.Contains(list, s => s.Selector == "dkim" && (s.Provider ?? "").Contains("Mailcow"));
            Assert.All(list, s => Assert.False(string.IsNullOrWhiteSpace(s.Source), s.Selector + " has no source"));
            Assert.Equal(list.Count, list.Select(s => s.Selector).Distinct().Count());
        }

        [Fact]
        public async Task Finds_published_selectors_among_builtin_and_extra_ones_in_parallel()
        {
            var progress = new List<CheckProgress>();
            var candidates = DkimSelectorSearch.Candidates(new[] { "custom2026", "google" });
            var search = await DkimSelectorSearch.RunAsync(Dns(), "dkim.example", candidates, 4,
                CheckSink.From(progress: p => { lock (progress) progress.Add(p); }), CancellationToken.None);
            var found = search.Found;
            Assert.Empty(search.Failed);
            // In candidate order: the built-in list (google before selector1), then the extra selector.
            Assert.Equal(new[] { "google", "selector1", "custom2026" }, found.Select(f => f.Selector));
            Assert.Equal("-Selector", found.Single(f => f.Selector == "custom2026").Source);
            Assert.Contains("Google Workspace", found.Single(f => f.Selector == "google").Source);
            Assert.Equal("alias.dkim.provider.dkim.example", found.Single(f => f.Selector == "selector1").CnameTarget);
            Assert.Equal(Enumerable.Range(1, candidates.Count), progress.Select(p => p.Done).OrderBy(d => d));
            Assert.All(progress, p => Assert.Equal(candidates.Count, p.Total));
            Assert.Equal(DkimSelectorSearch.BuiltIn.Count + 1, candidates.Count); // "google" is not probed twice
        }

        [Fact]
        public async Task A_wildcard_under_domainkey_is_flagged()
        {
            _server.LoadMasterFile("*._domainkey.wild.example. 3600 IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"\n");
            var search = await DkimSelectorSearch.RunAsync(Dns(), "wild.example", DkimSelectorSearch.Candidates(new[] { "x1" }, includeBuiltIn: false), 2,
                null, CancellationToken.None);
            Assert.Empty(search.Failed);
            var r = Assert.Single(search.Found);
            Assert.Contains(r.Findings, f => f.Code == "DkimWildcardRecord");
        }

        [Fact]
        public async Task Unanswered_selectors_are_reported_as_failures_not_as_absent()
        {
            _server.SetFault("google._domainkey.dkim.example", FixtureDnsServer.Fault.ServFail);
            var search = await DkimSelectorSearch.RunAsync(Dns(), "dkim.example", DkimSelectorSearch.Candidates(null), 8, null, CancellationToken.None);
            Assert.Equal(new[] { "google:ServerFailure" }, search.Failed.Select(f => f.Candidate.Selector + ":" + f.Error.Result.Outcome));
            Assert.Equal(new[] { "selector1" }, search.Found.Select(r => r.Selector));
        }
    }
}
