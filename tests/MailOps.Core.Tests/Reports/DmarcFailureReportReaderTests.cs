using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MailOps.Reports;
using MimeKit;
using Xunit;

namespace MailOps.Tests.Reports
{
    /// <summary>Import-DmarcFailureReport's engine: ARF auth-failure reports (RFC 5965, RFC 6591, RFC 7489 §7.3 / RFC 9991)
    /// built here after the RFCs' examples, in every container the aggregate importer reads, mixed mailboxes, hostile sizes,
    /// and parsedmarc's forensic columns.</summary>
    public sealed class DmarcFailureReportReaderTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        /// <summary>After RFC 6591 appendix B.1: a DKIM failure reported with the whole message (message/rfc822), a folded
        /// Authentication-Results field and Received-Date instead of Arrival-Date, as that example has.</summary>
        public const string Rfc6591Example =
"From: arf-daemon@example.com\r\n" +
"To: recipient@example.net\r\n" +
"Subject: This is a test\r\n" +
"Date: Wed, 14 Apr 2010 12:17:45 -0700 (PDT)\r\n" +
"MIME-Version: 1.0\r\n" +
"Content-Type: multipart/report; report-type=\"feedback-report\";\r\n" +
"    boundary=\"part1_13d.2e68ed54_boundary\"\r\n" +
"\r\n" +
"--part1_13d.2e68ed54_boundary\r\n" +
"Content-Type: text/plain; charset=\"US-ASCII\"\r\n" +
"Content-Transfer-Encoding: 7bit\r\n" +
"\r\n" +
"This is an authentication failure report for an email message received\r\n" +
"from IP 192.0.2.1 on Wed, 14 Apr 2010 12:15:31 PDT.\r\n" +
"\r\n" +
"--part1_13d.2e68ed54_boundary\r\n" +
"Content-Type: message/feedback-report\r\n" +
"\r\n" +
"Feedback-Type: auth-failure\r\n" +
"User-Agent: SomeGenerator/1.0\r\n" +
"Version: 1\r\n" +
"Original-Mail-From: <somespammer@example.net>\r\n" +
"Original-Rcpt-To: <user@example.com>\r\n" +
"Received-Date: Wed, 14 Apr 2010 12:15:31 -0700 (PDT)\r\n" +
"Source-IP: 192.0.2.1\r\n" +
"Authentication-Results: mail.example.com;\r\n" +
"               dkim=fail header.d=example.net\r\n" +
"Reported-Domain: example.net\r\n" +
"DKIM-Domain: example.net\r\n" +
"DKIM-Identity: @example.net\r\n" +
"DKIM-Selector: news\r\n" +
"\r\n" +
"--part1_13d.2e68ed54_boundary\r\n" +
"Content-Type: message/rfc822\r\n" +
"Content-Disposition: inline\r\n" +
"\r\n" +
"From: <randomuser@example.net>\r\n" +
"Received: from mailserver.example.net (mailserver.example.net\r\n" +
"        [192.0.2.1]) by example.com with ESMTP id M63d4137594e46;\r\n" +
"        Wed, 14 Apr 2010 12:15:31 -0700 (PDT)\r\n" +
"To: <Undisclosed Recipients>\r\n" +
"Subject: Earn money\r\n" +
"MIME-Version: 1.0\r\n" +
"Content-type: text/plain\r\n" +
"Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net\r\n" +
"Date: Thu, 02 Sep 2004 12:31:03 -0500\r\n" +
"\r\n" +
"Spam Spam Spam\r\n" +
"Spam Spam Spam\r\n" +
"--part1_13d.2e68ed54_boundary--\r\n";

        /// <summary>A DMARC failure report as receivers send them under RFC 7489 §7.3 / RFC 9991: Auth-Failure: dmarc,
        /// Identity-Alignment, Delivery-Result, and only the failed message's headers (text/rfc822-headers).</summary>
        public static string DmarcReport(string id = "1", string reported = "example.com", string ip = "198.51.100.7", string extraHeaders = "") =>
"From: DMARC failure reports <dmarc-ruf@receiver.example>\r\n" +
"To: ruf@example.com\r\n" +
$"Subject: DMARC failure report for {reported} (id {id})\r\n" +
"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
$"Message-ID: <ruf-{id}@receiver.example>\r\n" +
"MIME-Version: 1.0\r\n" +
"Content-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\r\n" +
"\r\n" +
"--b1\r\n" +
"Content-Type: text/plain; charset=us-ascii\r\n" +
"\r\n" +
$"A message claiming to be from {reported} failed DMARC.\r\n" +
"--b1\r\n" +
"Content-Type: message/feedback-report\r\n" +
"\r\n" +
"Feedback-Type: auth-failure\r\n" +
"User-Agent: Receiver-DMARC/2.1\r\n" +
"Version: 1\r\n" +
"Original-Envelope-Id: 4Qx7h2 \r\n" +
$"Original-Mail-From: <bounce@{reported}>\r\n" +
"Original-Rcpt-To: <alice@receiver.example>\r\n" +
"Original-Rcpt-To: <bob@receiver.example>\r\n" +
"Arrival-Date: Sun, 22 Nov 2026 09:58:12 +0100\r\n" +
"Reporting-MTA: dns; mx.receiver.example\r\n" +
$"Source-IP: {ip}\r\n" +
"Incidents: 3\r\n" +
"Auth-Failure: dmarc\r\n" +
"Delivery-Result: Reject\r\n" +
"Identity-Alignment: dkim\r\n" +
$"Authentication-Results: mx.receiver.example; dmarc=fail header.from={reported};\r\n" +
$"  dkim=pass header.d=other.example; spf=fail smtp.mailfrom={reported}\r\n" +
$"Reported-Domain: {reported}\r\n" +
"DKIM-Domain: other.example\r\n" +
"DKIM-Selector: s2026\r\n" +
$"SPF-DNS: txt : {reported} : \"v=spf1 -all\"\r\n" +
"\r\n" +
"--b1\r\n" +
"Content-Type: text/rfc822-headers\r\n" +
"\r\n" +
$"From: Billing <billing@{reported}>\r\n" +
"To: alice@receiver.example\r\n" +
"Subject: Your invoice\r\n" +
$"Message-ID: <phish-{id}@bulk.example>\r\n" +
"Date: Sun, 22 Nov 2026 09:58:10 +0100\r\n" +
extraHeaders +
"\r\n" +
"--b1--\r\n";

        private static (List<DmarcFailureReport> Reports, List<ReportImportProblem> Problems) Read(string path, ReportImportOptions? options = null)
        {
            var items = DmarcFailureReportReader.ReadFile(path, options).ToList();
            return (items.OfType<DmarcFailureReport>().ToList(), items.OfType<ReportImportProblem>().ToList());
        }

        private static MimeMessage Load(string text) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        [Fact]
        public void The_RFC_6591_example_is_read_field_by_field()
        {
            var (reports, problems) = Read(_tmp.File("rfc6591.eml", Rfc6591Example));
            Assert.Empty(problems);
            var r = Assert.Single(reports);
            Assert.Equal("auth-failure", r.FeedbackType);
            Assert.Equal("SomeGenerator/1.0", r.UserAgent);
            Assert.Equal("1", r.Version);
            Assert.Equal("<somespammer@example.net>", r.OriginalMailFrom);
            Assert.Equal(new[] { "<user@example.com>" }, r.OriginalRcptTo);
            Assert.Equal("192.0.2.1", r.SourceIP);
            // The folded field is one value.
            Assert.Equal("mail.example.com; dkim=fail header.d=example.net", Assert.Single(r.AuthenticationResults));
            Assert.Equal(new[] { "example.net" }, r.ReportedDomain);
            Assert.Equal("example.net", r.DkimDomain);
            Assert.Equal("@example.net", r.DkimIdentity);
            Assert.Equal("news", r.DkimSelector);
            Assert.Null(r.AuthFailure);
            Assert.Empty(r.IdentityAlignment);
            // No Arrival-Date: the report's own Date, in UTC.
            Assert.Equal(new DateTime(2010, 4, 14, 19, 17, 45, DateTimeKind.Utc), r.ArrivalDate);
            Assert.Equal("arf-daemon@example.com", r.ReporterAddress);
            Assert.Equal("Earn money", r.Subject);
            Assert.Equal("randomuser@example.net", r.HeaderFrom);
            Assert.False(r.SampleHeadersOnly);
            Assert.Contains("Received: from mailserver.example.net (mailserver.example.net\n        [192.0.2.1])", r.OriginalHeaders);
            Assert.False(r.OriginalHeadersTruncated);
            Assert.Null(r.SourceEntry);
        }

        [Fact]
        public void A_DMARC_failure_report_with_headers_only_has_every_DMARC_field()
        {
            var (reports, problems) = Read(_tmp.File("ruf.eml", DmarcReport()));
            Assert.Empty(problems);
            var r = Assert.Single(reports);
            Assert.Equal("dmarc", r.AuthFailure);
            Assert.Equal("reject", r.DeliveryResult);
            Assert.Equal(new[] { "dkim" }, r.IdentityAlignment);
            Assert.Equal(new[] { "<alice@receiver.example>", "<bob@receiver.example>" }, r.OriginalRcptTo);
            Assert.Equal("4Qx7h2", r.OriginalEnvelopeId);
            Assert.Equal("dns; mx.receiver.example", r.ReportingMta);
            Assert.Equal(3, r.Incidents);
            Assert.Equal(new DateTime(2026, 11, 22, 8, 58, 12, DateTimeKind.Utc), r.ArrivalDate);
            Assert.Equal(new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc), r.ReportDate);
            Assert.Equal("txt : example.com : \"v=spf1 -all\"", Assert.Single(r.SpfDns));
            Assert.True(r.SampleHeadersOnly);
            Assert.Equal("Your invoice", r.Subject);
            Assert.Equal("<phish-1@bulk.example>", r.MessageId);
            Assert.Equal("billing@example.com", r.HeaderFrom);
            Assert.StartsWith("From: Billing <billing@example.com>\n", r.OriginalHeaders);
        }

        [Fact]
        public void Identity_alignment_none_is_an_empty_list_and_reported_domain_falls_back_to_the_from_domain()
        {
            var text = DmarcReport().Replace("Identity-Alignment: dkim", "Identity-Alignment: none").Replace("Reported-Domain: example.com\r\n", "");
            var r = Assert.Single(Read(_tmp.File("none.eml", text)).Reports);
            Assert.Empty(r.IdentityAlignment);
            Assert.Equal(new[] { "example.com" }, r.ReportedDomain);
            var both = Assert.Single(Read(_tmp.File("both.eml", DmarcReport().Replace("Identity-Alignment: dkim", "Identity-Alignment: dkim, SPF"))).Reports);
            Assert.Equal(new[] { "dkim", "spf" }, both.IdentityAlignment);
        }

        [Fact]
        public void Parsedmarc_format_has_parsedmarcs_forensic_columns_and_conventions()
        {
            Assert.Equal("feedback_type,user_agent,version,original_envelope_id,original_mail_from,original_rcpt_to,arrival_date,arrival_date_utc,subject,message_id,authentication_results,dkim_domain,source_ip_address,source_country,source_reverse_dns,source_base_domain,delivery_result,auth_failure,reported_domain,authentication_mechanisms,sample_headers_only",
                string.Join(",", ParsedmarcForensicRow.Columns));
            Assert.Equal(ParsedmarcForensicRow.Columns, typeof(ParsedmarcForensicRow).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Select(p => p.Name));
            var row = ParsedmarcForensicRow.From(Assert.Single(Read(_tmp.File("ruf.eml", DmarcReport())).Reports));
            Assert.Equal("auth-failure", row.feedback_type);
            Assert.Equal("<bob@receiver.example>", row.original_rcpt_to); // the last, as parsedmarc's dict keeps it
            Assert.Equal("Sun, 22 Nov 2026 09:58:12 +0100", row.arrival_date);
            Assert.Equal("2026-11-22 08:58:12", row.arrival_date_utc);
            Assert.Equal("dkim", row.authentication_mechanisms);
            Assert.Equal("dmarc", row.auth_failure);
            Assert.Equal("example.com", row.reported_domain);
            Assert.Equal("Your invoice", row.subject);
            Assert.True(row.sample_headers_only);
            Assert.Equal("", row.source_country);
            var old = ParsedmarcForensicRow.From(Assert.Single(Read(_tmp.File("rfc6591.eml", Rfc6591Example)).Reports));
            Assert.Equal("dmarc", old.auth_failure); // parsedmarc's default when Auth-Failure is absent
            Assert.Equal("", old.authentication_mechanisms);
            Assert.Equal("Wed, 14 Apr 2010 12:17:45 -0700 (PDT)", old.arrival_date);
            Assert.False(old.sample_headers_only);
        }

        [Fact]
        public void A_mailbox_mixing_aggregate_and_failure_reports_gives_each_importer_its_own_and_notes_the_others()
        {
            var aggregate = ReportFiles.Mail("Report domain: example.com", ("r.xml.gz", "application/gzip", ReportFiles.Gzip(ReportFiles.Report("agg.example", "agg-1", 2))));
            var mbox = _tmp.File("dmarc.mbox", ReportFiles.Mbox(Load(DmarcReport("1")), aggregate, Load(DmarcReport("2", ip: "203.0.113.9")), Load(Rfc6591Example)));
            var (reports, problems) = Read(mbox);
            Assert.Equal(new[] { "198.51.100.7", "203.0.113.9", "192.0.2.1" }, reports.Select(r => r.SourceIP));
            Assert.StartsWith("message 1 ", reports[0].SourceEntry);
            var other = Assert.Single(problems);
            Assert.Equal(ReportProblemKind.OtherReportKind, other.Kind);
            Assert.Contains("a DMARC aggregate report?", other.Message);
            // Which importer reads it is the cmdlet layer's advice (DmarcFailureReportTests), keyed by LooksLike.
            Assert.Equal(ReportType.DmarcAggregate, Assert.IsType<ReportFormatException>(other.Exception).LooksLike);
            // The aggregate importer reads the aggregate report and notes the three failure reports, without an error for
            // the failed message each of them carries.
            var items = DmarcReportReader.ReadFile(mbox).ToList();
            Assert.Equal(2, items.OfType<DmarcReportRow>().Count());
            var notes = items.OfType<ReportImportProblem>().ToList();
            Assert.Equal(3, notes.Count);
            Assert.All(notes, n => Assert.Equal(ReportProblemKind.OtherReportKind, n.Kind));
            Assert.All(notes, n => Assert.Equal(ReportType.DmarcFailure, Assert.IsType<ReportFormatException>(n.Exception).LooksLike));
        }

        [Fact]
        public void Failure_reports_are_read_from_zip_gzip_and_zlib_and_a_forwarded_report_too()
        {
            var eml = Encoding.UTF8.GetBytes(DmarcReport("z"));
            var zip = ReportFiles.Zip(("a.eml", eml), ("b.eml", Encoding.UTF8.GetBytes(DmarcReport("y"))));
            var (fromZip, p1) = Read(_tmp.File("ruf.zip", zip));
            Assert.Empty(p1);
            Assert.Equal(new[] { "a.eml", "b.eml" }, fromZip.Select(r => r.SourceEntry));
            var (fromGz, p2) = Read(_tmp.File("ruf.eml.gz", ReportFiles.Gzip(eml)));
            Assert.Empty(p2);
            Assert.Single(fromGz);
            var (fromZlib, p3) = Read(_tmp.File("ruf.eml.z", ZlibReportTests.Zlib(eml)));
            Assert.Empty(p3);
            Assert.Single(fromZlib);
            var forward = new MimeMessage();
            forward.From.Add(MailboxAddress.Parse("admin@example.com"));
            forward.Subject = "Fwd: DMARC failure report";
            var body = new Multipart("mixed") { new TextPart("plain") { Text = "see attached" }, new MessagePart { Message = Load(DmarcReport("f")) } };
            forward.Body = body;
            var (fwd, p4) = Read(_tmp.File("fwd.eml", ReportFiles.Bytes(forward)));
            Assert.Empty(p4);
            Assert.StartsWith("attached message 'DMARC failure report", Assert.Single(fwd).SourceEntry);
        }

        [Fact]
        public void Bad_messages_are_problems_and_the_batch_goes_on()
        {
            var noType = _tmp.File("a-notype.eml", DmarcReport().Replace("Feedback-Type: auth-failure\r\n", ""));
            var plain = _tmp.File("b-plain.eml", "From: a@example.com\r\nSubject: hello\r\n\r\nJust mail.\r\n");
            var xml = _tmp.File("c.xml", ReportFiles.Report("x.example", "x", 1));
            var p1 = Assert.Single(Read(noType).Problems);
            Assert.Equal(ReportProblemKind.Malformed, p1.Kind);
            Assert.Contains("Feedback-Type", p1.Message);
            Assert.Equal(ReportProblemKind.NoReportInMessage, Assert.Single(Read(plain).Problems).Kind);
            var p3 = Assert.Single(Read(xml).Problems);
            Assert.Equal(ReportProblemKind.NotAReport, p3.Kind);
            Assert.Contains("holds XML, not a DMARC failure report (a DMARC aggregate report?)", p3.Message);
            Assert.Equal(ReportType.DmarcAggregate, Assert.IsType<ReportFormatException>(p3.Exception).LooksLike);
        }

        [Fact]
        public void The_failed_messages_headers_are_kept_to_64_KiB_and_the_feedback_fields_read_to_64_KiB()
        {
            var huge = string.Concat(Enumerable.Range(0, 4000).Select(i => $"X-Filler-{i}: {new string('a', 60)}\r\n")); // ~300 KB
            var r = Assert.Single(Read(_tmp.File("big.eml", DmarcReport(extraHeaders: huge))).Reports);
            Assert.NotNull(r.OriginalHeaders);
            Assert.InRange(r.OriginalHeaders.Length, DmarcFailureReportReader.MaxOriginalHeaderChars - 4000, DmarcFailureReportReader.MaxOriginalHeaderChars);
            Assert.StartsWith("From: Billing", r.OriginalHeaders);
            Assert.True(r.OriginalHeadersTruncated);
            // A field block far over the limit (a huge DKIM-Canonicalized-Body): the fields before the limit are read.
            var body = "DKIM-Canonicalized-Body: " + new string('Q', 200_000) + "\r\n";
            var big = DmarcReport().Replace("SPF-DNS:", body + "SPF-DNS:");
            var r2 = Assert.Single(Read(_tmp.File("bigfields.eml", big)).Reports);
            Assert.Equal("auth-failure", r2.FeedbackType);
            Assert.Equal("other.example", r2.DkimDomain);
            Assert.Empty(r2.SpfDns); // after the limit
        }
    }
}
