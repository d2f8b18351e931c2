using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace MailOps.Testing
{
    /// <summary>
    /// A real Postfix (Debian package) that relays: its own config, queue and data directories in a temporary folder, an
    /// smtpd on a free 127.0.0.1 port that accepts mail from loopback, and a transport map that sends each recipient
    /// domain to a loopback port (a <see cref="ScriptedMailServer"/> sink). Postfix writes its own log file
    /// (maillog_file via postlogd, no syslog needed) in the usual RFC 3164 format. Queue runs every second and the queue
    /// lifetime is short, so a message that keeps being deferred expires within seconds ("status=expired, returned to
    /// sender"). Needs root, like <see cref="PostfixServer"/>; check <see cref="PostfixServer.Unavailable"/> first.
    /// </summary>
    public sealed class PostfixRelay : IDisposable
    {
        private readonly string _dir;

        private PostfixRelay(string dir, int port)
        {
            _dir = dir;
            Port = port;
        }

        /// <summary>The smtpd listener on 127.0.0.1.</summary>
        public int Port { get; }

        public string Directory => _dir;

        /// <summary>The log file Postfix writes (maillog_file).</summary>
        public string LogPath => Path.Combine(_dir, "postfix.log");

        public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

        private string Conf => Path.Combine(_dir, "conf");

        /// <summary>Starts Postfix. <paramref name="routes"/>: recipient domain → loopback port of its sink.</summary>
        public static PostfixRelay Start(IReadOnlyDictionary<string, int> routes, TimeSpan queueLifetime, string hostName = "mail.test")
        {
            var why = PostfixServer.Unavailable();
            if (why != null) throw new InvalidOperationException(why);
            var dir = Path.Combine(Path.GetTempPath(), "mailops-relay-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            foreach (var sub in new[] { "conf", "queue", "data" }) System.IO.Directory.CreateDirectory(Path.Combine(dir, sub));
            var port = PostfixServer.FreePort();
            var conf = Path.Combine(dir, "conf");
            var transport = string.Join(", ", routes.Select(r => $"{r.Key}=smtp:[127.0.0.1]:{r.Value}"));
            var lifetime = Math.Max(1, (int)queueLifetime.TotalSeconds) + "s";
            File.WriteAllText(Path.Combine(conf, "main.cf"), $@"compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {hostName}
myorigin = $myhostname
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_banner = $myhostname ESMTP MailOps test relay
transport_maps = inline:{{ {transport} }}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
queue_run_delay = 1s
# 2 s, not 1 s: with 1 s qmgr re-scanned a deferred message while its slow delivery (a loaded machine) was still running,
# logged 'skipped, still being delivered' and never tried it again. Short SMTP timeouts: a stuck sink costs 5 s, not 300.
minimal_backoff_time = 2s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
smtp_helo_timeout = 5s
maximal_queue_lifetime = {lifetime}
bounce_queue_lifetime = {lifetime}
maillog_file = {dir}/postfix.log
maillog_file_prefixes = {dir}
");
            // The services a relaying Postfix needs (Debian's master.cf), without chroot.
            File.WriteAllText(Path.Combine(conf, "master.cf"), $@"127.0.0.1:{port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
");
            PostfixServer.Run("chown", $"postfix \"{dir}/data\"");
            var relay = new PostfixRelay(dir, port);
            var (code, output) = PostfixServer.Run(PostfixServer.PostfixBinary, $"-c \"{conf}\" start");
            if (code != 0)
            {
                var log = relay.Log;
                relay.Dispose();
                throw new InvalidOperationException($"postfix -c {conf} start failed ({code}): {output} {log}");
            }
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!PostfixServer.Listening(port))
            {
                if (DateTime.UtcNow > deadline)
                {
                    var log = relay.Log;
                    relay.Dispose();
                    throw new InvalidOperationException($"Postfix did not start listening on 127.0.0.1:{port}: {log}");
                }
                Thread.Sleep(100);
            }
            return relay;
        }

        /// <summary>Submits one message over SMTP to the relay's smtpd (as a mail client on loopback would).</summary>
        public void Submit(string from, IReadOnlyList<string> to, string messageId, string subject = "MailOps test")
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            using var stream = client.GetStream();
            stream.ReadTimeout = 10000;
            using var reader = new StreamReader(stream, Encoding.ASCII);
            string Reply()
            {
                string? line;
                do { line = reader.ReadLine() ?? throw new IOException("The relay closed the connection."); }
                while (line.Length > 3 && line[3] == '-');
                return line;
            }
            void Send(string line, string expect)
            {
                var b = Encoding.ASCII.GetBytes(line + "\r\n");
                stream.Write(b, 0, b.Length);
                var r = Reply();
                if (!r.StartsWith(expect, StringComparison.Ordinal)) throw new IOException($"The relay answered {line.Split(' ')[0]} with: {r}");
            }
            var banner = Reply();
            if (!banner.StartsWith("220", StringComparison.Ordinal)) throw new IOException("Relay banner: " + banner);
            Send("EHLO client.test", "250");
            Send($"MAIL FROM:<{from}>", "250");
            foreach (var t in to) Send($"RCPT TO:<{t}>", "250");
            Send("DATA", "354");
            Send($"From: <{from}>\r\nTo: {string.Join(", ", to.Select(t => "<" + t + ">"))}\r\nSubject: {subject}\r\nMessage-ID: {messageId}\r\n" +
                 $"Date: {DateTimeOffset.UtcNow:R}\r\n\r\nA test message from the MailOps log tests.\r\n.", "250");
            Send("QUIT", "221");
        }

        /// <summary>True when the queue is empty (postqueue -p): every message delivered, bounced or expired.</summary>
        public bool QueueEmpty()
        {
            var (code, output) = PostfixServer.Run("/usr/sbin/postqueue", $"-c \"{Conf}\" -p");
            return code == 0 && output.Contains("Mail queue is empty", StringComparison.Ordinal);
        }

        /// <summary>Waits until the queue is empty; throws with the log when it is not by then.</summary>
        public void WaitForEmptyQueue(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!QueueEmpty() || !AllRemoved(Log))
            {
                if (DateTime.UtcNow > deadline)
                {
                    var (_, queue) = PostfixServer.Run("/usr/sbin/postqueue", $"-c \"{Conf}\" -p");
                    throw new TimeoutException($"The Postfix queue did not empty within {timeout.TotalSeconds} s. Queue:\n{queue}\nLog:\n{Log}");
                }
                Thread.Sleep(250);
            }
        }

        /// <summary>Every queue id the log names has its "removed" line (postlogd writes asynchronously).</summary>
        private static bool AllRemoved(string log)
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var removed = new HashSet<string>(StringComparer.Ordinal);
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(log, @"postfix/\w+\[\d+\]: ([0-9A-F]{6,}): (removed)?"))
                (m.Groups[2].Success ? removed : ids).Add(m.Groups[1].Value);
            return ids.All(removed.Contains);
        }

        public void Dispose()
        {
            try { PostfixServer.Run(PostfixServer.PostfixBinary, $"-c \"{Conf}\" stop"); } catch (Exception) { }
            try { System.IO.Directory.Delete(_dir, true); } catch (Exception) { }
        }
    }
}
