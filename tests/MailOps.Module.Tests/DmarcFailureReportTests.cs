using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Management.Automation;
using System.Text;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Import-DmarcFailureReport, report de-duplication and -ExcludeReportId, and zlib payloads, as a user types them.</summary>
    [Collection("Runspace")]
    public sealed class DmarcFailureReportTests : IDisposable
    {
        private readonly Dictionary<string, object?> _vars;
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-ruf-" + Guid.NewGuid().ToString("N"));

        public DmarcFailureReportTests()
        {
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?> { ["tmp"] = _tmp };
        }

        public void Dispose()
        {
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        private string Write(string relative, byte[] data)
        {
            var p = Path.Combine(_tmp, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, data);
            return p;
        }

        private string Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

        /// <summary>A DMARC failure report (RFC 6591 ARF with the RFC 9991 fields), headers only.</summary>
        private static string Ruf(string id, string ip) =>
            "From: dmarc-ruf@receiver.example\r\nTo: ruf@example.com\r\n" +
            $"Subject: DMARC failure report {id}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nA message failed DMARC.\r\n" +
            "--b\r\nContent-Type: message/feedback-report\r\n\r\n" +
            "Feedback-Type: auth-failure\r\nUser-Agent: Receiver/1\r\nVersion: 1\r\n" +
            "Original-Mail-From: <bounce@example.com>\r\nOriginal-Rcpt-To: <alice@receiver.example>\r\n" +
            "Arrival-Date: Sun, 22 Nov 2026 09:58:12 +0100\r\n" +
            $"Source-IP: {ip}\r\nAuth-Failure: dmarc\r\nDelivery-Result: reject\r\nIdentity-Alignment: none\r\n" +
            "Reported-Domain: example.com\r\nDKIM-Domain: example.com\r\n\r\n" +
            "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
            $"From: billing@example.com\r\nTo: alice@receiver.example\r\nSubject: Invoice {id}\r\nMessage-ID: <{id}@bulk.example>\r\n\r\n" +
            "--b--\r\n";

        private static string Aggregate(string org, string id, int rows)
        {
            var sb = new StringBuilder($"<?xml version=\"1.0\"?><feedback><report_metadata><org_name>{org}</org_name><email>d@{org}</email><report_id>{id}</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>reject</p></policy_published>");
            for (int i = 1; i <= rows; i++)
                sb.Append($"<record><row><source_ip>192.0.2.{i}</source_ip><count>{i}</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain><result>pass</result></dkim></auth_results></record>");
            return sb.Append("</feedback>").ToString();
        }

        private static string AggregateMail(string xml) =>
            "From: noreply-dmarc@reporter.example\r\nTo: rua@example.com\r\nSubject: Report domain: example.com\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nAggregate report.\r\n" +
            "--m\r\nContent-Type: application/gzip; name=\"r.xml.gz\"\r\nContent-Disposition: attachment; filename=\"r.xml.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String(Gzip(Encoding.UTF8.GetBytes(xml)), Base64FormattingOptions.InsertLineBreaks) + "\r\n--m--\r\n";

        private static string Mbox(params string[] messages) =>
            string.Concat(messages.Select(m => "From MAILER-DAEMON Sun Nov 22 10:00:00 2026\n" + m.Replace("\r\n", "\n") + "\n"));

        private static byte[] Gzip(byte[] data)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, true)) gz.Write(data);
            return ms.ToArray();
        }

        private static byte[] Zlib(byte[] data)
        {
            var ms = new MemoryStream();
            using (var z = new ZLibStream(ms, CompressionLevel.Optimal, true)) z.Write(data);
            return ms.ToArray();
        }

        [Fact]
        public void Import_DmarcFailureReport_reads_a_Maildir_and_writes_one_object_per_report()
        {
            Write("md/cur/1.eml", Ruf("a", "198.51.100.7"));
            Write("md/new/2.eml", Ruf("b", "203.0.113.9"));
            Directory.CreateDirectory(Path.Combine(_tmp, "md", "tmp"));
            Write("md/dovecot.index", new byte[] { 0, 1, 2, 3 });
            var run = ModuleHost.Run("Import-DmarcFailureReport -Path ([IO.Path]::Combine($tmp, 'md')) | ForEach-Object { '{0}|{1}|{2}|{3}|{4}|{5}' -f $_.SourceIP, $_.AuthFailure, $_.DeliveryResult, $_.ReportedDomain, $_.Subject, $_.ArrivalDate.ToString('u') }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new[] { "198.51.100.7|dmarc|reject|example.com|Invoice a|2026-11-22 08:58:12Z", "203.0.113.9|dmarc|reject|example.com|Invoice b|2026-11-22 08:58:12Z" },
                run.Output.Select(o => o.ToString()));
            var typed = ModuleHost.Run("Import-DmarcFailureReport -LiteralPath ([IO.Path]::Combine($tmp, 'md', 'cur', '1.eml'))", _vars);
            Assert.Equal("MailOps.Reports.DmarcFailureReport", typed.Output[0].TypeNames[0]);
        }

        [Fact]
        public void Parsedmarc_format_writes_parsedmarcs_forensic_columns()
        {
            Write("r.eml", Ruf("a", "198.51.100.7"));
            var run = ModuleHost.Run("Import-DmarcFailureReport -Path $tmp -Format Parsedmarc -NoEnrichment | ForEach-Object { $_.PSObject.Properties.Name -join ',' ; '{0}|{1}|{2}|{3}' -f $_.arrival_date_utc, $_.auth_failure, $_.authentication_mechanisms, $_.sample_headers_only }", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal("feedback_type,user_agent,version,original_envelope_id,original_mail_from,original_rcpt_to,arrival_date,arrival_date_utc,subject,message_id,authentication_results,dkim_domain,source_ip_address,source_country,source_reverse_dns,source_base_domain,delivery_result,auth_failure,reported_domain,authentication_mechanisms,sample_headers_only",
                run.Output[0].BaseObject);
            Assert.Equal("2026-11-22 08:58:12|dmarc||True", run.Output[1].BaseObject);
        }

        [Fact]
        public void Parsedmarc_format_enriches_the_source_columns_as_the_aggregate_importer_does()
        {
            using var dns = FixtureDnsServer.Start();
            dns.LoadMasterFileFromPath(Paths.DnsFixture("server/asn.cymru.com.zone"));
            dns.LoadMasterFileFromPath(Paths.DnsFixture("dnsbl/ptr-reverse.zone"));
            Write("a.eml", Ruf("a", "198.51.100.10"));
            Write("b.eml", Ruf("b", "198.51.100.10"));
            var vars = new Dictionary<string, object?>(_vars) { ["srv"] = dns.ServerSpec };
            var run = ModuleHost.Run("Import-DmarcFailureReport -Path $tmp -Format Parsedmarc -Server $srv | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.source_ip_address, $_.source_reverse_dns, $_.source_base_domain, $_.source_country }", vars);
            Assert.Empty(run.Errors);
            Assert.Empty(run.Warnings);
            Assert.Equal(new object[] { "198.51.100.10|mail.example.org|example.org|US", "198.51.100.10|mail.example.org|example.org|US" }, run.Output.Select(o => o.BaseObject));
            // One address, asked once however many reports name it.
            Assert.Equal(1, dns.QueryCount("10.100.51.198.in-addr.arpa"));

            // A PTR question that times out leaves the column empty with one warning: never "no PTR", never an error.
            dns.SetFault("10.100.51.198.in-addr.arpa", FixtureDnsServer.Fault.Timeout);
            var slow = ModuleHost.Run("Import-DmarcFailureReport -Path $tmp -Format Parsedmarc -Server $srv -TimeoutSec 1 | ForEach-Object source_reverse_dns", vars);
            Assert.Empty(slow.Errors);
            Assert.All(slow.Output, o => Assert.Equal("", o.BaseObject));
            Assert.Contains("could not be fully enriched", Assert.Single(slow.Warnings).Message);
        }

        [Fact]
        public void A_mixed_mailbox_gives_each_importer_its_reports_with_notes_and_one_warning()
        {
            Write("dmarc.mbox", Mbox(Ruf("a", "198.51.100.7"), AggregateMail(Aggregate("rep.example", "agg-1", 2)), Ruf("b", "203.0.113.9")));
            var ruf = ModuleHost.Run("Import-DmarcFailureReport -Path $tmp -Verbose", _vars);
            Assert.Empty(ruf.Errors);
            Assert.Equal(2, ruf.Output.Count);
            Assert.Single(ruf.Warnings);
            Assert.Contains(ruf.Verbose, v => v.Message.Contains("message 2") && v.Message.Contains("Import-DmarcReport"));
            var rua = ModuleHost.Run("Import-DmarcReport -Path $tmp -Verbose", _vars);
            Assert.Empty(rua.Errors);
            Assert.Equal(2, rua.Output.Count);
            Assert.Contains("2 message(s) held another kind of report", Assert.Single(rua.Warnings).Message);
            Assert.Equal(2, rua.Verbose.Count(v => v.Message.Contains("Import-DmarcFailureReport")));
        }

        [Fact]
        public void Import_DmarcFailureReport_writes_an_error_per_bad_file_and_goes_on()
        {
            Write("a.eml", "From: a@example.com\r\nSubject: hi\r\n\r\nplain mail\r\n");
            Write("b.eml", Ruf("b", "198.51.100.7"));
            Write("c.eml.gz", Gzip(Encoding.UTF8.GetBytes(Ruf("c", "198.51.100.8"))).Take(60).ToArray());
            var run = ModuleHost.Run("Import-DmarcFailureReport -Path $tmp", _vars);
            Assert.Equal("198.51.100.7", run.Prop(0, "SourceIP"));
            Assert.Equal(new[] { "ReportMalformed", "ReportNotRecognized" }, run.ErrorIds.OrderBy(x => x));
            Assert.All(run.Errors, e => Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category));
        }

        [Fact]
        public void The_same_aggregate_report_as_xml_gzip_and_mailed_twice_is_imported_once_and_another_org_is_kept()
        {
            var xml = Aggregate("google.com", "42", 3);
            var a = Write("a.xml", xml);
            var b = Write("b.xml.gz", Gzip(Encoding.UTF8.GetBytes(xml)));
            var c = Write("c.mbox", Mbox(AggregateMail(xml), AggregateMail(xml)));
            Write("d.xml", Aggregate("Yahoo", "42", 2));
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp -Verbose", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(5, run.Output.Count);
            Assert.Equal(3, run.Output.Count(o => (string)o.Properties["OrgName"].Value == "google.com"));
            var skipped = run.Verbose.Select(v => v.Message).Where(m => m.StartsWith("Skipped ")).ToList();
            Assert.Equal(3, skipped.Count);
            Assert.Contains(skipped, m => m.Contains($"'{b}'") && m.Contains($"already imported from '{a}'"));
            Assert.Equal(2, skipped.Count(m => m.Contains($"'{c}' (message")));
        }

        [Fact]
        public void ExcludeReportId_takes_ids_org_id_pairs_and_a_seen_file()
        {
            Write("a.xml", Aggregate("google.com", "42", 3));
            Write("b.xml", Aggregate("Yahoo", "42", 2));
            Write("c.xml", Aggregate("Yahoo", "43", 1));
            File.WriteAllLines(Path.Combine(_tmp, "..", Path.GetFileName(_tmp) + "-seen.txt"), new[] { "# imported 2026-11-28", "yahoo|42" });
            _vars["seen"] = Path.Combine(_tmp, "..", Path.GetFileName(_tmp) + "-seen.txt");
            try
            {
                var run = ModuleHost.Run(@"
@(Import-DmarcReport -Path $tmp -ExcludeReportId 42).Count
@(Import-DmarcReport -Path $tmp -ExcludeReportId ([IO.File]::ReadAllLines($seen))).Count
@(Import-DmarcReport -Path $tmp -ExcludeReportId $null).Count
@(Import-DmarcReport -Path $tmp -Format Parsedmarc -ExcludeReportId 'google.com|42', '43').Count", _vars);
                Assert.Empty(run.Errors);
                Assert.Equal(new object[] { 1, 4, 6, 2 }, run.Output.Select(o => o.BaseObject));
            }
            finally { File.Delete((string)_vars["seen"]!); }
        }

        [Fact]
        public void A_zlib_report_file_is_imported_and_a_cut_one_is_an_error()
        {
            var z = Zlib(Encoding.UTF8.GetBytes(Aggregate("zlib.example", "z1", 2)));
            Write("r.xml.z", z);
            Write("cut.xml.z", z.Take(z.Length - 4).ToArray());
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp", _vars);
            // cut.xml.z is read first: its 2 rows come out before the missing trailer is noticed, and the error makes the
            // complete copy in r.xml.z count again (rows twice, none lost).
            Assert.Equal(4, run.Output.Count);
            Assert.Equal(2, run.Output.Count(o => ((string)o.Properties["SourceFile"].Value).EndsWith("r.xml.z")));
            var e = Assert.Single(run.Errors);
            Assert.Equal("ReportMalformed", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("cut.xml.z", e.ToString());
            Assert.Contains("Adler-32", e.ToString());
        }
        [Fact]
        public void A_copy_cut_short_is_an_error_and_the_complete_copy_is_still_imported()
        {
            var xml = Aggregate("cut.example", "c-1", 200);
            var gz = Gzip(Encoding.UTF8.GetBytes(xml));
            Write("a.xml.gz", gz.Take(gz.Length / 2).ToArray());
            Write("b.xml", xml);
            var run = ModuleHost.Run("Import-DmarcReport -Path $tmp", _vars);
            Assert.Equal("ReportMalformed", Assert.Single(run.ErrorIds));
            Assert.Equal(200, run.Output.Count(o => ((string)o.Properties["SourceFile"].Value).EndsWith("b.xml")));
        }
        [Fact]
        public void Import_DmarcReport_reads_a_Maildir_as_its_cur_and_new_messages()
        {
            Write("md/cur/1.eml", AggregateMail(Aggregate("one.example", "m-1", 2)));
            Write("md/new/2.eml", AggregateMail(Aggregate("two.example", "m-2", 1)));
            Write("md/tmp/3.eml", "half-written");
            Write("md/dovecot.index.log", new byte[] { 1, 2, 3 });
            Write("md/.Archive/cur/4.eml", AggregateMail(Aggregate("three.example", "m-3", 1)));
            Directory.CreateDirectory(Path.Combine(_tmp, "md", ".Archive", "new"));
            var run = ModuleHost.Run(@"
@(Import-DmarcReport -Path ([IO.Path]::Combine($tmp, 'md'))).Count
@(Import-DmarcReport -Path ([IO.Path]::Combine($tmp, 'md')) -Recurse).Count", _vars);
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { 3, 4 }, run.Output.Select(o => o.BaseObject));
        }
    }
}
