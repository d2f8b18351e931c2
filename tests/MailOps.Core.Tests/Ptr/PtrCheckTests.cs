using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Ptr;
using MailOps.Testing;
using MailOps.Tests.Dnsbl;

namespace MailOps.Tests.Ptr
{
    /// <summary>Test-MailPtr's engine (FCrDNS, HELO, generic names) through the fixture server and through zone files.</summary>
    public sealed class PtrCheckTests : IDisposable
    {
        private static readonly string[] Files = { "ptr-reverse.zone", "ptr-reverse6.zone", "ptr-forward.example.org.zone" };
        private readonly DnsblFixture _f = new();

        public void Dispose() => _f.Dispose();

        public static IEnumerable<object[]> Paths2 => DnsblFixture.Paths2;

        private async Task<MailPtrResult> Check(string path, string ip, string? helo = null)
        {
            var r = await PtrCheck.RunAsync(_f.Dns(path, true, Files), IPAddress.Parse(ip), helo, CancellationToken.None);
            Assert.Empty(r.Unanswered);
            return r.Result;
        }

        private static string[] Codes(MailPtrResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Theory, MemberData(nameof(Paths2))]
        public async Task Forward_confirmed_ptr_matching_helo_passes(string path)
        {
            var r = await Check(path, "198.51.100.10", "Mail.Example.org.");
            Assert.Equal(new[] { "mail.example.org" }, r.PtrName);
            Assert.True(r.ForwardConfirmed);
            Assert.Equal("mail.example.org", r.ConfirmedName);
            Assert.True(r.HeloMatches);
            Assert.Empty(r.Findings);
            Assert.Equal("Pass", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ipv6_ptr_is_confirmed_with_aaaa(string path)
        {
            var r = await Check(path, "2001:db8:ab::10");
            Assert.Equal(new[] { "mail6.example.org" }, r.PtrName);
            Assert.True(r.ForwardConfirmed);
            Assert.Equal(new[] { "2001:db8:ab::10" }, r.ForwardAddresses);
            Assert.Equal("Pass", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task No_ptr_fails_and_the_remedy_names_the_ip_owner(string path)
        {
            var r = await Check(path, "198.51.100.11", "mail.example.org");
            Assert.Empty(r.PtrName);
            Assert.False(r.ForwardConfirmed);
            Assert.Equal(new[] { "NoPtr", "HeloMismatch" }, Codes(r));
            Assert.Equal("Fail", r.Status);
            var remedy = r.Findings[0].Remedy;
            Assert.Contains("11.100.51.198.in-addr.arpa", remedy);
            Assert.Contains("provider", remedy);
            Assert.Contains("not in your domain's DNS zone", remedy);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Several_ptrs_warn(string path)
        {
            var r = await Check(path, "198.51.100.12");
            Assert.Equal(new[] { "mx1.example.org", "mx2.example.org" }, r.PtrName.OrderBy(x => x));
            Assert.True(r.ForwardConfirmed);
            Assert.Equal("mx1.example.org", r.ConfirmedName);
            Assert.Equal(new[] { "MultiplePtr" }, Codes(r));
            Assert.Equal("Warning", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ptr_resolving_elsewhere_is_not_forward_confirmed(string path)
        {
            var r = await Check(path, "198.51.100.13");
            Assert.False(r.ForwardConfirmed);
            Assert.Equal(new[] { "PtrNotForwardConfirmed" }, Codes(r));
            Assert.Contains("resolves to 198.51.100.99", r.Findings[0].Message);
            Assert.Contains("notconfirmed.example.org. A 198.51.100.13", r.Findings[0].Remedy);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Ptr_naming_a_missing_host_is_not_forward_confirmed(string path)
        {
            var r = await Check(path, "198.51.100.16");
            Assert.False(r.ForwardConfirmed);
            Assert.Equal(new[] { "PtrNotForwardConfirmed" }, Codes(r));
            Assert.Contains("ghost.example.org does not exist", r.Findings[0].Message);
        }

        [Theory]
        [InlineData("wire", "198.51.100.14", "digits")]
        [InlineData("wire", "198.51.100.15", "'dsl'")]
        [InlineData("zonefile", "198.51.100.14", "digits")]
        [InlineData("zonefile", "198.51.100.15", "'dsl'")]
        public async Task Generic_or_dynamic_ptr_warns(string path, string ip, string why)
        {
            var r = await Check(path, ip);
            Assert.True(r.ForwardConfirmed);
            Assert.Equal(new[] { "GenericPtr" }, Codes(r));
            Assert.Contains(why, r.Findings[0].Message);
            Assert.Equal("Warning", r.Status);
        }

        [Theory, MemberData(nameof(Paths2))]
        public async Task Helo_other_than_the_ptr_warns(string path)
        {
            var r = await Check(path, "198.51.100.10", "other.example.org");
            Assert.False(r.HeloMatches);
            Assert.Equal(new[] { "HeloMismatch" }, Codes(r));
            Assert.Contains("mail.example.org", r.Findings[0].Message);
            Assert.Contains("smtp_helo_name", r.Findings[0].Remedy);
        }

        [Fact]
        public async Task Ptr_timeout_throws_never_no_ptr()
        {
            var dns = _f.Dns("wire", true, Files);
            _f.Server!.SetFault("17.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var ex = await Assert.ThrowsAsync<DnsQueryFailedException>(() => PtrCheck.RunAsync(dns, IPAddress.Parse("198.51.100.17"), null, CancellationToken.None));
            Assert.Equal(DnsOutcome.Timeout, ex.Result.Outcome);
            Assert.Equal(DnsRecordType.PTR, ex.Result.Type);
        }

        [Fact]
        public async Task Forward_timeout_leaves_confirmation_unknown_not_failed()
        {
            var dns = _f.Dns("wire", true, Files);
            _f.Server!.SetFault("slow.example.org", FixtureDnsServer.Fault.Timeout);
            var r = await PtrCheck.RunAsync(dns, IPAddress.Parse("198.51.100.18"), null, CancellationToken.None);
            Assert.Single(r.Unanswered);
            Assert.Null(r.Result.ForwardConfirmed);
            Assert.DoesNotContain(r.Result.Findings, f => f.Code == "PtrNotForwardConfirmed");
        }

        [Theory]
        [InlineData("192.0.2.10", "mail.example.com", null)]
        [InlineData("192.0.2.10", "mail.dslreports.example", null)]            // 'dsl' inside a word is not a token
        [InlineData("192.0.2.10", "mail10.example.com", null)]
        [InlineData("192.0.2.10", "192-0-2-10.example.net", "digits")]
        [InlineData("192.0.2.10", "10.2.0.192.in-addr.example.net", "digits")]
        [InlineData("192.0.2.10", "ip-192-0-2-10.eu-west.compute.example", "digits")]
        [InlineData("192.0.2.10", "c000020a.static.example.net", "encoded")]
        [InlineData("192.0.2.10", "host-10.dhcp.example.net", "'dhcp'")]
        [InlineData("192.0.2.10", "ppp-42.example.net", "'ppp'")]
        [InlineData("192.0.2.10", "cable123.example.net", "'cable'")]
        [InlineData("192.0.2.10", "pool-192-0-2-10.example.net", "'pool'")]
        [InlineData("2001:db8::1:2:3", "2001-db8--1-2-3.dyn.example.net", "'dyn'")]
        [InlineData("2001:db8::1:2:3", "2001-db8-0-0-0-1-2-3.example.net", "digits")]
        [InlineData("2001:db8::1:2:3", "mail.example.com", null)]
        public void Generic_name_detection(string ip, string name, string? why)
        {
            var reason = PtrCheck.GenericReason(IPAddress.Parse(ip), name);
            if (why == null) Assert.Null(reason);
            else Assert.Contains(why, reason);
        }
    }
}
