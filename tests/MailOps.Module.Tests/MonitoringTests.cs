using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>Import-MailBounce (and the other monitoring cmdlets) as a user types them.</summary>
    [Collection("Runspace")]
    public sealed class MonitoringTests : IDisposable
    {
        private readonly string _tmp = Path.Combine(Path.GetTempPath(), "mailops-monitor-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, object?> _vars;

        public MonitoringTests()
        {
            Directory.CreateDirectory(_tmp);
            _vars = new Dictionary<string, object?> { ["tmp"] = _tmp, ["fx"] = Paths.Fixture("bounces") };
        }

        public void Dispose()
        {
            try { Directory.Delete(_tmp, true); } catch (IOException) { }
        }

        private static string Fx(string name) => File.ReadAllText(Paths.Fixture("bounces", name));

        [Fact]
        public void Import_MailBounce_explains_each_failed_recipient_and_names_the_check_to_run()
        {
            var run = ModuleHost.Run("Import-MailBounce -LiteralPath ([System.IO.Path]::Combine($fx, 'postfix-dsn.eml')), ([System.IO.Path]::Combine($fx, 'exim-gmail.eml'))", _vars);
            Assert.True(run.Errors.Count == 0, string.Join("\n", run.Errors.Select(e => e.ToString() + " " + e.Exception)));
            Assert.Equal(3, run.Output.Count);
            Assert.Equal("MailOps.Bounces.BounceRecord", run.Output[0].TypeNames[0]);
            var alice = run.Output[0];
            Assert.Equal("alice@example.org", alice.Properties["Recipient"].Value);
            Assert.Equal("5.7.1", alice.Properties["Status"].Value);
            Assert.Equal(554, alice.Properties["ReplyCode"].Value);
            Assert.Equal("blocked", alice.Properties["Reason"].Value);
            Assert.Equal("Spamhaus", alice.Properties["Blocklist"].Value);
            Assert.Equal("Get-DnsblListing", alice.Properties["RemedyCommand"].Value);
            Assert.Equal("mx.example.org", alice.Properties["RemoteMta"].Value);
            Assert.Equal("<newsletter-2026-11@example.com>", alice.Properties["OriginalMessageId"].Value);
            Assert.Equal("news@example.com", alice.Properties["Sender"].Value);
            Assert.Equal("November newsletter", alice.Properties["Subject"].Value);
            Assert.Equal(false, alice.Properties["HardBounce"].Value);
            var bob = run.Output[1];
            Assert.Equal("userunknown", bob.Properties["Reason"].Value);
            Assert.Equal(true, bob.Properties["HardBounce"].Value);
            var carol = run.Output[2];
            Assert.Equal("carol@gmail.com", carol.Properties["Recipient"].Value);
            Assert.Equal("5.7.26", carol.Properties["Status"].Value);
            Assert.Equal("authfailure", carol.Properties["Reason"].Value);
            Assert.Equal("Gmail", carol.Properties["Provider"].Value);
            Assert.Contains("Test-MailDkim", (string)carol.Properties["Remedy"].Value);
        }

        [Fact]
        public void Import_MailBounce_reads_an_mbox_and_a_Maildir_by_content_and_goes_on_past_a_message_that_is_no_bounce()
        {
            // An mbox: From_ lines between the messages.
            var mbox = string.Join("\n", new[] { "postfix-dsn.eml", "not-a-bounce.eml", "auto-reply.eml", "arf.eml" }
                .Select(f => "From MAILER-DAEMON Mon Nov  2 10:15:02 2026\n" + Fx(f).Replace("\r\n", "\n").Replace("\nFrom ", "\n>From ") + "\n"));
            File.WriteAllText(Path.Combine(_tmp, "bounces.mbox"), mbox);
            // A Maildir: messages in cur/ and new/, named as a Maildir names them.
            var md = Path.Combine(_tmp, "Maildir");
            foreach (var sub in new[] { "cur", "new", "tmp" }) Directory.CreateDirectory(Path.Combine(md, sub));
            File.WriteAllText(Path.Combine(md, "cur", "1761999302.M1P1.host:2,S"), Fx("exim-gmail.eml"));
            File.WriteAllText(Path.Combine(md, "new", "1761999303.M2P1.host"), Fx("postfix-dsn.eml"));
            var run = ModuleHost.Run(@"
$m = Import-MailBounce -Path ([System.IO.Path]::Combine($tmp, 'bounces.mbox'))
$m | ForEach-Object { '{0}|{1}|{2}' -f $_.Kind, $_.Recipient, $_.Reason }
'--'
Import-MailBounce -Path ([System.IO.Path]::Combine($tmp, 'Maildir')) | ForEach-Object { '{0}|{1}' -f $_.Recipient, $_.Reason }", _vars);
            var lines = run.Output.Select(o => o.ToString()).ToList();
            Assert.Equal(new[]
            {
                "Bounce|alice@example.org|blocked", "Bounce|bob@example.net|userunknown",
                "AutoReply|dave@example.org|vacation", "FeedbackReport|erin@example.net|feedback", "--",
                "carol@gmail.com|authfailure", "alice@example.org|blocked", "bob@example.net|userunknown",
            }, lines);
            var error = Assert.Single(run.Errors);
            Assert.StartsWith("ReportNotRecognized", error.FullyQualifiedErrorId);
            Assert.Contains("message 2", error.ToString());
        }

        [Fact]
        public void Import_MailBounce_output_has_the_issue_properties_all_flat_for_Export_Csv()
        {
            var run = ModuleHost.Run("Import-MailBounce -LiteralPath ([System.IO.Path]::Combine($fx, 'exim-gmail.eml'))", _vars);
            var o = Assert.Single(run.Output);
            foreach (var col in new[] { "Recipient", "Status", "ReplyCode", "Diagnostic", "RemoteMta", "Reason", "HardBounce", "Provider", "Blocklist", "Action",
                "OriginalMessageId", "Sender", "Subject", "Date", "Path", "Remedy" })
                Assert.NotNull(o.Properties[col]);
            foreach (var p in o.Properties)
                Assert.True(p.Value == null || p.Value is string || p.Value.GetType().IsPrimitive || p.Value is DateTimeOffset, p.Name + " is " + p.Value?.GetType());
        }

        // ---- Get-MailDeliveryLog ----

        [Fact]
        public void Get_MailDeliveryLog_reads_files_and_piped_lines_into_the_same_classified_records()
        {
            var vars = new Dictionary<string, object?>(_vars) { ["log"] = Paths.Fixture("maillog", "mail.log") };
            var run = ModuleHost.Run(@"
Get-MailDeliveryLog -LiteralPath $log | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.QueueId, $_.To, $_.Status, $_.Reason }
'--'
[System.IO.File]::ReadAllLines($log) | Get-MailDeliveryLog | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.QueueId, $_.To, $_.Status, $_.Reason }
'--'
Get-MailDeliveryLog -Path ([System.IO.Path]::Combine($tmp, 'no-such.log'))", vars);
            var lines = run.Output.Select(o => o.ToString()).ToList();
            var split = lines.IndexOf("--");
            var fromFile = lines.Take(split).ToList();
            var piped = lines.Skip(split + 1).TakeWhile(l => l != "--").ToList();
            Assert.Equal(8, fromFile.Count);
            Assert.Equal(fromFile, piped);
            Assert.Contains("3F2A1C0B12|dave@outlook.com|bounced|blocked", fromFile);
            Assert.Contains("5A6B7C8D9E|erin@yahoo.com|expired|badreputation", fromFile);
            Assert.Equal("MailLogNotFound", Assert.Single(run.ErrorIds));
        }
    

        [Fact]
        public void Get_MailDeliveryLog_reports_a_gzip_rotation_cut_short_after_the_records_before_the_cut()
        {
            var gz = Path.Combine(_tmp, "mail.log.1.gz");
            using (var o = File.Create(gz))
            using (var z = new System.IO.Compression.GZipStream(o, System.IO.Compression.CompressionLevel.Optimal))
            {
                var b = File.ReadAllBytes(Paths.Fixture("maillog", "mail.log"));
                z.Write(b, 0, b.Length);
            }
            var bytes = File.ReadAllBytes(gz);
            File.WriteAllBytes(gz, bytes.Take(bytes.Length - 6).ToArray()); // the trailer cut off, as by a full disk
            var run = ModuleHost.Run("Get-MailDeliveryLog -LiteralPath $gz | ForEach-Object { $_.Status }", new Dictionary<string, object?>(_vars) { ["gz"] = gz });
            Assert.Equal(8, run.Output.Count);
            Assert.Equal("MailLogUnreadable", Assert.Single(run.ErrorIds));
            Assert.Contains("cut short", run.Errors[0].Exception.Message);
        }
    }
}
