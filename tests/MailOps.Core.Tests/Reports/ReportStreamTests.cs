using System;
using System.IO;
using System.Linq;
using System.Text;
using MailOps.Bounces;
using MailOps.Reports;
using MailOps.Testing;

namespace MailOps.Tests.Reports
{
    /// <summary>The mailbox entry point of the readers (ReadStream): one message's bytes go through the same container
    /// reader as a file - same rows, same problems, the message named instead of a file.</summary>
    public sealed class ReportStreamTests
    {
        private const string Source = "imaps://u@mail.test/INBOX;UIDVALIDITY=1/;UID=7";

        private static string Corpus(string relative) => Path.Combine(Paths.Corpora!, "dmarc-aggregate", relative);

        [CorpusFact("dmarc-aggregate")]
        public void A_message_stream_gives_the_rows_of_the_same_eml_file()
        {
            var eml = Directory.GetFiles(Corpus("aggregate"), "*.eml").Single();
            var fromFile = DmarcReportReader.ReadFile(eml).Cast<DmarcReportRow>().ToList();
            var fromStream = DmarcReportReader.ReadStream(new MemoryStream(File.ReadAllBytes(eml)), Source).Cast<DmarcReportRow>().ToList();
            Assert.NotEmpty(fromFile);
            Assert.Equal(fromFile.Select(r => (r.ReportId, r.SourceIP, r.Count, r.SourceEntry)), fromStream.Select(r => (r.ReportId, r.SourceIP, r.Count, r.SourceEntry)));
            Assert.All(fromStream, r => Assert.Equal(Source, r.SourceFile));
            Assert.All(fromStream, r => Assert.Null(r.ImapUid)); // stamped by the mailbox, not by the reader
        }

        [CorpusFact("dmarc-aggregate")]
        public void A_broken_message_is_one_problem_naming_the_message()
        {
            var bytes = DovecotServer.ReportMessage(Corpus("aggregate/invalid_xml.xml"), "x@test", DateTimeOffset.UnixEpoch);
            var items = DmarcReportReader.ReadStream(new MemoryStream(bytes), Source).ToList();
            var p = Assert.IsType<ReportImportProblem>(Assert.Single(items));
            Assert.Equal(ReportProblemKind.Malformed, p.Kind);
            Assert.Equal(Source, p.SourceFile);
            Assert.StartsWith($"The DMARC aggregate report message '{Source}'", p.Message);
        }

        [Fact]
        public void Hostile_limits_apply_to_message_streams_too()
        {
            // A gzip bomb in an attachment: refused as TooLarge by the same decompression budget.
            var raw = new MemoryStream();
            using (var gz = new System.IO.Compression.GZipStream(raw, System.IO.Compression.CompressionLevel.Optimal, true))
            {
                gz.Write(Encoding.ASCII.GetBytes("<?xml version=\"1.0\"?><feedback><report_metadata><org_name>"));
                var spaces = Enumerable.Repeat((byte)' ', 1 << 20).ToArray();
                for (var i = 0; i < 8; i++) gz.Write(spaces);
            }
            var message = "From: a@b.test\r\nSubject: bomb\r\nMIME-Version: 1.0\r\nContent-Type: application/gzip; name=r.xml.gz\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Convert.ToBase64String(raw.ToArray(), Base64FormattingOptions.InsertLineBreaks) + "\r\n";
            var items = DmarcReportReader.ReadStream(new MemoryStream(Encoding.ASCII.GetBytes(message)), Source, new ReportImportOptions { MaxDecompressedBytes = 1 << 20 }).ToList();
            var p = Assert.IsType<ReportImportProblem>(Assert.Single(items));
            Assert.True(p.Kind == ReportProblemKind.TooLarge, p.Message);
        }

        [Fact]
        public void Bounce_and_tlsrpt_readers_take_message_streams()
        {
            var notABounce = Encoding.ASCII.GetBytes("From: a@b.test\r\nSubject: hello\r\n\r\njust a note\r\n");
            var b = Assert.IsType<ReportImportProblem>(Assert.Single(BounceReader.ReadStream(new MemoryStream(notABounce), Source, null, default)));
            Assert.Equal(ReportProblemKind.NoReportInMessage, b.Kind);
            var t = Assert.IsType<ReportImportProblem>(Assert.Single(TlsRptReportReader.ReadStream(new MemoryStream(notABounce), Source)));
            Assert.Equal(ReportProblemKind.NoReportInMessage, t.Kind);
            Assert.Equal(Source, t.SourceFile);
        }
    }
}
