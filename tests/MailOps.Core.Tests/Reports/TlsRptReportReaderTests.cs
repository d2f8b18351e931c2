using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MailOps.Reports;

namespace MailOps.Tests.Reports
{
    /// <summary>Import-TlsRptReport's engine on RFC 8460's example report, in every container.</summary>
    public sealed class TlsRptReportReaderTests : IDisposable
    {
        private readonly TempFolder _tmp = new();

        public void Dispose() => _tmp.Dispose();

        private static (List<TlsRptPolicyRow> Rows, List<ReportImportProblem> Problems) Read(string path)
        {
            var items = TlsRptReportReader.ReadFile(path).ToList();
            return (items.OfType<TlsRptPolicyRow>().ToList(), items.OfType<ReportImportProblem>().ToList());
        }

        private static void AssertRfc8460Example(List<TlsRptPolicyRow> rows)
        {
            Assert.Equal(2, rows.Count);
            var sts = rows[0];
            Assert.Equal("Company-X", sts.OrganizationName);
            Assert.Equal("sts-reporting@company-x.example", sts.ContactInfo);
            Assert.Equal("5065427c-23d3-47ca-b6e0-946ea0e8c4be", sts.ReportId);
            Assert.Equal(new DateTime(2016, 4, 1, 0, 0, 0, DateTimeKind.Utc), sts.BeginDate);
            Assert.Equal(new DateTime(2016, 4, 1, 23, 59, 59, DateTimeKind.Utc), sts.EndDate);
            Assert.Equal(DateTimeKind.Utc, sts.BeginDate!.Value.Kind);
            Assert.Equal("sts", sts.PolicyType);
            Assert.Equal("company-y.example", sts.PolicyDomain);
            Assert.Equal(4, sts.PolicyStrings.Count);
            Assert.Equal("mode: testing", sts.PolicyStrings[1]);
            Assert.Equal(new[] { "*.mail.company-y.example" }, sts.MxHost);
            Assert.Equal(5326, sts.SuccessfulSessionCount);
            Assert.Equal(303, sts.FailedSessionCount);
            Assert.Equal(new[] { "certificate-expired", "starttls-not-supported", "validation-failure" }, sts.FailureDetails.Select(f => f.ResultType));
            Assert.Equal(new long[] { 100, 200, 3 }, sts.FailureDetails.Select(f => f.FailedSessionCount));
            Assert.Equal("203.0.113.56", sts.FailureDetails[1].ReceivingIP);
            Assert.Equal("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED", sts.FailureDetails[2].FailureReasonCode);
            Assert.Equal("starttls-not-supported x200 (mx2.mail.company-y.example 203.0.113.56)", sts.FailureDetails[1].ToString());
            Assert.Equal("no-policy-found", rows[1].PolicyType);
            Assert.Equal(12, rows[1].SuccessfulSessionCount);
            Assert.Empty(rows[1].FailureDetails);
        }

        [Fact]
        public void Json_file_gives_one_row_per_policy()
        {
            var (rows, problems) = Read(_tmp.File("report.json", ReportFiles.TlsRpt));
            Assert.Empty(problems);
            AssertRfc8460Example(rows);
            Assert.Null(rows[0].SourceEntry);
        }

        [Fact]
        public void Gzipped_json_is_read()
        {
            var (rows, problems) = Read(_tmp.File("report.json.gz", ReportFiles.Gzip(ReportFiles.TlsRpt)));
            Assert.Empty(problems);
            AssertRfc8460Example(rows);
        }

        [Fact]
        public void Emails_with_tlsrpt_gzip_and_json_parts_are_read_in_an_mbox()
        {
            var mbox = ReportFiles.Mbox(
                ReportFiles.Mail("Report Domain: company-y.example", ("report.json.gz", "application/tlsrpt+gzip", ReportFiles.Gzip(ReportFiles.TlsRpt))),
                ReportFiles.Mail("Report Domain: company-y.example (json)", ("report.json", "application/tlsrpt+json", Encoding.UTF8.GetBytes(ReportFiles.TlsRpt))));
            var (rows, problems) = Read(_tmp.File("tls.mbox", mbox));
            Assert.Empty(problems);
            Assert.Equal(4, rows.Count);
            AssertRfc8460Example(rows.Take(2).ToList());
            Assert.StartsWith("message 2", rows[3].SourceEntry);
            var eml = ReportFiles.Bytes(ReportFiles.Mail("one", ("r.json.gz", "application/tlsrpt+gzip", ReportFiles.Gzip(ReportFiles.TlsRpt))));
            AssertRfc8460Example(Read(_tmp.File("one.eml", eml)).Rows);
        }

        [Fact]
        public void Bad_json_and_dmarc_xml_are_per_file_errors()
        {
            var (rows, problems) = Read(_tmp.File("bad.json", "{\"organization-name\": \"x\", \"policies\": [ {\"policy\": "));
            Assert.Empty(rows);
            Assert.Equal(ReportProblemKind.Malformed, Assert.Single(problems).Kind);
            Assert.Contains("bad.json", problems[0].Message);
            var xml = Read(_tmp.File("dmarc.xml", ReportFiles.Report("a.example", "1", 1)));
            Assert.Contains("a DMARC aggregate report?", Assert.Single(xml.Problems).Message);
            Assert.Equal(ReportType.DmarcAggregate, Assert.IsType<ReportFormatException>(xml.Problems[0].Exception).LooksLike);
            var other = Read(_tmp.File("other.json", "{\"hello\": [1, 2.5, true, null, \"\\u00e9\"]}"));
            Assert.Equal(ReportProblemKind.NotAReport, Assert.Single(other.Problems).Kind);
        }
    }
}
