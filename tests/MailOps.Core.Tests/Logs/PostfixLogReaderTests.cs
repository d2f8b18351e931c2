using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using MailOps.Logs;
using MailOps.Testing;

namespace MailOps.Tests.Logs
{
    /// <summary>Get-MailDeliveryLog's engine: joining by queue id, year inference, the three line formats, gzip, expiry,
    /// bounded state, and totals against pflogsumm on the same log.</summary>
    public sealed class PostfixLogReaderTests : IDisposable
    {
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-log-" + Guid.NewGuid().ToString("N"));
        private static string Log => Paths.Fixture("maillog", "mail.log");
        private static readonly DateTimeOffset Reference = new(2027, 1, 10, 12, 0, 0, TimeSpan.Zero);

        public PostfixLogReaderTests() => Directory.CreateDirectory(_tmp);

        public void Dispose() { try { Directory.Delete(_tmp, true); } catch (IOException) { } }

        private static List<MailDeliveryRecord> Read(string path, MailLogFormat format = MailLogFormat.Auto) =>
            new PostfixLogReader(new MailLogReadOptions { YearReference = Reference, Format = format }).ReadFile(path).ToList();

        [Fact]
        public void Lines_are_joined_by_queue_id_into_one_classified_record_per_recipient_attempt()
        {
            var r = Read(Log);
            Assert.Equal(new[] { "sent", "bounced", "deferred", "bounced", "sent", "deferred", "expired", "bounced" }, r.Select(x => x.Status));
            var dave = r[1];
            Assert.Equal("3F2A1C0B12", dave.QueueId);
            Assert.Equal("<order-1@example.com>", dave.MessageId);
            Assert.Equal("shop@example.com", dave.From);
            Assert.Equal("dave@outlook.com", dave.To);
            Assert.Equal("outlook-com.olc.protection.outlook.com", dave.RelayHost);
            Assert.Equal("192.0.2.31", dave.RelayIP);
            Assert.Equal(25, dave.RelayPort);
            Assert.Equal("5.7.1", dave.Dsn);
            Assert.Equal("blocked", dave.Reason);
            Assert.Equal("Microsoft", dave.Provider);
            Assert.Equal("Microsoft S3140", dave.Blocklist);
            Assert.Equal(1.4, dave.Delay);
            Assert.Equal(0.64, dave.DelayTransmit);
            Assert.Equal("app.example.com[192.0.2.50]", dave.Client);
            Assert.Null(r[0].Reason);
            Assert.Equal("badreputation", r[2].Reason);
            Assert.Equal("Yahoo/AOL", r[2].Provider);
            Assert.Equal("userunknown", r[3].Reason);
            Assert.True(r[3].HardBounce);
            Assert.Equal("hostunknown", r[7].Reason);
        }

        [Fact]
        public void A_deferred_message_that_expires_gives_an_expired_record_per_recipient_still_deferred_with_its_last_reply()
        {
            var expired = Assert.Single(Read(Log), x => x.Status == "expired");
            Assert.Equal("erin@yahoo.com", expired.To);
            Assert.Equal("news@example.com", expired.From);
            Assert.Contains("TSS04", expired.Reply);
            Assert.Equal(new DateTimeOffset(2027, 1, 6, 0, 0, 6, TimeSpan.Zero), expired.Time);
        }

        [Fact]
        public void Syslog_years_are_inferred_across_New_Year()
        {
            var r = Read(Log);
            Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 58, 2, TimeSpan.Zero), r[0].Time);
            Assert.Equal(2027, r[2].Time!.Value.Year);
        }

        [Fact]
        public void Gzip_rotations_RFC_5424_and_journalctl_JSON_give_the_same_records()
        {
            var plain = Read(Log).Select(x => $"{x.QueueId} {x.To} {x.Status} {x.Reason}").ToList();
            var gz = Path.Combine(_tmp, "mail.log.2.gz");
            using (var o = File.Create(gz))
            using (var z = new GZipStream(o, CompressionLevel.Fastest))
            {
                var b = File.ReadAllBytes(Log);
                z.Write(b, 0, b.Length);
            }
            Assert.Equal(plain, Read(gz).Select(x => $"{x.QueueId} {x.To} {x.Status} {x.Reason}"));

            var rx = new Regex(@"^(\w{3}) +(\d+) (\S+) (\S+) ([^\[:]+)\[(\d+)\]: (.*)$");
            string Iso(Match m) => DateTime.ParseExact($"{m.Groups[1].Value} {m.Groups[2].Value} {(m.Groups[1].Value == "Dec" ? 2026 : 2027)} {m.Groups[3].Value}", "MMM d yyyy HH:mm:ss",
                System.Globalization.CultureInfo.InvariantCulture).ToString("yyyy-MM-ddTHH:mm:ss.ffffff") + "+00:00";
            var lines = File.ReadAllLines(Log).Select(l => rx.Match(l)).Where(m => m.Success).ToList();
            var rfc5424 = Path.Combine(_tmp, "iso.log");
            File.WriteAllLines(rfc5424, lines.Select(m => $"{Iso(m)} {m.Groups[4].Value} {m.Groups[5].Value}[{m.Groups[6].Value}]: {m.Groups[7].Value}"));
            Assert.Equal(plain, Read(rfc5424).Select(x => $"{x.QueueId} {x.To} {x.Status} {x.Reason}"));

            var json = Path.Combine(_tmp, "journal.json");
            File.WriteAllLines(json, lines.Select(m =>
            {
                var us = DateTimeOffset.Parse(Iso(m)).ToUnixTimeMilliseconds() * 1000;
                var msg = m.Groups[7].Value.Replace("\\", "\\\\").Replace("\"", "\\\"");
                return $"{{\"__REALTIME_TIMESTAMP\":\"{us}\",\"_HOSTNAME\":\"{m.Groups[4].Value}\",\"SYSLOG_IDENTIFIER\":\"{m.Groups[5].Value}\",\"_PID\":\"{m.Groups[6].Value}\",\"MESSAGE\":\"{msg}\"}}";
            }));
            var fromJson = Read(json, MailLogFormat.JournalJson);
            Assert.Equal(plain, fromJson.Select(x => $"{x.QueueId} {x.To} {x.Status} {x.Reason}"));
            Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 58, 2, TimeSpan.Zero), fromJson[0].Time);
        }

        [Fact]
        public void Since_and_Until_filter_and_state_is_bounded()
        {
            var reader = new PostfixLogReader(new MailLogReadOptions { YearReference = Reference, Since = new DateTimeOffset(2027, 1, 6, 9, 0, 0, TimeSpan.Zero) });
            var r = reader.ReadFile(Log).ToList();
            Assert.Equal("hal@example.com.invalid", Assert.Single(r).To);

            var bounded = new PostfixLogReader(new MailLogReadOptions { YearReference = Reference, MaxOpenQueueIds = 100 });
            for (int i = 0; i < 10_000; i++)
                foreach (var _ in bounded.ReadLine($"Jan  1 00:00:05 mx1 postfix/cleanup[1]: {i:X10}: message-id=<m{i}@example.com>")) { }
            Assert.Equal(100, bounded.OpenQueueIds);
            var all = new PostfixLogReader(new MailLogReadOptions { YearReference = Reference });
            all.ReadFile(Log).ToList();
            Assert.Equal(0, all.OpenQueueIds);
            Assert.Equal(1, all.Skipped); // the dovecot line
        }

        private string Gzip(string name, byte[] data)
        {
            var path = Path.Combine(_tmp, name);
            using (var o = File.Create(path))
            using (var z = new GZipStream(o, CompressionLevel.Optimal))
                z.Write(data, 0, data.Length);
            return path;
        }

        [Fact]
        public void A_gzip_rotation_cut_short_gives_the_records_before_the_cut_then_an_error()
        {
            // Enough lines that the deflate data spans several blocks (a cut can fall inside the data or the trailer).
            var text = new StringBuilder();
            for (int i = 0; i < 3000; i++)
                text.Append($"Nov 29 00:36:06 mail postfix/smtp[28876]: {i + 0x100000:X}: to=<u{i}@example.org>, relay=mx.example.org[192.0.2.10]:25, delay=0.2, delays=0.01/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {i})\n");
            var data = Encoding.UTF8.GetBytes(text.ToString());
            var whole = Gzip("mail.log.1.gz", data);
            Assert.Equal(3000, Read(whole).Count);
            var bytes = File.ReadAllBytes(whole);
            foreach (var keep in new[] { bytes.Length - 4, bytes.Length - 8, bytes.Length / 2, 12 })
            {
                var cut = Path.Combine(_tmp, $"cut-{keep}.gz");
                File.WriteAllBytes(cut, bytes.Take(keep).ToArray());
                var got = new List<MailDeliveryRecord>();
                var ex = Assert.Throws<InvalidDataException>(() => { foreach (var r in new PostfixLogReader().ReadFile(cut)) got.Add(r); });
                Assert.Contains(cut, ex.Message);
                Assert.Contains("cut short", ex.Message);
                Assert.True(got.Count < 3000 || keep >= bytes.Length - 8, $"{keep}: {got.Count}");
                Assert.Equal(got.Select(r => r.To), Enumerable.Range(0, got.Count).Select(i => $"u{i}@example.org"));
            }
            // A file of two gzip members (cat a.gz b.gz) reads whole, without an error.
            var second = File.ReadAllBytes(Gzip("b.gz", Encoding.UTF8.GetBytes(text.ToString().Replace("@example.org", "@example.net"))));
            var two = Path.Combine(_tmp, "two.gz");
            File.WriteAllBytes(two, bytes.Concat(second).ToArray());
            Assert.Equal(6000, Read(two).Count);
        }

        [Fact]
        public void A_deferral_is_never_a_hard_bounce_even_when_its_wording_names_the_recipient()
        {
            // Written by Postfix 3.7 (RealPostfixLogTests): postgrey's 451 says "Recipient address rejected", but it is
            // greylisting: Postfix retries a 4xx and the retry was delivered.
            var reader = new PostfixLogReader(new MailLogReadOptions { YearReference = Reference });
            var deferred = reader.ReadLine("Nov 29 00:36:06 mail postfix/smtp[28879]: 5809FB24092: to=<d@greylist.test>, relay=127.0.0.1[127.0.0.1]:35293, delay=0.3, delays=0.02/0.1/0.06/0.11, dsn=4.7.1, status=deferred (host 127.0.0.1[127.0.0.1] said: 451 4.7.1 <d@greylist.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/greylist.test.html (in reply to RCPT TO command))").Single();
            Assert.Equal("deferred", deferred.Status);
            Assert.Equal("greylisted", deferred.Reason);
            Assert.False(deferred.HardBounce);
            // The same wording as a final 5xx answer is a hard bounce.
            var bounced = reader.ReadLine("Nov 29 00:36:07 mail postfix/smtp[28879]: 5809FB24093: to=<x@greylist.test>, relay=127.0.0.1[127.0.0.1]:35293, delay=0.3, delays=0.02/0.1/0.06/0.11, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <x@greylist.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))").Single();
            Assert.Equal("userunknown", bounced.Reason);
            Assert.True(bounced.HardBounce);
        }

        [Fact]
        public void Totals_agree_with_pflogsumm_on_the_same_log()
        {
            if (!File.Exists("/usr/sbin/pflogsumm")) { Assert.Fail("pflogsumm is not installed (Debian package pflogsumm; .ci/run installs it)."); }
            var psi = new ProcessStartInfo("/usr/sbin/pflogsumm", $"\"{Log}\"") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(30000);
            int Total(string label) => int.Parse(Regex.Match(output, @"^\s*(\d+)\s+" + label, RegexOptions.Multiline).Groups[1].Value);
            int Deferrals() => int.Parse(Regex.Match(output, @"deferred\s+\((\d+)\s+deferrals\)").Groups[1].Value);
            var r = Read(Log);
            Assert.Equal(Total("delivered"), r.Count(x => x.Status == "sent"));
            Assert.Equal(Total("bounced"), r.Count(x => x.Status == "bounced"));
            Assert.Equal(Deferrals(), r.Count(x => x.Status == "deferred"));
        }
    }
}
