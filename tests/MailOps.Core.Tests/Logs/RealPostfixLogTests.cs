using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using MailOps.Logs;
using MailOps.Testing;

namespace MailOps.Tests.Logs
{
    /// <summary>One run of <see cref="PostfixDeliveryScenario"/> (a real Postfix relaying to loopback sinks; about 10 s)
    /// shared by the tests below; null when Postfix or pflogsumm is missing (the tests then skip, saying what to install).</summary>
    public sealed class PostfixLogFixture : IDisposable
    {
        public PostfixLogFixture()
        {
            if (PostfixDeliveryScenario.Unavailable() == null) Scenario = new PostfixDeliveryScenario();
        }

        public PostfixDeliveryScenario? Scenario { get; }

        public void Dispose() => Scenario?.Dispose();
    }

    [CollectionDefinition("PostfixLog")]
    public sealed class PostfixLogCollection : ICollectionFixture<PostfixLogFixture> { }

    /// <summary>Get-MailDeliveryLog's reader on a log written by a real Postfix 3.7 (Debian package) relaying to scripted
    /// loopback sinks that accept, greylist (451 once), defer until the message expires (421 [TSS04] banner) and reject
    /// (550 5.7.606 at RCPT, multi-line 550-5.7.26 after DATA), with totals checked against pflogsumm on the same file.</summary>
    [Collection("PostfixLog")]
    public sealed class RealPostfixLogTests
    {
        private readonly PostfixDeliveryScenario _s;

        public RealPostfixLogTests(PostfixLogFixture f) => _s = f.Scenario!;

        private List<MailDeliveryRecord> Read() => new PostfixLogReader().ReadFile(_s.LogPath).ToList();

        private string RelayOf(string domain) => $"127.0.0.1[127.0.0.1]:{_s.Ports[domain]}";

        [PostfixLogFact]
        public void Accepted_recipients_are_sent_records_joined_with_the_submission()
        {
            var r = Read();
            foreach (var to in new[] { "a@accept.test", "b@accept.test" })
            {
                var x = Assert.Single(r, x => x.To == to);
                Assert.Equal("sent", x.Status);
                Assert.Equal("2.0.0", x.Dsn);
                Assert.Equal("smtp", x.Process);
                Assert.Equal(RelayOf("accept.test"), x.Relay);
                Assert.Equal("127.0.0.1", x.RelayHost);
                Assert.Equal("127.0.0.1", x.RelayIP);
                Assert.Equal(_s.Ports["accept.test"], x.RelayPort);
                Assert.Equal("250 2.0.0 Ok: queued as SINK", x.Reply);
                Assert.Equal("<order-1@accept.test>", x.MessageId);
                Assert.Equal(PostfixDeliveryScenario.Sender, x.From);
                Assert.Equal("localhost[127.0.0.1]", x.Client);
                Assert.Equal(2, x.Recipients);
                Assert.True(x.Size > 0);
                Assert.True(x.Delay >= 0);
                Assert.Null(x.Reason);
                Assert.False(x.HardBounce);
            }
            // The mixed message: one recipient sent, the other bounced, same queue id.
            var g = Assert.Single(r, x => x.To == "g@accept.test");
            var f = Assert.Single(r, x => x.To == "f@gmail.test");
            Assert.Equal(g.QueueId, f.QueueId);
            Assert.Equal(("sent", "bounced"), (g.Status, f.Status));
        }

        [PostfixLogFact]
        public void A_greylisted_recipient_is_deferred_then_sent_and_the_deferral_is_no_hard_bounce()
        {
            var d = Read().Where(x => x.To == "d@greylist.test").ToList();
            Assert.Equal(new[] { "deferred", "sent" }, d.Select(x => x.Status));
            var deferral = d[0];
            Assert.Equal("4.7.1", deferral.Dsn);
            Assert.Equal(RelayOf("greylist.test"), deferral.Relay);
            Assert.Equal($"host 127.0.0.1[127.0.0.1] said: {PostfixDeliveryScenario.GreylistReply("d@greylist.test")} (in reply to RCPT TO command)", deferral.Reply);
            // Postfix will try again: a 4xx deferral never proves the address bad, whatever its wording.
            Assert.False(deferral.HardBounce);
            Assert.Equal(d[0].QueueId, d[1].QueueId);
            Assert.True(d[1].Delay > d[0].Delay);
        }

        [PostfixLogFact]
        public void A_recipient_deferred_by_421_until_the_queue_lifetime_ends_is_expired_with_its_last_reply()
        {
            var c = Read().Where(x => x.To == "c@yahoo.test").ToList();
            Assert.True(c.Count >= 2, string.Join("\n", c));
            Assert.All(c.Take(c.Count - 1), x =>
            {
                Assert.Equal("deferred", x.Status);
                Assert.Equal("4.7.0", x.Dsn);
                Assert.Equal($"host 127.0.0.1[127.0.0.1] refused to talk to me: {PostfixDeliveryScenario.YahooBanner}", x.Reply);
                Assert.Equal("badreputation", x.Reason);
                Assert.Equal("Yahoo/AOL", x.Provider);
                Assert.False(x.HardBounce);
            });
            var expired = c[^1];
            Assert.Equal("expired", expired.Status);
            Assert.Equal("qmgr", expired.Process);
            Assert.Equal("4.7.0", expired.Dsn);
            Assert.Equal(RelayOf("yahoo.test"), expired.Relay);
            Assert.Equal(c[^2].Reply, expired.Reply);
            Assert.Equal("badreputation", expired.Reason);
            Assert.Equal("Yahoo/AOL", expired.Provider);
            Assert.Equal("<order-3@accept.test>", expired.MessageId);
            Assert.True(expired.Time >= c[^2].Time);
        }

        [PostfixLogFact]
        public void Provider_rejections_are_bounced_with_the_full_reply_reason_and_provider()
        {
            var r = Read();
            var e = Assert.Single(r, x => x.To == "e@outlook.test");
            Assert.Equal("bounced", e.Status);
            Assert.Equal("5.7.606", e.Dsn);
            Assert.Equal(RelayOf("outlook.test"), e.Relay);
            Assert.Equal($"host 127.0.0.1[127.0.0.1] said: {PostfixDeliveryScenario.MicrosoftReject} (in reply to RCPT TO command)", e.Reply);
            Assert.Equal("blocked", e.Reason);
            Assert.Equal("Microsoft", e.Provider);

            // Postfix joins a multi-line reply with spaces; the reader keeps it whole and the classifier reads it.
            var f = Assert.Single(r, x => x.To == "f@gmail.test");
            Assert.Equal("bounced", f.Status);
            Assert.Equal("5.7.26", f.Dsn);
            Assert.Equal($"host 127.0.0.1[127.0.0.1] said: {string.Join(" ", PostfixDeliveryScenario.GmailDmarcReject)} (in reply to end of DATA command)", f.Reply);
            Assert.Equal("authfailure", f.Reason);
            Assert.Equal("Gmail", f.Provider);
            Assert.Equal(2, f.Recipients);
        }

        [PostfixLogFact]
        public void Non_delivery_notifications_to_the_sender_are_sent_records_from_the_null_sender()
        {
            var ndr = Read().Where(x => x.To == PostfixDeliveryScenario.Sender).ToList();
            // One per bounced message (outlook, gmail) and one for the expiry.
            Assert.Equal(3, ndr.Count);
            Assert.All(ndr, x =>
            {
                Assert.Equal("sent", x.Status);
                Assert.Equal("", x.From);
                Assert.Null(x.Client);
                Assert.Matches(@"^<\d{14}\.[0-9A-F]+@mail\.test>$", x.MessageId);
            });
            // Every message the accept.test sink took is in the log as sent there.
            Assert.Equal(_s.AcceptedBySinks, Read().Where(x => x.Status == "sent" && x.RelayPort == _s.Ports["accept.test"]).Select(x => x.QueueId).Distinct().Count());
        }

        [PostfixLogFact]
        public void Postfixs_own_bounce_notices_read_by_the_bounce_reader_agree_with_the_log()
        {
            // The notifications Postfix sent back to the sender (caught by the accept.test sink), read as Import-MailBounce
            // reads them: the same failed recipients, status, reason and provider as Get-MailDeliveryLog gives for the log.
            var failed = Read().Where(x => x.Status == "bounced" || x.Status == "expired").OrderBy(x => x.To, StringComparer.Ordinal).ToList();
            Assert.Equal(new[] { "c@yahoo.test", "e@outlook.test", "f@gmail.test" }, failed.Select(x => x.To));
            Assert.True(_s.NoticePaths.Count == 3, $"{_s.NoticePaths.Count} notices among {_s.AcceptedBySinks} messages the sender's sink took");
            var notices = _s.NoticePaths.SelectMany(p => MailOps.Bounces.BounceReader.ReadFile(p, null, default))
                .Select(o => Assert.IsType<MailOps.Bounces.BounceRecord>(o)).OrderBy(n => n.Recipient, StringComparer.Ordinal).ToList();
            Assert.Equal(failed.Select(x => x.To), notices.Select(n => n.Recipient));
            for (int i = 0; i < failed.Count; i++)
            {
                var (log, notice) = (failed[i], notices[i]);
                Assert.Equal("Bounce", notice.Kind);
                Assert.Equal("failed", notice.Action);
                Assert.Equal(log.Dsn, notice.Status);
                Assert.Equal(log.Reason, notice.Reason);
                Assert.Equal(log.Provider, notice.Provider);
                Assert.Equal(log.HardBounce, notice.HardBounce);
                Assert.Equal(log.MessageId, notice.OriginalMessageId);
                Assert.Equal(PostfixDeliveryScenario.Sender, notice.Sender);
            }
        }

        [PostfixLogFact]
        public void Totals_agree_with_pflogsumm_on_the_real_log()
        {
            var report = _s.PflogsummReport();
            int Total(string label) => int.Parse(Regex.Match(report, @"^\s*(\d+)\s+" + label + @"\b", RegexOptions.Multiline).Groups[1].Value);
            var deferralsMatch = Regex.Match(report, @"^\s*(\d+)\s+deferred\s+\((\d+)\s+deferrals\)", RegexOptions.Multiline);
            var r = Read();
            Assert.Equal(Total("delivered"), r.Count(x => x.Status == "sent"));
            Assert.Equal(Total("bounced"), r.Count(x => x.Status == "bounced"));
            Assert.Equal(int.Parse(deferralsMatch.Groups[2].Value), r.Count(x => x.Status == "deferred"));
            Assert.Equal(int.Parse(deferralsMatch.Groups[1].Value), r.Where(x => x.Status == "deferred").Select(x => x.QueueId).Distinct().Count());
            Assert.Equal(Total("received"), r.Where(x => x.Client != null).Select(x => x.QueueId).Distinct().Count());
            // pflogsumm counts the expiry as neither bounced nor delivered; the reader reports it once, as expired.
            Assert.Equal(1, r.Count(x => x.Status == "expired"));
            Assert.Equal(7, Total("delivered"));
            Assert.Equal(2, Total("bounced"));
            Assert.Equal(5, Total("received"));
        }
    }
}
