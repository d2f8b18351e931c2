using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace MailOps.Testing
{
    /// <summary>
    /// A mail log written by a real Postfix (<see cref="PostfixRelay"/>) relaying to scripted loopback sinks whose replies
    /// are real provider texts from the bounce corpus (../shared/corpora/bounces):
    /// <list type="bullet">
    /// <item>accept.test: 250 for everything (two recipients of one message, the mixed message's second recipient and
    /// the non-delivery notifications Postfix sends back to the sender);</item>
    /// <item>greylist.test: 451 4.7.1 at RCPT on the first attempt, 250 after (deferred, then sent);</item>
    /// <item>yahoo.test: a 421 4.7.0 [TSS04] banner every time (lhost-opensmtpd-13.eml), so the message is deferred until
    /// it expires ("status=expired, returned to sender");</item>
    /// <item>outlook.test: 550 5.7.606 banned sending IP at RCPT (rhost-microsoft-01.eml): bounced;</item>
    /// <item>gmail.test: 250 at RCPT, then the multi-line 550-5.7.26 DMARC reply after DATA (lhost-postfix-70.eml): bounced.</item>
    /// </list>
    /// The log is copied to <see cref="LogPath"/> once Postfix's queue is empty, and Postfix is stopped.
    /// </summary>
    public sealed class PostfixDeliveryScenario : IDisposable
    {
        public const string Sender = "shop@accept.test";

        public const string YahooBanner = "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes";

        public const string MicrosoftReject = "550 5.7.606 Access denied, banned sending IP [192.0.2.225]. To request removal from this list please visit https://sender.office.com and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609) [NEKONYAAN.CAT-JPN22.prod.protection.outlook.com]";

        public static readonly string[] GmailDmarcReject =
        {
            "550-5.7.26 Unauthenticated email from libsisimai.org is not accepted due to",
            "550-5.7.26 domain's DMARC policy. Please contact the administrator of",
            "550-5.7.26 libsisimai.org domain if this was a legitimate mail. Please",
            "550-5.7.26 visit  https://support.google.com/mail/answer/2451690 to learn",
            "550 5.7.26 about the DMARC initiative. z2si1584129pfn.61 - gsmtp",
        };

        /// <summary>Postgrey's reply through a Postfix check_policy_service (the form most greylisting receivers send).</summary>
        public static string GreylistReply(string address) => $"451 4.7.1 <{address}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/greylist.test.html";

        private readonly List<ScriptedMailServer> _sinks = new();
        private readonly string _dir;

        /// <summary>Why the scenario cannot run here (no Postfix, no pflogsumm, not root), or null.</summary>
        public static string? Unavailable()
        {
            var why = PostfixServer.Unavailable();
            if (why != null) return why;
            if (!File.Exists(Pflogsumm)) return $"pflogsumm is not installed ({Pflogsumm} not found). Install the Debian package: apt-get install -y pflogsumm (.ci/run installs it in CI).";
            return null;
        }

        public const string Pflogsumm = "/usr/sbin/pflogsumm";

        public PostfixDeliveryScenario()
        {
            _dir = Path.Combine(Path.GetTempPath(), "mailops-scenario-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            Directory.CreateDirectory(_dir);
            var started = DateTime.UtcNow;
            var accept = Sink(new ScriptedMailServer { EhloName = "mx.accept.test", RcptReply = _ => "250 2.1.5 Ok" });
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var greylist = Sink(new ScriptedMailServer
            {
                EhloName = "mx.greylist.test",
                RcptReply = a => { lock (seen) return seen.Add(a) ? GreylistReply(a) : "250 2.1.5 Ok"; },
            });
            var yahoo = Sink(new ScriptedMailServer { Banner = YahooBanner, RcptReply = _ => "250 2.1.5 Ok" });
            var outlook = Sink(new ScriptedMailServer { EhloName = "outlook.test", RcptReply = _ => MicrosoftReject });
            var gmail = Sink(new ScriptedMailServer { EhloName = "mx.google.test", RcptReply = _ => "250 2.1.5 OK", DataReply = string.Join("\r\n", GmailDmarcReject) });
            var routes = new Dictionary<string, int>
            {
                ["accept.test"] = accept.Port, ["greylist.test"] = greylist.Port, ["yahoo.test"] = yahoo.Port,
                ["outlook.test"] = outlook.Port, ["gmail.test"] = gmail.Port,
            };
            Ports = routes;
            using (var relay = PostfixRelay.Start(routes, TimeSpan.FromSeconds(4)))
            {
                relay.Submit(Sender, new[] { "a@accept.test", "b@accept.test" }, "<order-1@accept.test>");
                relay.Submit(Sender, new[] { "d@greylist.test" }, "<order-2@accept.test>");
                relay.Submit(Sender, new[] { "c@yahoo.test" }, "<order-3@accept.test>");
                relay.Submit(Sender, new[] { "e@outlook.test" }, "<order-4@accept.test>");
                relay.Submit(Sender, new[] { "f@gmail.test", "g@accept.test" }, "<order-5@accept.test>");
                relay.WaitForEmptyQueue(TimeSpan.FromSeconds(90));   // ~10 s on a quiet machine; generous for a loaded CI box
                File.Copy(relay.LogPath, LogPath);
                AcceptedBySinks = accept.Accepted.Count;
                // Postfix's own non-delivery notifications to the sender (from MAILER-DAEMON), as the sender's mailbox gets them.
                var notices = new List<string>();
                lock (accept.Accepted)
                    foreach (var m in accept.Accepted)
                        if (System.Text.RegularExpressions.Regex.IsMatch(m, @"^From:[^\r\n]*MAILER-DAEMON", System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.IgnoreCase))
                        {
                            var path = Path.Combine(_dir, $"notice-{notices.Count + 1}.eml");
                            File.WriteAllText(path, m);
                            notices.Add(path);
                        }
                NoticePaths = notices;
            }
            Elapsed = DateTime.UtcNow - started;
        }

        private ScriptedMailServer Sink(ScriptedMailServer s)
        {
            _sinks.Add(s);
            return s.Start();
        }

        /// <summary>The log Postfix wrote (a copy, kept until Dispose).</summary>
        public string LogPath => Path.Combine(_dir, "mail.log");

        /// <summary>Recipient domain → the loopback port of its sink (the port in the log's relay=).</summary>
        public IReadOnlyDictionary<string, int> Ports { get; }

        /// <summary>The non-delivery notifications Postfix sent back to <see cref="Sender"/>, each saved as an .eml file.</summary>
        public IReadOnlyList<string> NoticePaths { get; } = new List<string>();

        /// <summary>Messages the accept.test sink took (deliveries and non-delivery notifications).</summary>
        public int AcceptedBySinks { get; }

        public TimeSpan Elapsed { get; }

        /// <summary>pflogsumm's report on the log.</summary>
        public string PflogsummReport()
        {
            var (code, output) = PostfixServer.Run(Pflogsumm, $"\"{LogPath}\"");
            if (code != 0) throw new InvalidOperationException($"pflogsumm failed ({code}): {output}");
            return output;
        }

        public void Dispose()
        {
            foreach (var s in _sinks) s.Dispose();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }
}
