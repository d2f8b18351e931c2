using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Smtp
{
    /// <summary>Test-Port25Egress's engine against loopback listeners standing in for a remote MX: a banner, a silent accept,
    /// a refused port, a foreign banner, a foreign certificate. Names resolve through the fixture DNS server to 127.0.0.1.</summary>
    public sealed class Port25EgressTests : IDisposable
    {
        private readonly FixtureDnsServer _dns;
        private readonly List<ScriptedMailServer> _servers = new();

        public Port25EgressTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
        }

        public void Dispose()
        {
            _dns.Dispose();
            foreach (var s in _servers) s.Dispose();
        }

        private IDnsResolver Dns => new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromMilliseconds(800), 0);

        private ScriptedMailServer Serve(string? banner, X509Certificate2? cert = null)
        {
            var s = new ScriptedMailServer { Banner = banner, Certificate = cert };
            _servers.Add(s);
            return s.Start();
        }

        private Task<Port25EgressTarget> Probe(int port, params int[] control) =>
            Port25Egress.ProbeAsync(Dns, EgressTarget.Parse($"mx.good.smtp.test:{port}"),
                new EgressOptions { Timeout = TimeSpan.FromMilliseconds(800), ControlPorts = control }, CancellationToken.None);

        [Fact]
        public async Task Banner_from_the_target_is_open()
        {
            var r = await Probe(Serve("220 mx.good.smtp.test ESMTP").Port);
            Assert.Equal("Open", r.Verdict);
            Assert.Equal("Banner", r.SmtpResult);
            Assert.Equal("mx.good.smtp.test", r.BannerHostName);
            Assert.Equal("127.0.0.1", r.Address);
            Assert.Equal("NotTried", r.ControlResult);
        }

        [Fact]
        public async Task Foreign_banner_is_intercepted()
        {
            var r = await Probe(Serve("220 smtp-proxy.isp.example ESMTP filter").Port);
            Assert.Equal("Intercepted", r.Verdict);
            Assert.Contains("smtp-proxy.isp.example", r.Detail);
        }

        [Fact]
        public async Task Foreign_certificate_behind_the_right_banner_is_intercepted()
        {
            var proxyCert = TestCertificates.CreateLeaf(null, new[] { "av-proxy.isp.example" });
            var r = await Probe(Serve("220 mx.good.smtp.test ESMTP", proxyCert).Port);
            Assert.Equal("Intercepted", r.Verdict);
            Assert.Contains("av-proxy.isp.example", r.Detail);
        }

        [Fact]
        public async Task Own_certificate_stays_open()
        {
            var cert = TestCertificates.CreateLeaf(null, new[] { "mx.good.smtp.test" });
            var r = await Probe(Serve("220 mx.good.smtp.test ESMTP", cert).Port);
            Assert.Equal("Open", r.Verdict);
        }

        [Fact]
        public async Task Silent_accept_with_a_working_control_port_is_blocked()
        {
            var silent = Serve(null);
            var control = Serve("HTTP/1.1 400");
            var r = await Probe(silent.Port, control.Port);
            Assert.Equal("NoBanner", r.SmtpResult);
            Assert.Equal("Blocked", r.Verdict);
            Assert.Equal(control.Port, r.ControlPort);
            Assert.Equal("Connected", r.ControlResult);
        }

        [Fact]
        public async Task Refused_port_with_a_working_control_port_is_blocked()
        {
            var control = Serve(null);
            var r = await Probe(ScriptedMailServer.ClosedPort(), ScriptedMailServer.ClosedPort(), control.Port);
            Assert.Equal("Refused", r.SmtpResult);
            Assert.Equal("Blocked", r.Verdict);
            Assert.Equal(control.Port, r.ControlPort);
        }

        [Fact]
        public async Task Refused_everywhere_is_unreachable()
        {
            var r = await Probe(ScriptedMailServer.ClosedPort(), ScriptedMailServer.ClosedPort());
            Assert.Equal("Unreachable", r.Verdict);
            Assert.Equal("Refused", r.ControlResult);
        }

        [Fact]
        public async Task Summary_verdicts_and_remedies()
        {
            var open = await Probe(Serve("220 mx.good.smtp.test ESMTP").Port);
            var blocked = await Probe(ScriptedMailServer.ClosedPort(), Serve(null).Port);
            var down = await Probe(ScriptedMailServer.ClosedPort(), ScriptedMailServer.ClosedPort());
            var intercepted = await Probe(Serve("220 proxy.isp.example ESMTP").Port);

            var s1 = new Port25EgressResult(new[] { open, down }, 1);
            Assert.Equal("Open", s1.Verdict);
            Assert.Null(s1.Remedy);
            var s2 = new Port25EgressResult(new[] { blocked, down }, 1);
            Assert.Equal("Blocked", s2.Verdict);
            Assert.Contains("unblock", s2.Remedy);
            Assert.Contains("587", s2.Remedy);
            Assert.Equal(1, s2.BlockedCount);
            Assert.Equal(1, s2.UnreachableCount);
            var s3 = new Port25EgressResult(new[] { open, intercepted }, 1);
            Assert.Equal("Intercepted", s3.Verdict);
            Assert.Contains("smarthost", s3.Remedy);
            Assert.Equal("Unreachable", new Port25EgressResult(new[] { down }, 1).Verdict);
        }

        [Fact]
        public async Task Default_targets_are_the_providers_mx_hosts_resolved_now()
        {
            _dns.LoadMasterFile(@"gmail.com. 300 IN MX 5 gmail-smtp-in.l.google.com.
gmail.com. 300 IN MX 10 alt1.gmail-smtp-in.l.google.com.
outlook.com. 300 IN MX 5 outlook-com.olc.protection.outlook.com.");
            _dns.SetFault("yahoo.com", FixtureDnsServer.Fault.ServFail);
            var unanswered = new List<DnsQueryResult>();
            var targets = await Port25Egress.DefaultTargetsAsync(Dns, unanswered, CancellationToken.None);
            Assert.Equal(new[] { "gmail-smtp-in.l.google.com", "outlook-com.olc.protection.outlook.com" }, targets.Select(t => t.HostName));
            Assert.Contains("google.com", targets[0].ExpectedDomains);
            Assert.Equal("gmail.com", targets[0].Provider);
            Assert.Equal("yahoo.com", Assert.Single(unanswered).Name);
        }

        [Theory]
        [InlineData("mx.example.com", "mx.example.com", 25)]
        [InlineData("127.0.0.1:2525", "127.0.0.1", 2525)]
        [InlineData("[::1]:2525", "::1", 2525)]
        public void Targets_parse(string text, string host, int port)
        {
            var t = EgressTarget.Parse(text);
            Assert.Equal(host, t.HostName);
            Assert.Equal(port, t.Port);
        }

        [Fact]
        public void Bad_targets_do_not_parse()
        {
            Assert.Throws<FormatException>(() => EgressTarget.Parse("host:99999"));
            Assert.Throws<FormatException>(() => EgressTarget.Parse("bad..name"));
        }
    }
}
