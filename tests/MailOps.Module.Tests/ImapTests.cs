using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Testing;
using Xunit;

namespace MailOps.Module.Tests
{
    /// <summary>A real Dovecot (localhost, certificate from a test CA) for the IMAP import tests. Each test uses its own folder.</summary>
    public sealed class DovecotFixture : IDisposable
    {
        public DovecotFixture()
        {
            Ca = TestCertificates.CreateCa("MailOps IMAP Test CA");
            Leaf = TestCertificates.CreateLeaf(Ca, new[] { "localhost" });
            Server = DovecotServer.Unavailable() == null ? DovecotServer.Start(Leaf) : null;
            CaPath = Path.Combine(Path.GetTempPath(), $"mailops-ca-{Guid.NewGuid():N}.pem");
            File.WriteAllText(CaPath, TestCertificates.CertificatePem(Ca));
        }

        public System.Security.Cryptography.X509Certificates.X509Certificate2 Ca { get; }
        public System.Security.Cryptography.X509Certificates.X509Certificate2 Leaf { get; }
        /// <summary>Null when Dovecot cannot run here: the tests are [DovecotFact] and skip.</summary>
        public DovecotServer? Server { get; }
        public string CaPath { get; }

        public void Dispose()
        {
            Server?.Dispose();
            File.Delete(CaPath);
        }
    }

    /// <summary>Import-DmarcReport (and its siblings, through the shared base) -ImapServer against a real Dovecot and
    /// scripted IMAP peers on 127.0.0.1, as a user types it.</summary>
    [Collection("Runspace")]
    public sealed class ImapTests : IClassFixture<DovecotFixture>
    {
        /// <summary>The credential comes in as $c (no ConvertTo-SecureString in a hosted runspace).</summary>
        private const string Connect = "";
        private readonly DovecotFixture _fx;

        public ImapTests(DovecotFixture fx) => _fx = fx;

        private DovecotServer Dovecot => _fx.Server!;

        private Dictionary<string, object?> Vars(string folder, string? password = null) => new()
        {
            ["user"] = Dovecot.UserName,
            ["pass"] = password ?? Dovecot.Password,
            ["imaps"] = $"localhost:{Dovecot.ImplicitTlsPort}",
            ["imap"] = $"localhost:{Dovecot.Port}",
            ["ca"] = _fx.CaPath,
            ["folder"] = folder,
            ["c"] = new PSCredential(Dovecot.UserName, new System.Net.NetworkCredential("", password ?? Dovecot.Password).SecurePassword),
        };

        private static string Corpus => Path.Combine(Paths.Corpora!, "dmarc-aggregate", "aggregate");

        /// <summary>The corpus files that hold a readable report (not the deliberately broken one).</summary>
        private static string[] GoodReports() => Directory.GetFiles(Corpus).Where(f => !Path.GetFileName(f).StartsWith("invalid", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();

        private static string OneRowReport => Path.Combine(Corpus, "example.net!example.com!1529366400!1529452799.xml");

        private static DateTimeOffset MessageDate(int n) => new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(n);

        /// <summary>Message <paramref name="n"/> carrying <paramref name="file"/>. <see cref="OneRowReport"/> is sent as its own
        /// report each time (report id suffixed "-n"), as a reporter sends one report a day: the importers skip a report
        /// they have already read in the run (<see cref="ExactCopy"/> sends the same report again).</summary>
        private static byte[] Message(string file, int n)
        {
            if (file != OneRowReport) return DovecotServer.ReportMessage(file, $"report-{n}@reporter.test", MessageDate(n));
            var xml = File.ReadAllText(file).Replace("</report_id>", $"-{n}</report_id>");
            return DovecotServer.ReportMessage(Path.GetFileName(file), Encoding.UTF8.GetBytes(xml), $"report-{n}@reporter.test", MessageDate(n));
        }

        /// <summary>Message <paramref name="n"/> carrying exactly <paramref name="file"/> (a resent copy of a report).</summary>
        private static byte[] ExactCopy(string file, int n) => DovecotServer.ReportMessage(file, $"report-{n}@reporter.test", MessageDate(n));

        private void Fill(string folder, IEnumerable<string> files) => Dovecot.AddMessages(files.Select((f, i) => Message(f, i + 1)), folder);

        /// <summary>Every row property but where it came from, as one comparable line.</summary>
        private static string Key(PSObject row) => string.Join("|", row.Properties
            .Where(p => p.Name is not ("SourceFile" or "SourceEntry" or "ImapUid" or "MessageId" or "MessageDate"))
            .Select(p => p.Name + "=" + Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)));

        /// <summary>A DMARC failure report (RFC 6591 ARF, headers only) about a message <paramref name="id"/> from <paramref name="ip"/>.</summary>
        private static string Ruf(string id, string ip) =>
            $"From: dmarc-ruf@receiver.example\r\nTo: ruf@example.com\r\nMessage-ID: <ruf-{id}@receiver.example>\r\n" +
            $"Subject: DMARC failure report {id}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nA message failed DMARC.\r\n" +
            "--b\r\nContent-Type: message/feedback-report\r\n\r\n" +
            "Feedback-Type: auth-failure\r\nUser-Agent: Receiver/1\r\nVersion: 1\r\nOriginal-Mail-From: <bounce@example.com>\r\n" +
            $"Source-IP: {ip}\r\nAuth-Failure: dmarc\r\nDelivery-Result: reject\r\nReported-Domain: example.com\r\n\r\n" +
            "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
            $"From: billing@example.com\r\nTo: alice@receiver.example\r\nSubject: Invoice {id}\r\nMessage-ID: <{id}@bulk.example>\r\n\r\n--b--\r\n";

        [DovecotFact]
        public void Import_DmarcFailureReport_reads_ruf_messages_from_the_mailbox_and_marks_them_seen()
        {
            // Two failure reports (RFC 6591 ARF, headers only).
            const string folder = "Ruf";
            Dovecot.AddMessages(new[] { Encoding.ASCII.GetBytes(Ruf("one", "192.0.2.10")), Encoding.ASCII.GetBytes(Ruf("two", "192.0.2.11")) }, folder);
            var run = ModuleHost.Run("Import-DmarcFailureReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", Vars(folder));
            Assert.Empty(run.Errors);
            Assert.Equal(new object[] { "192.0.2.10", "192.0.2.11" }, run.Output.Select(o => o.Properties["SourceIP"].Value));
            Assert.Equal(new object[] { "<one@bulk.example>", "<two@bulk.example>" }, run.Output.Select(o => o.Properties["MessageId"].Value));
            Assert.All(run.Output, o => Assert.NotNull(o.Properties["ImapUid"].Value));
            Assert.Contains("ruf-one@receiver.example", (string)run.Output[0].Properties["ReportMessageId"].Value);
            Assert.All(Dovecot.Messages(folder), m => Assert.True(m.Seen, m.MessageId));
        }

        [DovecotFact("dmarc-aggregate")]
        public void Rows_read_from_the_mailbox_equal_the_rows_of_the_same_files()
        {
            Dovecot.AddMessages(GoodReports().Select((f, i) => ExactCopy(f, i + 1)), "Same");
            var vars = Vars("Same");
            vars["files"] = GoodReports();
            var files = ModuleHost.Run("Import-DmarcReport -LiteralPath $files", vars);
            var mail = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca", vars);
            Assert.Empty(files.Errors);
            Assert.Empty(mail.Errors);
            Assert.True(files.Output.Count >= GoodReports().Length, $"{files.Output.Count} rows from the files");
            Assert.Equal(files.Output.Select(Key).OrderBy(k => k, StringComparer.Ordinal), mail.Output.Select(Key).OrderBy(k => k, StringComparer.Ordinal));
            // File rows carry no mailbox; mailbox rows name server, folder and UID.
            Assert.All(files.Output, r => Assert.Null(r.Properties["ImapUid"].Value));
            Assert.All(mail.Output, r => Assert.Matches(@"^imaps://reports@localhost:\d+/Same;UIDVALIDITY=\d+/;UID=\d+$", (string)r.Properties["SourceFile"].Value));
        }

        [DovecotFact("dmarc-aggregate")]
        public void Each_row_carries_the_uid_message_id_and_date_of_its_message()
        {
            Fill("Stamp", new[] { OneRowReport, OneRowReport, OneRowReport });
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca", Vars("Stamp"));
            Assert.Empty(run.Errors);
            Assert.Equal(3, run.Output.Count);
            Assert.Equal(new uint?[] { 1, 2, 3 }, run.Output.Select(r => (uint?)r.Properties["ImapUid"].Value));
            Assert.Equal(new[] { "report-1@reporter.test", "report-2@reporter.test", "report-3@reporter.test" }, run.Output.Select(r => (string)r.Properties["MessageId"].Value));
            Assert.Equal(new DateTimeOffset(2024, 3, 1, 12, 2, 0, TimeSpan.Zero), (DateTimeOffset?)run.Output[1].Properties["MessageDate"].Value);
            // Reading never sets \Seen (BODY.PEEK[]), and -Processed Keep leaves the folder as it was.
            Assert.Equal(3, Dovecot.Messages("Stamp").Count(m => !m.Seen));
            // Write-Progress per message: n of total.
            Assert.Contains(run.Progress, p => p.StatusDescription.StartsWith("Message 3 of 3", StringComparison.Ordinal));
        }

        [DovecotFact("dmarc-aggregate")]
        public void MarkSeen_flags_imported_messages_leaves_a_broken_one_and_the_next_run_reads_only_unseen()
        {
            Fill("Seen", new[] { OneRowReport, Path.Combine(Corpus, "invalid_xml.xml"), OneRowReport });
            var vars = Vars("Seen");
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", vars);
            Assert.Equal(2, run.Output.Count);
            var error = Assert.Single(run.Errors);
            Assert.Equal("ReportMalformed", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("/Seen;UIDVALIDITY=", error.ToString());
            Assert.Contains(";UID=2", error.ToString());
            var state = Dovecot.Messages("Seen").ToDictionary(m => m.MessageId, m => m.Seen);
            Assert.True(state["report-1@reporter.test"]);
            Assert.False(state["report-2@reporter.test"]);
            Assert.True(state["report-3@reporter.test"]);
            var again = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", vars);
            Assert.Empty(again.Output);
            Assert.Single(again.Errors); // only the broken one is read again
        }

        [DovecotFact("dmarc-aggregate")]
        public void Move_archives_imported_messages_into_a_created_folder_and_leaves_a_broken_one()
        {
            Fill("Moving", new[] { OneRowReport, Path.Combine(Corpus, "invalid_xml.xml"), OneRowReport });
            var vars = Vars("Moving");
            var whatIf = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed Move -ArchiveFolder Moving-Done -WhatIf", vars);
            Assert.Equal(2, whatIf.Output.Count);
            Assert.Equal(3, Dovecot.Messages("Moving").Count);
            Assert.False(Directory.Exists(Path.Combine(Dovecot.Maildir, ".Moving-Done")), "-WhatIf created the archive folder");
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed Move -ArchiveFolder Moving-Done", vars);
            Assert.Equal(2, run.Output.Count);
            Assert.Single(run.Errors);
            Assert.Equal(new[] { "report-2@reporter.test" }, Dovecot.Messages("Moving").Select(m => m.MessageId));
            Assert.Equal(new[] { "report-1@reporter.test", "report-3@reporter.test" }, Dovecot.Messages("Moving-Done").Select(m => m.MessageId).OrderBy(m => m));
            var again = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed Move -ArchiveFolder Moving-Done", vars);
            Assert.Empty(again.Output);
            Assert.Single(again.Errors);
        }

        [DovecotFact]
        public void Move_without_an_archive_folder_is_refused_before_connecting()
        {
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Processed Move", Vars("INBOX"));
            Assert.Equal("ImapArchiveFolderRequired", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
        }

        [DovecotFact("dmarc-aggregate")]
        public void A_pipeline_ended_half_way_leaves_the_unprocessed_messages_where_they_were()
        {
            Fill("Half", Enumerable.Repeat(OneRowReport, 5));
            var run = ModuleHost.Run(Connect + "$n = 0; Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed Move -ArchiveFolder Half-Done | ForEach-Object { $n++; if ($n -eq 2) { throw 'enough' }; $_ }", Vars("Half"));
            Assert.NotNull(run.StatementTerminating);
            // Message 1's row was written and the message moved; message 2's row never got through, so it stays, with 3-5.
            Assert.Equal(new[] { "report-1@reporter.test" }, Dovecot.Messages("Half-Done").Select(m => m.MessageId));
            Assert.Equal(4, Dovecot.Messages("Half").Count);
        }

        [DovecotFact]
        public void A_wrong_password_is_an_authentication_error()
        {
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -TrustedCertificatePath $ca", Vars("INBOX", "wrong"));
            var e = Assert.Single(run.Errors);
            Assert.Equal("ImapAuthenticationFailed", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.AuthenticationError, e.CategoryInfo.Category);
            Assert.Empty(run.Output);
        }

        [DovecotFact]
        public void An_untrusted_certificate_is_refused_and_a_closed_port_is_a_connection_error()
        {
            var untrusted = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c", Vars("INBOX"));
            var e = Assert.Single(untrusted.Errors);
            Assert.Equal("ImapCertificateRejected", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.SecurityError, e.CategoryInfo.Category);
            var vars = Vars("INBOX");
            vars["closed"] = $"127.0.0.1:{ScriptedMailServer.ClosedPort()}";
            var closed = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $closed -Credential $c", vars);
            var c = Assert.Single(closed.Errors);
            Assert.Equal("ImapConnectFailed", c.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ConnectionError, c.CategoryInfo.Category);
        }

        [DovecotFact("dmarc-aggregate")]
        public void StartTls_on_the_plain_port_reads_the_same_rows()
        {
            Fill("Upgrade", new[] { OneRowReport });
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imap -ImapSecurity StartTls -Credential $c -Folder $folder -TrustedCertificatePath $ca", Vars("Upgrade"));
            Assert.Empty(run.Errors);
            var row = Assert.Single(run.Output);
            Assert.StartsWith("imap://", (string)row.Properties["SourceFile"].Value);
        }

        [DovecotFact("dmarc-aggregate")]
        public void Since_reads_only_the_messages_that_arrived_on_or_after_the_day()
        {
            Dovecot.AddMessages(new[] { Message(OneRowReport, 1) }, "Since", new DateTime(2020, 1, 1, 12, 0, 0, DateTimeKind.Utc));
            Dovecot.AddMessages(new[] { Message(OneRowReport, 2) }, "Since", DateTime.UtcNow);
            var vars = Vars("Since");
            vars["since"] = DateTime.UtcNow.Date.AddDays(-2);
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Since $since", vars);
            Assert.Empty(run.Errors);
            Assert.Equal("report-2@reporter.test", Assert.Single(run.Output).Properties["MessageId"].Value);
        }

        [DovecotFact]
        public void A_silent_server_is_a_timeout_and_ctrl_c_ends_the_wait_at_once()
        {
            using var silent = new HostilePeer(async (s, ct) => await Task.Delay(Timeout.Infinite, ct));
            var vars = Vars("INBOX");
            vars["silent"] = $"127.0.0.1:{silent.Port}";
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $silent -Credential $c -TimeoutSec 1", vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("ImapTimeout", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
            var took = ModuleHost.RunAndStop(Connect + "Import-DmarcReport -ImapServer $silent -Credential $c -TimeoutSec 600", vars, TimeSpan.FromMilliseconds(500));
            Assert.True(took < TimeSpan.FromSeconds(1), $"Ctrl+C took {took.TotalMilliseconds:0} ms");
        }

        [DovecotFact("dmarc-aggregate")]
        public void A_message_over_the_size_limit_is_not_fetched_and_stays_unseen()
        {
            Fill("Big", new[] { OneRowReport });
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen -MaxDecompressedSize 1024", Vars("Big"));
            Assert.Empty(run.Output);
            var e = Assert.Single(run.Errors);
            Assert.Equal("ReportTooLarge", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("was not fetched", e.ToString());
            Assert.False(Assert.Single(Dovecot.Messages("Big")).Seen);
        }

        [DovecotFact]
        public void A_missing_folder_is_folder_not_found()
        {
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca", Vars("No-Such-Folder"));
            var e = Assert.Single(run.Errors);
            Assert.Equal("ImapFolderNotFound", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        }

        [DovecotFact("dmarc-aggregate")]
        public void A_thousand_messages_are_imported()
        {
            Fill("Thousand", Enumerable.Repeat(OneRowReport, 1000));
            var sw = Stopwatch.StartNew();
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", Vars("Thousand"));
            sw.Stop();
            Assert.Empty(run.Errors);
            Assert.Equal(1000, run.Output.Count);
            Assert.Equal(1000, run.Output.Select(r => (uint?)r.Properties["ImapUid"].Value).Distinct().Count());
            Assert.All(Dovecot.Messages("Thousand"), m => Assert.True(m.Seen));
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(2), $"1,000 messages took {sw.Elapsed}");
        }

        [DovecotFact("dmarc-aggregate")]
        public void A_resent_report_is_read_once_and_archived_with_the_first_and_ExcludeReportId_applies_as_for_files()
        {
            Dovecot.AddMessages(new[] { ExactCopy(OneRowReport, 1), ExactCopy(OneRowReport, 2), Message(OneRowReport, 3) }, "Resent");
            var vars = Vars("Resent");
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen -Verbose", vars);
            Assert.Empty(run.Errors);
            // The same report twice (a resend) gives its rows once, as two files of it would.
            Assert.Equal(new uint?[] { 1, 3 }, run.Output.Select(r => (uint?)r.Properties["ImapUid"].Value));
            Assert.Contains(run.Verbose, v => v.Message.Contains("b043f0e264cf4ea995e93765242f6dfb") && v.Message.Contains("UID=1"));
            // The copy was read whole, so it is processed like the others: nothing is left to read again tomorrow.
            Assert.All(Dovecot.Messages("Resent"), m => Assert.True(m.Seen));

            Dovecot.AddMessages(new[] { Message(OneRowReport, 4), Message(OneRowReport, 5) }, "Excluded");
            var excluded = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -ExcludeReportId 'b043f0e264cf4ea995e93765242f6dfb-4'", Vars("Excluded"));
            Assert.Empty(excluded.Errors);
            Assert.Equal(new uint?[] { 2 }, excluded.Output.Select(r => (uint?)r.Properties["ImapUid"].Value));
        }

        [DovecotFact("dmarc-aggregate")]
        public void In_a_mixed_folder_each_importer_reads_its_kind_and_leaves_the_other_for_its_run()
        {
            Dovecot.AddMessages(new[] { Encoding.ASCII.GetBytes(Ruf("one", "192.0.2.10")), Message(OneRowReport, 2) }, "Kinds");
            var vars = Vars("Kinds");
            var aggregate = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", vars);
            // The failure report is not an error for the aggregate importer: a warning, and the message stays unread for its own run.
            Assert.Empty(aggregate.Errors);
            Assert.Equal(new uint?[] { 2 }, aggregate.Output.Select(r => (uint?)r.Properties["ImapUid"].Value));
            Assert.Contains(aggregate.Warnings, w => w.Message.Contains("another kind of report"));
            var seen = Dovecot.Messages("Kinds").ToDictionary(m => m.MessageId, m => m.Seen);
            Assert.False(seen["ruf-one@receiver.example"]);
            Assert.True(seen["report-2@reporter.test"]);
            var failure = ModuleHost.Run(Connect + "Import-DmarcFailureReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca -Processed MarkSeen", vars);
            Assert.Empty(failure.Errors);
            Assert.Equal(new object[] { "192.0.2.10" }, failure.Output.Select(o => o.Properties["SourceIP"].Value));
            Assert.All(Dovecot.Messages("Kinds"), m => Assert.True(m.Seen, m.MessageId));
        }

        [DovecotFact("dmarc-aggregate")]
        public void TlsRpt_and_bounce_importers_read_the_mailbox_through_the_same_base()
        {
            Fill("Mixed", new[] { OneRowReport });
            var run = ModuleHost.Run(Connect + "Import-MailBounce -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca; Import-TlsRptReport -ImapServer $imaps -Credential $c -Folder $folder -TrustedCertificatePath $ca", Vars("Mixed"));
            // A DMARC report is neither a bounce nor a TLS report: one error from each, naming the message.
            Assert.Equal(2, run.Errors.Count);
            Assert.All(run.Errors, e => Assert.Contains("/Mixed;UIDVALIDITY=", e.ToString()));
        }

        /// <summary>A scripted IMAP server: greeting, CAPABILITY, AUTHENTICATE/LOGIN, LIST, SELECT, SEARCH, FETCH; each
        /// command is recorded. <paramref name="dropOnBody"/>: the connection is cut in the middle of the message literal.</summary>
        private static Func<Stream, CancellationToken, Task> ImapScript(ConcurrentQueue<string> commands, string capabilities, bool dropOnBody) => async (s, ct) =>
        {
            var reader = new StreamReader(s, Encoding.ASCII);
            async Task Send(string text)
            {
                var b = Encoding.ASCII.GetBytes(text);
                await s.WriteAsync(b, ct);
                await s.FlushAsync(ct);
            }
            await Send($"* OK [CAPABILITY {capabilities}] scripted\r\n");
            while (true)
            {
                var line = await reader.ReadLineAsync(ct);
                if (line == null) return;
                commands.Enqueue(line);
                var parts = line.Split(' ', 3);
                if (parts.Length < 2) continue;
                var tag = parts[0];
                var cmd = parts[1].ToUpperInvariant();
                var rest = parts.Length > 2 ? parts[2] : "";
                if (cmd == "UID") { var p2 = rest.Split(' ', 2); cmd = "UID " + p2[0].ToUpperInvariant(); rest = p2.Length > 1 ? p2[1] : ""; }
                switch (cmd)
                {
                    case "CAPABILITY":
                        await Send($"* CAPABILITY {capabilities}\r\n{tag} OK done\r\n");
                        break;
                    case "AUTHENTICATE":
                        if (!rest.Contains(' ')) { await Send("+ \r\n"); commands.Enqueue(await reader.ReadLineAsync(ct) ?? ""); }
                        await Send($"{tag} OK [CAPABILITY IMAP4rev1] logged in\r\n");
                        break;
                    case "LIST":
                        await Send(rest.EndsWith("\"\"", StringComparison.Ordinal) ? "* LIST (\\Noselect) \"/\" \"\"\r\n" : "* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
                        await Send($"{tag} OK done\r\n");
                        break;
                    case "SELECT":
                    case "EXAMINE":
                        await Send($"* 2 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 3] n\r\n* FLAGS (\\Seen \\Deleted)\r\n{tag} OK [READ-WRITE] selected\r\n");
                        break;
                    case "UID SEARCH":
                        await Send($"* SEARCH 1 2\r\n{tag} OK done\r\n");
                        break;
                    case "UID FETCH" when rest.Contains("BODY.PEEK[]", StringComparison.OrdinalIgnoreCase):
                        if (dropOnBody)
                        {
                            await Send("* 1 FETCH (UID 1 BODY[] {5000}\r\nFrom: a@b.test\r\nSubject: cut\r\n");
                            return; // the connection goes away mid-literal
                        }
                        await Send($"{tag} OK done\r\n");
                        break;
                    case "UID FETCH":
                        await Send("* 1 FETCH (UID 1 ENVELOPE (\"Fri, 1 Mar 2024 12:00:00 +0000\" \"r\" NIL NIL NIL NIL NIL NIL NIL \"<m1@x.test>\"))\r\n" +
                                   "* 2 FETCH (UID 2 ENVELOPE (\"Fri, 1 Mar 2024 12:01:00 +0000\" \"r\" NIL NIL NIL NIL NIL NIL NIL \"<m2@x.test>\"))\r\n" +
                                   $"{tag} OK done\r\n");
                        break;
                    case "LOGOUT":
                        await Send($"* BYE\r\n{tag} OK bye\r\n");
                        return;
                    default:
                        await Send($"{tag} OK done\r\n");
                        break;
                }
            }
        };

        [DovecotFact]
        public void A_server_without_starttls_is_refused_before_any_credential_is_sent()
        {
            var commands = new ConcurrentQueue<string>();
            using var peer = new HostilePeer(ImapScript(commands, "IMAP4rev1 AUTH=PLAIN", false));
            var vars = Vars("INBOX");
            vars["plain"] = $"127.0.0.1:{peer.Port}";
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $plain -ImapSecurity StartTls -Credential $c", vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("ImapTlsUnavailable", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.SecurityError, e.CategoryInfo.Category);
            Assert.DoesNotContain(commands, c => c.Contains("AUTHENTICATE", StringComparison.OrdinalIgnoreCase) || c.Contains("LOGIN", StringComparison.OrdinalIgnoreCase)
                || c.Contains(Convert.ToBase64String(Encoding.ASCII.GetBytes("\0reports\0")).TrimEnd('='), StringComparison.Ordinal));
        }

        [DovecotFact]
        public void A_connection_dropped_mid_fetch_is_an_error_and_nothing_is_flagged()
        {
            var commands = new ConcurrentQueue<string>();
            using var peer = new HostilePeer(ImapScript(commands, "IMAP4rev1 AUTH=PLAIN", true), _fx.Leaf);
            var vars = Vars("INBOX");
            vars["tls"] = $"localhost:{peer.Port}";
            var run = ModuleHost.Run(Connect + "Import-DmarcReport -ImapServer $tls -Credential $c -TrustedCertificatePath $ca -Processed MarkSeen; 'after'", vars);
            var e = Assert.Single(run.Errors);
            Assert.Equal("ImapConnectionLost", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
            Assert.Equal("after", Assert.Single(run.Output).BaseObject);
            Assert.Contains(commands, c => c.Contains("BODY.PEEK[]", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(commands, c => c.Contains("STORE", StringComparison.OrdinalIgnoreCase) || c.Contains("MOVE", StringComparison.OrdinalIgnoreCase));
        }
    }
}
