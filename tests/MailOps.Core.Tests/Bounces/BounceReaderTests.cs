using System.IO;
using System.Linq;
using System.Text;
using MailOps.Bounces;
using MimeKit;

namespace MailOps.Tests.Bounces
{
    /// <summary>The bounce reader on synthetic reports in the shapes real MTAs send (not copies of corpus files): which
    /// recipient failed, with which status, and what the text around it says about the SMTP stage.</summary>
    public sealed class BounceReaderTests
    {
        private static BounceRecord[] Read(string raw)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(raw.Replace("\r\n", "\n").Replace("\n", "\r\n")));
            return BounceReader.ReadMessage(MimeMessage.Load(stream), "test.eml").ToArray();
        }

        private const string Head = "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>\nTo: sender@example.org\nDate: Tue, 03 Mar 2026 10:00:00 +0000\n";

        [Fact]
        public void A_Sendmail_transcript_that_refused_DATA_makes_a_user_unknown_a_filter_refusal()
        {
            var r = Read(Head + "Subject: Returned mail: see transcript for details\n\n" +
                "   ----- The following addresses had permanent fatal errors -----\n<rcpt@example.net>\n" +
                "    (reason: 550 5.0.0 <rcpt@example.net>... User unknown)\n\n" +
                "   ----- Transcript of session follows -----\n... while talking to mx.example.net.:\n>>> DATA\n" +
                "<<< 550 5.0.0 <rcpt@example.net>... User unknown\n").Single();
            Assert.Equal("rcpt@example.net", r.Recipient);
            Assert.Equal("5.0.0", r.Status);
            Assert.Equal("filtered", r.Reason);
            Assert.False(r.HardBounce);
        }

        [Fact]
        public void A_quoted_original_after_original_mail_as_follows_is_not_read_as_the_reason()
        {
            // fml's loop guard: the notice, then the original message quoted with indented headers. The TLS words in the
            // quoted Received lines once made this a securityerror.
            var r = Read("From: list-admin@lists.example.org\nTo: list-admin@lists.example.org\nDate: Tue, 03 Mar 2026 10:00:00 +0000\n" +
                "Subject: Loop Alert: Duplicated Message-ID (cats ML)\nX-MLServer: fml [fml 4.0.3 release]\n\n" +
                "Duplicated Message-ID in <cats@lists.example.org>.\nOriginal mail as follows:\n\n" +
                "   Return-Path: <owner-cats@lists.example.org>\n   Received: from mx.example.net (mx.example.net [192.0.2.22])\n" +
                "   \t(using TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits))\n   \t(No client certificate requested)\n" +
                "   \tby lists.example.org (Postfix) with ESMTPS id 4ABCD; Tue, 03 Mar 2026 09:59:00 +0000\n" +
                "   From: someone@example.net\n   To: cats@lists.example.org\n   Subject: hello\n   Message-ID: <1@example.net>\n\n   hello\n").Single();
            Assert.Equal("cats@lists.example.org", r.Recipient);
            Assert.DoesNotContain("TLS", r.Diagnostic);
            Assert.Equal("systemerror", r.Reason);
            Assert.Equal("5.0.930", r.Status);
        }

        [Fact]
        public void A_Postfix_report_with_no_delivery_report_is_undefined_not_a_guess_from_its_boilerplate()
        {
            var r = Read("From: MAILER-DAEMON@relay.example.org (Mail Delivery System)\nTo: sender@example.org\nDate: Tue, 03 Mar 2026 10:00:00 +0000\n" +
                "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
                "--b\nContent-Description: Notification\nContent-Type: text/plain; charset=utf-8\n\nThis is the mail system at host relay.example.org.\n\n" +
                "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n" +
                "                   The mail system\n\n\t--- Delivery report unavailable ---\n\n" +
                "--b\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n" +
                "X-Postfix-Queue-ID: B1C79423C925\nArrival-Date: Tue, 03 Mar 2026 09:00:00 +0000\n\n" +
                "--b\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\nFrom: <sender@example.org>\nTo: someone@example.net\n" +
                "Subject: hello\nMessage-Id: <1@example.org>\n\nhello\n--b--\n").Single();
            Assert.Equal("someone@example.net", r.Recipient);
            Assert.Equal("undefined", r.Reason);
            Assert.Equal("5.0.900", r.Status);
        }

        [Fact]
        public void A_Japanese_Domino_diagnostic_in_ISO_2022_JP_is_decoded_and_read_as_an_unknown_user()
        {
            // Domino's Japanese "User Neko (...) is not found in the Domino directory", as its DSN field carries it: 7-bit
            // ISO-2022-JP escape sequences in a message/delivery-status part that declares no charset.
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            var jis = Encoding.GetEncoding("iso-2022-jp").GetBytes("ユーザー Neko (neko@example.co.jp) は Domino ディレクトリには見つかりません。");
            var field = Encoding.ASCII.GetString(jis);
            Assert.Contains("\u001b$B", field);
            var r = Read(Head + "Subject: DELIVERY FAILURE\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
                "--b\nContent-Type: text/plain; charset=ISO-2022-JP\n\nYour message was not delivered to:\n  neko@example.co.jp\nbecause:\n  " + field + "\n\n" +
                "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mx.example.co.jp\n\nFinal-Recipient: rfc822;neko@example.co.jp\n" +
                "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Notes; " + field + "\n\n--b--\n").Single();
            Assert.Equal("neko@example.co.jp", r.Recipient);
            Assert.Contains("ディレクトリには見つかりません", r.Diagnostic);
            Assert.DoesNotContain((char)27, r.Diagnostic!); // the char overload: a string one compares culturally and ignores ESC
            Assert.Equal("userunknown", r.Reason);
            Assert.Equal("5.0.0", r.Status);
        }

        [Fact]
        public void A_Sendmail_summary_line_takes_the_remote_reply_quoted_above_it_in_the_transcript()
        {
            // Sendmail 5: the transcript quotes the remote's reply (<<<), then sums up per recipient in its own words.
            var records = Read(Head + "Subject: Returned mail: Deferred: Connection timed out\n\n" +
                "   ----- Transcript of session follows -----\nWhile talking to mx.example.edu:\n>>> MAIL From:<sender@example.org>\n" +
                "<<< 550 Insecure Mail Relay\n554 <rcpt@example.edu>... Remote protocol error\n" +
                "550 example.net (smtp)... 550 Host unknown\n554 <other@example.net>... 550 Host unknown (Authoritative answer from name server)\n" +
                "   ----- Unsent message follows -----\nFrom: sender@example.org\nTo: rcpt@example.edu\nSubject: hi\n\nhi\n");
            Assert.Equal(new[] { "rcpt@example.edu", "other@example.net" }, records.Select(x => x.Recipient).ToArray());
            Assert.Equal(550, records[0].ReplyCode);
            Assert.Contains("Insecure Mail Relay", records[0].Diagnostic);
            Assert.Equal("norelaying", records[0].Reason);
            // The next recipient's line has no reply of its own above it (another recipient's line comes first).
            Assert.DoesNotContain("Insecure", records[1].Diagnostic);
            Assert.Equal("hostunknown", records[1].Reason);
        }

        [Fact]
        public void The_same_transcript_refusing_RCPT_TO_is_an_unknown_user()
        {
            var r = Read(Head + "Subject: Returned mail: see transcript for details\n\n" +
                "   ----- The following addresses had permanent fatal errors -----\n<rcpt@example.net>\n" +
                "    (reason: 550 5.0.0 <rcpt@example.net>... User unknown)\n\n" +
                "   ----- Transcript of session follows -----\n... while talking to mx.example.net.:\n>>> RCPT To:<rcpt@example.net>\n" +
                "<<< 550 5.0.0 <rcpt@example.net>... User unknown\n").Single();
            Assert.Equal("userunknown", r.Reason);
            Assert.True(r.HardBounce);
        }

        [Fact]
        public void A_nested_multipart_whose_boundary_line_is_not_folded_is_still_read_and_a_size_is_not_a_reply_code()
        {
            var r = Read("From: post_master@mms.example.com\nTo: sender@example.org\nSubject: Re:Hello\nMIME-Version: 1.0\n" +
                "Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: multipart/alternative;\nboundary=\"inner\"\n\n" +
                "--inner\nContent-Type: text/plain; charset=us-ascii\n\nError: Invalid user address\n\nError message below:\n" +
                "550 - Requested action not taken: no such user here\n\nMessage details:\n  Subject: Hello\n" +
                "  MAIL FROM: sender@example.org\n  RCPT TO: nobody@mms.example.com\n  Size (in bytes): 222\n\n--inner--\n\n--outer--\n").Single();
            Assert.Equal("nobody@mms.example.com", r.Recipient);
            // "no such user" with neither an enhanced status nor the SMTP stage: sisimai's convention is "filtered" (docs/monitoring.md)
            Assert.Equal("filtered", r.Reason);
            Assert.Equal(550, r.ReplyCode);
        }

        [Fact]
        public void A_qmail_bounce_sent_back_to_the_address_that_failed_names_that_address()
        {
            var r = Read("From: MAILER-DAEMON@example.org\nTo: self@example.org\nSubject: failure notice\nDate: 1 Mar 2026 00:00:00 +0000\n\n" +
                "Hi. This is the qmail-send program at example.org.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n" +
                "This is a permanent error; I've given up. Sorry it didn't work out.\n\n<self@example.org>:\n192.0.2.1 does not like recipient.\n" +
                "Remote host said: 552 Error: disk quota exceeded\nGiving up on 192.0.2.1.\n\n--- Below this line is a copy of the message.\n").Single();
            Assert.Equal("self@example.org", r.Recipient);
            Assert.Equal("mailboxfull", r.Reason);
        }

        [Fact]
        public void Sendmail_lines_of_several_recipients_each_keep_their_own_reason()
        {
            var records = Read(Head + "Subject: Returned mail: Host unknown\n\n   ----- Transcript of session follows -----\n" +
                "554 <a@gone.example>... 550 Host unknown (Authoritative answer from name server)\n" +
                "While talking to mail.example.net:\n>>> RCPT To:<b@example.net>\n<<< 550 No such user here.\n" +
                "550 <b@example.net>... User unknown\n");
            Assert.Equal(new[] { "a@gone.example", "b@example.net" }, records.Select(x => x.Recipient).ToArray());
            Assert.Equal("hostunknown", records[0].Reason);
            Assert.Equal("userunknown", records[1].Reason);
        }

        [Fact]
        public void The_remote_servers_status_after_its_reply_code_wins_over_a_relays_summary()
        {
            var r = Read("From: MAILER-DAEMON@relay.example.org\nTo: sender@example.org\nSubject: Delivery Status Notification (Failure)\n" +
                "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n" +
                "An error occurred while trying to deliver the mail to the following recipients:\nrcpt@example.net\n\n--b\n" +
                "Content-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; rcpt@example.net\n" +
                "Action: failed\nStatus: 5.0.0 (permanent failure)\n" +
                "Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1 <rcpt@example.net>... Access denied' (delivery attempts: 0)\n\n--b--\n").Single();
            Assert.Equal("5.7.1", r.Status);
        }

        [Fact]
        public void The_diagnostic_type_of_a_DSN_reaches_the_classifier()
        {
            var r = Read(Head + "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n" +
                "--b1\nContent-Type: text/plain\n\n<rcpt@example.org>: temporary failure\n\n" +
                "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\n" +
                "Final-Recipient: rfc822; rcpt@example.org\nAction: failed\nStatus: 4.3.0\nDiagnostic-Code: x-unix; temporary failure\n\n--b1--\n").Single();
            Assert.Equal("rcpt@example.org", r.Recipient);
            Assert.Equal("4.3.0", r.Status);
            Assert.Equal("mailererror", r.Reason);
        }

        [Fact]
        public void A_gateway_notice_wrapping_a_whole_DSN_is_read_from_the_attached_report()
        {
            var r = Read(Head + "Subject: Mail delivery failed\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"w\"\n\n" +
                "--w\nContent-Type: text/plain\n\n----- The following addresses had permanent delivery errors -----\n\n" +
                "--w\nContent-Type: message/rfc822\n\nFrom: MAILER-DAEMON@inner.example.net\nTo: sender@example.org\nSubject: Returned mail: User unknown\n" +
                "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n\n" +
                "--d\nContent-Type: text/plain\n\n   ----- The following addresses had permanent delivery errors -----\nrcpt@example.net\n\n" +
                "--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; inner.example.net\n\n" +
                "Final-Recipient: RFC822; rcpt@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--d--\n\n--w--\n").Single();
            Assert.Equal("rcpt@example.net", r.Recipient);
            Assert.Equal("5.1.1", r.Status);
            Assert.Equal("userunknown", r.Reason);
            Assert.True(r.HardBounce);
        }

        private const string SesHead = "From: AWS Notifications <no-reply@sns.amazonaws.com>\nTo: ops@example.org\nDate: Tue, 03 Mar 2026 10:00:00 +0000\n" +
            "Subject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8\n\n";

        [Fact]
        public void An_Amazon_SES_bounce_notification_by_email_gives_each_bounced_recipient()
        {
            var r = Read(SesHead + "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\"," +
                "\"bouncedRecipients\":[{\"emailAddress\":\"gone@example.net\",\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}," +
                "{\"emailAddress\":\"full@example.net\",\"action\":\"failed\",\"status\":\"5.2.2\",\"diagnosticCode\":\"smtp; 552 5.2.2 Mailbox full\"}]," +
                "\"timestamp\":\"2026-03-03T10:00:00.000Z\",\"reportingMTA\":\"dsn; a1-2.smtp-out.amazonses.com\"}," +
                "\"mail\":{\"source\":\"sender@example.org\",\"destination\":[\"gone@example.net\",\"full@example.net\"]}}\n\n" +
                "--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n");
            Assert.Equal(2, r.Length);
            Assert.Equal(("gone@example.net", "5.1.1", "userunknown"), (r[0].Recipient, r[0].Status, r[0].Reason));
            Assert.Equal(("full@example.net", "5.2.2", "mailboxfull"), (r[1].Recipient, r[1].Status, r[1].Reason));
            Assert.Equal("Bounce", r[0].Kind);
        }

        [Fact]
        public void An_Amazon_SES_delivery_notification_is_reported_as_delivered()
        {
            var r = Read(SesHead + "{\"notificationType\":\"Delivery\",\"mail\":{\"source\":\"sender@example.org\",\"destination\":[\"ok@example.net\"]}," +
                "\"delivery\":{\"recipients\":[\"ok@example.net\"],\"smtpResponse\":\"250 2.6.0 Message received\",\"reportingMTA\":\"a1-2.smtp-out.amazonses.com\"}}\n").Single();
            Assert.Equal("ok@example.net", r.Recipient);
            Assert.Equal("2.6.0", r.Status);
            Assert.Equal("delivered", r.Reason);
            Assert.Equal("Delivered", r.Kind);
        }
    }
}
