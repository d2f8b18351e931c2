using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using MimeKit;

namespace MailOps.Tests.Reports
{
    /// <summary>Builds test report files in a temporary folder (nothing big is committed).</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Root);

        public string Root { get; } = Path.Combine(Path.GetTempPath(), "mailops-reports-" + Guid.NewGuid().ToString("N"));

        public string File(string name, byte[] content)
        {
            var p = Path.Combine(Root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            System.IO.File.WriteAllBytes(p, content);
            return p;
        }

        public string File(string name, string content) => File(name, Encoding.UTF8.GetBytes(content));

        public void Dispose()
        {
            try { Directory.Delete(Root, true); } catch (IOException) { }
        }
    }

    public static class ReportFiles
    {
        public const string Ns9990 = "urn:ietf:params:xml:ns:dmarc-2.0";

        /// <summary>An RFC 7489-style report with <paramref name="rows"/> records (IPs 192.0.2.1..n, count i).</summary>
        public static string Report(string org, string id, int rows, string? ns = null, string domain = "example.com")
        {
            var sb = new StringBuilder();
            sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            sb.Append(ns == null ? "<feedback>\n" : $"<feedback xmlns=\"{ns}\">\n");
            sb.Append($"<version>1.0</version><report_metadata><org_name>{org}</org_name><email>dmarc@{org}</email><report_id>{id}</report_id>");
            sb.Append("<date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>\n");
            sb.Append($"<policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>s</aspf><p>reject</p><sp>quarantine</sp>");
            if (ns != null) sb.Append("<np>reject</np><testing>n</testing><discovery_method>treewalk</discovery_method>");
            sb.Append("</policy_published>\n");
            for (int i = 1; i <= rows; i++)
            {
                sb.Append($"<record><row><source_ip>192.0.2.{i % 250 + 1}</source_ip><count>{i}</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>");
                if (i % 2 == 0) sb.Append("<reason><type>forwarded</type><comment>list</comment></reason>");
                sb.Append($"</policy_evaluated></row><identifiers><envelope_from>bounce.{domain}</envelope_from><header_from>{domain}</header_from></identifiers>");
                sb.Append($"<auth_results><dkim><domain>{domain}</domain><selector>s{i}</selector><result>pass</result></dkim><spf><domain>bounce.{domain}</domain><scope>mfrom</scope><result>fail</result></spf></auth_results></record>\n");
            }
            sb.Append("</feedback>\n");
            return sb.ToString();
        }

        public static byte[] Gzip(byte[] data)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, true)) gz.Write(data, 0, data.Length);
            return ms.ToArray();
        }

        public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

        public static byte[] Zip(params (string Name, byte[] Data)[] members)
        {
            var ms = new MemoryStream();
            using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, true))
                foreach (var (name, data) in members)
                {
                    using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                    s.Write(data, 0, data.Length);
                }
            return ms.ToArray();
        }

        /// <summary>A stream of <paramref name="size"/> bytes: an XML start, then the same letter over and over (inside an
        /// element the reader skips, so that the decompression limit is what stops it, not the 64 KiB field limit).</summary>
        public static byte[] Bomb(int size)
        {
            var head = Encoding.ASCII.GetBytes("<?xml version=\"1.0\"?><feedback><report_metadata><extension>");
            var data = new byte[size];
            Array.Fill(data, (byte)'a');
            head.CopyTo(data, 0);
            return data;
        }

        public static MimeMessage Mail(string subject, params (string FileName, string MimeType, byte[] Data)[] attachments)
        {
            var m = new MimeMessage();
            m.From.Add(MailboxAddress.Parse("noreply-dmarc@reporter.example"));
            m.To.Add(MailboxAddress.Parse("dmarc@example.com"));
            m.Subject = subject;
            m.Date = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
            var body = new BodyBuilder { TextBody = "This is an aggregate report." };
            foreach (var (name, type, data) in attachments)
                body.Attachments.Add(name, data, ContentType.Parse(type));
            m.Body = body.ToMessageBody();
            return m;
        }

        public static byte[] Bytes(MimeMessage m)
        {
            var ms = new MemoryStream();
            m.WriteTo(ms);
            return ms.ToArray();
        }

        public static byte[] Mbox(params MimeMessage[] messages)
        {
            var ms = new MemoryStream();
            foreach (var m in messages)
            {
                var from = Encoding.ASCII.GetBytes("From noreply-dmarc@reporter.example Sun Nov 22 10:00:00 2026\n");
                ms.Write(from, 0, from.Length);
                var text = Encoding.UTF8.GetString(Bytes(m)).Replace("\r\n", "\n").Replace("\nFrom ", "\n>From ");
                var b = Encoding.UTF8.GetBytes(text + "\n");
                ms.Write(b, 0, b.Length);
            }
            return ms.ToArray();
        }

        public const string TlsRpt = @"{
  ""organization-name"": ""Company-X"",
  ""date-range"": { ""start-datetime"": ""2016-04-01T00:00:00Z"", ""end-datetime"": ""2016-04-01T23:59:59Z"" },
  ""contact-info"": ""sts-reporting@company-x.example"",
  ""report-id"": ""5065427c-23d3-47ca-b6e0-946ea0e8c4be"",
  ""policies"": [{
    ""policy"": {
      ""policy-type"": ""sts"",
      ""policy-string"": [""version: STSv1"", ""mode: testing"", ""mx: *.mail.company-y.example"", ""max_age: 86400""],
      ""policy-domain"": ""company-y.example"",
      ""mx-host"": [""*.mail.company-y.example""]
    },
    ""summary"": { ""total-successful-session-count"": 5326, ""total-failure-session-count"": 303 },
    ""failure-details"": [{
      ""result-type"": ""certificate-expired"",
      ""sending-mta-ip"": ""2001:db8:abcd:0012::1"",
      ""receiving-mx-hostname"": ""mx1.mail.company-y.example"",
      ""failed-session-count"": 100
    }, {
      ""result-type"": ""starttls-not-supported"",
      ""sending-mta-ip"": ""2001:db8:abcd:0013::1"",
      ""receiving-mx-hostname"": ""mx2.mail.company-y.example"",
      ""receiving-ip"": ""203.0.113.56"",
      ""failed-session-count"": 200,
      ""additional-information"": ""https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported""
    }, {
      ""result-type"": ""validation-failure"",
      ""sending-mta-ip"": ""198.51.100.62"",
      ""receiving-ip"": ""203.0.113.58"",
      ""receiving-mx-hostname"": ""mx-backup.mail.company-y.example"",
      ""failed-session-count"": 3,
      ""failure-reason-code"": ""X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED""
    }]
  }, {
    ""policy"": { ""policy-type"": ""no-policy-found"", ""policy-domain"": ""company-z.example"" },
    ""summary"": { ""total-successful-session-count"": 12, ""total-failure-session-count"": 0 }
  }]
}";
    }
}
