#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.MtaSts;
using MailOps.Smtp;
using MailOps.Testing;

namespace MailOps.Tests.Transport
{
    /// <summary>SMTP and HTTPS peers that drip one byte at a time, send a line that never ends, or a body that never ends:
    /// each probe ends within its deadline (a deadline for the whole step, not per read) or a size limit, with a clear error.</summary>
    public sealed class HostilePeerTests : IDisposable
    {
        private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("MailOps Hostile Test CA");
        private static readonly X509Certificate2 PolicyCert = TestCertificates.CreateLeaf(Ca, new[] { "mta-sts.hostile.test" });
        private static readonly TimeSpan Drip = TimeSpan.FromMilliseconds(100);
        private readonly List<HostilePeer> _peers = new();

        public void Dispose()
        {
            foreach (var p in _peers) p.Dispose();
        }

        private HostilePeer Peer(Func<HostilePeer, System.IO.Stream, CancellationToken, Task> script, X509Certificate2? cert = null)
        {
            HostilePeer? peer = null;
            peer = new HostilePeer((s, ct) => script(peer!, s, ct), cert);
            _peers.Add(peer);
            return peer;
        }

        private static MailServiceOptions Smtp(int timeoutMs, TimeSpan? sessionLimit = null) => new()
        {
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
            SessionLimit = sessionLimit,
            Resolve = (h, ct) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { IPAddress.Loopback }),
        };

        private static MtaStsOptions Https(int port, int timeoutMs) => new()
        {
            Port = port,
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
            TrustedCertificates = new[] { Ca },
        };

        private static Task<PolicyResponse> Fetch(MtaStsOptions options) =>
            PolicyFetcher.FetchAsync("mta-sts.hostile.test", new[] { IPAddress.Loopback }, options, CancellationToken.None);

        [Fact]
        public async Task Smtp_greeting_dripped_one_byte_at_a_time_ends_at_the_deadline()
        {
            var peer = Peer((p, s, ct) => p.Drip(s, "220 mail.test ESMTP", Drip, ct));
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() => MailServiceCheck.RunAsync("mail.test", peer.Port, Smtp(1500), CancellationToken.None));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 4);
            Assert.Equal(MailConnectionFailure.NoBanner, ex.Failure);
            Assert.Contains("bytes of a greeting line", ex.Message);
            Assert.InRange(peer.BytesSent, 5, 40); // the reads got bytes all along: a per-read timeout would never have fired
        }

        [Fact]
        public async Task Smtp_greeting_line_without_end_stops_at_the_line_limit()
        {
            var peer = Peer((p, s, ct) => p.Flood(s, "220 ", ct));
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() => MailServiceCheck.RunAsync("mail.test", peer.Port, Smtp(10000), CancellationToken.None));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Equal(MailConnectionFailure.NetworkError, ex.Failure);
            Assert.Contains("does not speak SMTP", ex.Message);
            Assert.Contains("longer than 8192 bytes", ex.Message);
        }

        [Fact]
        public async Task Smtp_multiline_greeting_that_never_ends_is_bounded_by_the_step_deadline()
        {
            // Each line is complete, so no line limit applies; the reply as a whole has one deadline.
            var peer = Peer(async (p, s, ct) =>
            {
                while (true)
                {
                    await p.Send(s, "220-still greeting\r\n", ct);
                    await Task.Delay(TimeSpan.FromMilliseconds(150), ct);
                }
            });
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() => MailServiceCheck.RunAsync("mail.test", peer.Port, Smtp(1500), CancellationToken.None));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 4);
            Assert.Equal(MailConnectionFailure.NoBanner, ex.Failure);
        }

        [Fact]
        public async Task Smtp_session_limit_bounds_the_whole_conversation()
        {
            using var slow = new ScriptedMailServer { BannerDelay = TimeSpan.FromSeconds(3) }.Start();
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<MailConnectionException>(() =>
                MailServiceCheck.RunAsync("mail.test", slow.Port, Smtp(10000, TimeSpan.FromMilliseconds(700)), CancellationToken.None));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
            Assert.Equal(MailConnectionFailure.NoBanner, ex.Failure);
        }

        [Fact]
        public async Task Https_status_line_dripped_one_byte_at_a_time_times_out_at_the_deadline()
        {
            var peer = Peer(async (p, s, ct) =>
            {
                await HostilePeer.ReadHeaders(s, ct);
                await p.Drip(s, "HTTP/1.1 200 OK", Drip, ct);
            }, PolicyCert);
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Fetch(Https(peer.Port, 1500)));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 4);
            Assert.Equal(PolicyFetchFailure.Timeout, ex.Failure);
            Assert.Contains("while reading the response", ex.Message);
            Assert.True(peer.BytesSent >= 5);
        }

        [Fact]
        public async Task Https_header_line_without_end_is_an_invalid_response()
        {
            var peer = Peer(async (p, s, ct) =>
            {
                await HostilePeer.ReadHeaders(s, ct);
                await p.Flood(s, "HTTP/1.1 200 OK\r\nX-Endless: ", ct);
            }, PolicyCert);
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Fetch(Https(peer.Port, 10000)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Equal(PolicyFetchFailure.InvalidResponse, ex.Failure);
            Assert.Contains("never ends", ex.Message);
        }

        [Fact]
        public async Task Https_body_without_end_stops_at_the_size_limit()
        {
            var peer = Peer(async (p, s, ct) =>
            {
                await HostilePeer.ReadHeaders(s, ct);
                await p.Flood(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n", ct);
            }, PolicyCert);
            var clock = Stopwatch.StartNew();
            var response = await Fetch(Https(peer.Port, 10000));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.True(response.TooLarge);
            Assert.Null(response.Body);
        }

        [Fact]
        public async Task Https_body_dripped_one_byte_at_a_time_times_out_at_the_deadline()
        {
            var peer = Peer(async (p, s, ct) =>
            {
                await HostilePeer.ReadHeaders(s, ct);
                await p.Send(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", ct);
                await p.Drip(s, "version: STSv1\n", Drip, ct);
            }, PolicyCert);
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<PolicyFetchException>(() => Fetch(Https(peer.Port, 1500)));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 4);
            Assert.Equal(PolicyFetchFailure.Timeout, ex.Failure);
        }

        [Fact]
        public async Task Https_certificate_is_judged_by_the_injected_clock()
        {
            var peer = Peer(async (p, s, ct) =>
            {
                await HostilePeer.ReadHeaders(s, ct);
                await p.Send(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n", ct);
            }, PolicyCert);
            var now = Https(peer.Port, 5000);
            Assert.Empty((await Fetch(now)).CertificateProblems);
            var later = Https(peer.Port, 5000);
            later.UtcNow = () => DateTime.UtcNow.AddDays(200);
            var response = await Fetch(later);
            Assert.Contains(response.CertificateProblems, p => p.Code == "PolicyCertificateExpired");
            Assert.Null(response.StatusCode); // a rejected certificate: no request was sent
        }
    }
}
