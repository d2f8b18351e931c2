using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Server;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Server
{
    /// <summary>Test-MailServer -Service and -Local (engine): the services on the address through Test-SmtpService's engine and
    /// outbound port 25 through Test-Port25Egress's, against scripted loopback servers; findings merged into the server's.</summary>
    public sealed class MailServerServiceTests : IDisposable
    {
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("MailOps Server Test CA");
        private readonly List<ScriptedMailServer> _servers = new();
        private readonly FixtureDnsServer _dns;

        public MailServerServiceTests()
        {
            _dns = FixtureDnsServer.Start();
            _dns.LoadMasterFileFromPath(Paths.DnsFixture("smtp.test.zone"));
        }

        public void Dispose()
        {
            foreach (var s in _servers) s.Dispose();
            _dns.Dispose();
        }

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _dns.EndPoint }, TimeSpan.FromSeconds(2), 0));

        private int Serve(ScriptedMailServer s)
        {
            _servers.Add(s);
            return s.Start().Port;
        }

        private ScriptedMailServer Smtp(X509Certificate2? cert = null) => new()
        {
            Banner = "220 mail.test ESMTP",
            Certificate = cert ?? TestCertificates.CreateLeaf(Ca, new[] { "mail.test" }),
            Chain = new[] { Ca },
        };

        private Task<MailServerCheckOutcome> Run(Func<CancellationToken, Task<Port25EgressResult>>? egress, params (MailProtocol, int)[] services) =>
            MailServerCheck.RunAsync(Dns(), null, IPAddress.Loopback, new MailServerOptions
            {
                HeloName = "mail.test",
                Asn = false,
                Services = services,
                ServiceOptions = new MailServiceOptions { Timeout = TimeSpan.FromMilliseconds(1500), TrustedCertificates = new[] { Ca } },
                Port25Egress = egress,
            }, CancellationToken.None);

        private static string[] Codes(MailServerResult r) => r.Findings.Select(f => f.Code).ToArray();

        [Fact]
        public async Task Each_service_is_probed_on_the_address_with_the_helo_name_for_the_certificate()
        {
            var smtp = Serve(Smtp());
            var imaps = Serve(new ScriptedMailServer { Imap = true, ImplicitTls = true, Banner = "* OK IMAP ready", Certificate = TestCertificates.CreateLeaf(Ca, new[] { "mail.test" }), Chain = new[] { Ca } });
            var closed = ScriptedMailServer.ClosedPort();
            var o = await Run(null, (MailProtocol.Smtp, smtp), (MailProtocol.Submission, closed), (MailProtocol.Imaps, imaps));
            var r = o.Result;
            Assert.Equal(new[] { "SMTP", "Submission", "IMAPS" }, r.Services.Select(s => s.Protocol));
            Assert.Equal("Pass", r.Services[0].Status);
            Assert.Equal("127.0.0.1", r.Services[0].Address);
            Assert.True(r.Services[0].CertificateNameMatches);
            Assert.Equal("Unreachable", r.Services[1].Status);
            Assert.Equal("Pass", r.Services[2].Status);
            // A closed submission port on a server is information (not every server offers it), not a failure.
            Assert.Equal(FindingSeverity.Info, r.Findings.Single(f => f.Code == "ServiceNotOffered").Level);
            Assert.DoesNotContain(r.CouldNotCheck, c => c.StartsWith("Service", StringComparison.Ordinal));
            Assert.Null(r.Port25Egress);
        }

        [Fact]
        public async Task Port_25_refused_is_a_Fail_for_a_mail_server()
        {
            var o = await Run(null, (MailProtocol.Smtp, ScriptedMailServer.ClosedPort()));
            Assert.Contains("SmtpPortClosed", Codes(o.Result));
            Assert.Equal("Fail", o.Result.Status);
            Assert.Single(o.ServiceFailures);
        }

        [Fact]
        public async Task Service_findings_are_merged_no_starttls_and_an_expired_certificate()
        {
            var plain = Serve(new ScriptedMailServer { Banner = "220 mail.test ESMTP" });
            var expired = Serve(Smtp(TestCertificates.CreateLeaf(Ca, new[] { "mail.test" }, DateTimeOffset.UtcNow.AddDays(-100), DateTimeOffset.UtcNow.AddDays(-2))));
            var o = await Run(null, (MailProtocol.Smtp, plain), (MailProtocol.Submission, expired));
            Assert.Contains("NoStartTls", Codes(o.Result));
            Assert.Contains("CertificateExpired", Codes(o.Result));
            Assert.Equal("Fail", o.Result.Status);
        }

        [Fact]
        public async Task A_silent_port_25_could_not_be_checked_and_the_result_is_Incomplete()
        {
            var silent = Serve(new ScriptedMailServer { Banner = null });
            var o = await Run(null, (MailProtocol.Smtp, silent));
            Assert.Equal("Incomplete", o.Result.Status);
            Assert.Equal(MailConnectionFailure.NoBanner, Assert.Single(o.ServiceFailures).Failure);
            Assert.Contains(o.Result.CouldNotCheck, c => c.StartsWith("Service SMTP port", StringComparison.Ordinal));
            Assert.Equal("Error", o.Result.Services[0].Status);
        }

        [Fact]
        public async Task Local_attaches_the_egress_result_and_blocked_port_25_is_a_Fail()
        {
            var control = Serve(new ScriptedMailServer { Banner = null });
            var targets = new[] { EgressTarget.Parse($"mx.good.smtp.test:{ScriptedMailServer.ClosedPort()}") };
            var calls = 0;
            var once = new Lazy<Task<Port25EgressResult>>(() =>
            {
                Interlocked.Increment(ref calls);
                return Port25Egress.CheckAsync(Dns(), targets, new EgressOptions { Timeout = TimeSpan.FromMilliseconds(800), ControlPorts = new[] { control } }, 4, null, CancellationToken.None)
                    .ContinueWith(t => t.Result.Result, TaskScheduler.Default);
            });
            var a = await Run(ct => once.Value);
            var b = await Run(ct => once.Value);
            Assert.NotNull(a.Result.Port25Egress);
            Assert.Equal("Blocked", a.Result.Port25Egress.Verdict);
            Assert.Same(a.Result.Port25Egress, b.Result.Port25Egress);
            Assert.Equal(1, calls);
            Assert.Contains("Port25Blocked", Codes(a.Result));
            Assert.Equal("Fail", a.Result.Status);
        }

        [Fact]
        public async Task Egress_open_adds_no_finding_and_CheckAsync_keeps_the_targets_in_order_and_reports_failures()
        {
            var good = Serve(new ScriptedMailServer { Banner = "220 mx.good.smtp.test ESMTP" });
            var notes = new List<string>();
            var steps = new List<CheckProgress>();
            var targets = new[] { EgressTarget.Parse("nosuch.smtp.test:25"), EgressTarget.Parse($"mx.good.smtp.test:{good}") };
            var run = await Port25Egress.CheckAsync(Dns(), targets, new EgressOptions { Timeout = TimeSpan.FromMilliseconds(800), ControlPorts = new int[0] }, 2,
                CheckSink.From(verbose: m => { lock (notes) notes.Add(m); }, progress: p => { lock (steps) steps.Add(p); }), CancellationToken.None);
            var result = run.Result;
            Assert.Equal("Open", result.Verdict);
            Assert.Equal(new[] { $"mx.good.smtp.test:{good}" }, result.Targets.Select(t => t.Target));
            var failure = Assert.Single(run.Failures);
            Assert.Equal("nosuch.smtp.test", failure.Target.ToString());
            // A name with no address is no connection (NetworkError), reported as a failure, never as "Blocked".
            Assert.Equal(MailConnectionFailure.NetworkError, Assert.IsType<MailConnectionException>(failure.Error).Failure);
            Assert.Equal($"mx.good.smtp.test:{good}: Open", Assert.Single(notes).Split(" - ")[0]);
            Assert.Equal(new[] { 1, 2 }, steps.Select(p => p.Done).OrderBy(d => d));
            Assert.All(steps, p => Assert.Equal(2, p.Total));
            var o = await Run(ct => Task.FromResult(result));
            Assert.DoesNotContain(o.Result.Findings, f => f.Code.StartsWith("Port25", StringComparison.Ordinal));
        }
    }
}
