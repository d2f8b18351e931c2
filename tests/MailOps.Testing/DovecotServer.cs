using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using Xunit;

namespace MailOps.Testing
{
    /// <summary>
    /// A real Dovecot IMAP server (Debian package "dovecot-imapd") on 127.0.0.1: its own dovecot.conf, base_dir, state_dir,
    /// log and Maildir in a temporary folder; two listeners on free high ports - plain IMAP with STARTTLS (like 143) and
    /// IMAPS (like 993) - with a certificate made by the test; one user from a passwd-file. Started in the foreground with
    /// `dovecot -F -c CONF`, stopped with `dovecot -c CONF stop` on dispose. As root (CI) the login and internal processes
    /// run as Debian's dovenull and dovecot users and the mail as dovecot; as another user everything runs as that user.
    /// Mail is put in place by writing Maildir files directly (<see cref="AddMessages"/>), and read back the same way.
    /// </summary>
    public sealed class DovecotServer : IDisposable
    {
        public const string DovecotBinary = "/usr/sbin/dovecot";

        private readonly string _dir;
        private readonly Process _process;
        private int _next;

        private DovecotServer(string dir, Process process, int port, int tlsPort, int authPort, string user, string password)
        {
            _dir = dir;
            _process = process;
            Port = port;
            ImplicitTlsPort = tlsPort;
            AuthPort = authPort;
            UserName = user;
            Password = password;
        }

        /// <summary>Plain IMAP; STARTTLS offered (and required before login).</summary>
        public int Port { get; }

        /// <summary>IMAPS: TLS from the first byte.</summary>
        public int ImplicitTlsPort { get; }

        /// <summary>Dovecot's SASL authentication service on 127.0.0.1 (the protocol Postfix speaks with smtpd_sasl_type =
        /// dovecot, smtpd_sasl_path = inet:127.0.0.1:port): the same user and password as IMAP, for a real SMTP AUTH.</summary>
        public int AuthPort { get; }

        public string UserName { get; }
        public string Password { get; }

        public string Directory => _dir;

        /// <summary>The user's Maildir.</summary>
        public string Maildir => Path.Combine(_dir, "home", UserName, "Maildir");

        public string Log => File.Exists(Path.Combine(_dir, "dovecot.log")) ? File.ReadAllText(Path.Combine(_dir, "dovecot.log")) : "";

        /// <summary>Why Dovecot cannot run here, or null when it can.</summary>
        public static string? Unavailable()
        {
            if (!File.Exists(DovecotBinary) || !File.Exists("/usr/lib/dovecot/imap"))
                return $"Dovecot IMAP is not installed ({DovecotBinary} or /usr/lib/dovecot/imap not found). Install the Debian package: apt-get install -y dovecot-imapd (.ci/run installs it in CI).";
            return null;
        }

        private static bool IsRoot() => Environment.UserName == "root";

        /// <summary>Starts Dovecot with <paramref name="certificate"/> (with private key) and <paramref name="chain"/>.</summary>
        public static DovecotServer Start(X509Certificate2 certificate, X509Certificate2[]? chain = null, string user = "reports", string password = "s3cret-Passw0rd")
        {
            var why = Unavailable();
            if (why != null) throw new InvalidOperationException(why);
            var dir = Path.Combine(Path.GetTempPath(), "mailops-dovecot-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            foreach (var d in new[] { "run", "state", "home" }) System.IO.Directory.CreateDirectory(Path.Combine(dir, d));
            var maildir = Path.Combine(dir, "home", user, "Maildir");
            foreach (var d in new[] { "cur", "new", "tmp" }) System.IO.Directory.CreateDirectory(Path.Combine(maildir, d));
            var port = PostfixServer.FreePort();
            var tlsPort = PostfixServer.FreePort(port);
            var authPort = PostfixServer.FreePort(port, tlsPort);
            File.WriteAllText(Path.Combine(dir, "cert.pem"), TestCertificates.CertificatePem(new[] { certificate }.Concat(chain ?? Array.Empty<X509Certificate2>()).ToArray()));
            File.WriteAllText(Path.Combine(dir, "key.pem"), TestCertificates.KeyPem(certificate));
            File.WriteAllText(Path.Combine(dir, "passwd"), $"{user}:{{PLAIN}}{password}\n");
            var root = IsRoot();
            var me = Environment.UserName;
            var loginUser = root ? "dovenull" : me;
            var internalUser = root ? "dovecot" : me;
            var conf = Path.Combine(dir, "dovecot.conf");
            File.WriteAllText(conf, $@"# MailOps test Dovecot: everything in {dir}
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = {loginUser}
default_internal_user = {internalUser}
default_internal_group = {internalUser}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={internalUser} gid={internalUser} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tlsPort}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service auth {{
  inet_listener sasl {{
    address = 127.0.0.1
    port = {authPort}
  }}
}}
service auth-worker {{
  user = {(root ? "root" : me)}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
");
            if (root) PostfixServer.Run("chown", $"-R {internalUser}:{internalUser} \"{Path.Combine(dir, "home")}\"");
            var psi = new ProcessStartInfo(DovecotBinary, $"-F -c \"{conf}\"") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var process = Process.Start(psi)!;
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new DovecotServer(dir, process, port, tlsPort, authPort, user, password);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!PostfixServer.Listening(port) || !PostfixServer.Listening(tlsPort) || !PostfixServer.Listening(authPort))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    string said;
                    lock (output) said = output.ToString();
                    var log = server.Log;
                    server.Dispose();
                    throw new InvalidOperationException($"Dovecot did not start listening on 127.0.0.1:{port}/{tlsPort}: {said} {log}");
                }
                Thread.Sleep(50);
            }
            return server;
        }

        private string FolderPath(string folder) =>
            folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? Maildir : Path.Combine(Maildir, "." + folder.Replace('/', '.'));

        /// <summary>Delivers messages into <paramref name="folder"/> (INBOX or a Maildir++ sub-folder, created) by writing
        /// Maildir files in new/; Dovecot gives them UIDs in this order when it next looks. <paramref name="arrived"/>: their
        /// arrival date (UTC). Returns the file names.</summary>
        public IReadOnlyList<string> AddMessages(IEnumerable<byte[]> messages, string folder = "INBOX", DateTime? arrived = null)
        {
            var path = FolderPath(folder);
            foreach (var d in new[] { "cur", "new", "tmp" }) System.IO.Directory.CreateDirectory(Path.Combine(path, d));
            var names = new List<string>();
            foreach (var m in messages)
            {
                var name = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.M{Interlocked.Increment(ref _next):D7}.mailops-test";
                File.WriteAllBytes(Path.Combine(path, "tmp", name), m);
                // A Maildir message's arrival date (IMAP INTERNALDATE, what SEARCH SINCE looks at) is its file's mtime.
                if (arrived.HasValue) File.SetLastWriteTimeUtc(Path.Combine(path, "tmp", name), arrived.Value);
                File.Move(Path.Combine(path, "tmp", name), Path.Combine(path, "new", name));
                names.Add(name);
            }
            if (IsRoot()) PostfixServer.Run("chown", $"-R dovecot:dovecot \"{Maildir}\"");
            return names;
        }

        /// <summary>The messages in <paramref name="folder"/> now, as (Message-ID header, seen) read from the Maildir files.</summary>
        public IReadOnlyList<(string MessageId, bool Seen)> Messages(string folder = "INBOX")
        {
            var path = FolderPath(folder);
            var result = new List<(string, bool)>();
            foreach (var sub in new[] { "new", "cur" })
            {
                var d = Path.Combine(path, sub);
                if (!System.IO.Directory.Exists(d)) continue;
                foreach (var f in System.IO.Directory.EnumerateFiles(d).OrderBy(f => f, StringComparer.Ordinal))
                {
                    var info = Path.GetFileName(f);
                    var flags = info.Contains(":2,", StringComparison.Ordinal) ? info.Substring(info.IndexOf(":2,", StringComparison.Ordinal) + 3) : "";
                    string id = "";
                    foreach (var line in File.ReadLines(f))
                    {
                        if (line.Length == 0) break;
                        if (line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase)) { id = line.Substring(11).Trim().Trim('<', '>'); break; }
                    }
                    result.Add((id, flags.Contains('S')));
                }
            }
            return result;
        }

        /// <summary>A report message as a reporter sends it: the file as a base64 attachment (a .eml is sent as it is,
        /// with its own Message-ID and Date).</summary>
        public static byte[] ReportMessage(string file, string messageId, DateTimeOffset date)
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".eml", StringComparison.OrdinalIgnoreCase)) return File.ReadAllBytes(file);
            return ReportMessage(name, File.ReadAllBytes(file), messageId, date);
        }

        /// <summary>As <see cref="ReportMessage(string, string, DateTimeOffset)"/>, for an attachment given as its name and content.</summary>
        public static byte[] ReportMessage(string name, byte[] content, string messageId, DateTimeOffset date)
        {
            var type = name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "application/zip"
                : name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? "application/gzip"
                : name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "application/tlsrpt+json" : "text/xml";
            var body = Convert.ToBase64String(content, Base64FormattingOptions.InsertLineBreaks);
            var text = $"From: reports@reporter.test\r\nTo: dmarc@example.com\r\nSubject: Report domain: example.com Report-ID: {messageId}\r\n" +
                $"Message-ID: <{messageId}>\r\nDate: {date.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} +0000\r\n" +
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mailops-b\"\r\n\r\n" +
                "--mailops-b\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate report.\r\n" +
                $"--mailops-b\r\nContent-Type: {type}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                body.Replace("\n", "\r\n").Replace("\r\r\n", "\r\n") + "\r\n--mailops-b--\r\n";
            return Encoding.ASCII.GetBytes(text);
        }

        public void Dispose()
        {
            try { PostfixServer.Run(DovecotBinary, $"-c \"{Path.Combine(_dir, "dovecot.conf")}\" stop"); } catch (Exception) { }
            try
            {
                if (!_process.WaitForExit(10000)) _process.Kill(true);
            }
            catch (Exception) { }
            _process.Dispose();
            try { System.IO.Directory.Delete(_dir, true); } catch (Exception) { }
        }
    }

    /// <summary>A fact that needs a real Dovecot (Debian dovecot-imapd) and, when named, ../shared/corpora/&lt;corpus&gt;.</summary>
    public sealed class DovecotFactAttribute : FactAttribute
    {
        public DovecotFactAttribute(string? corpus = null)
        {
            var why = DovecotServer.Unavailable() ?? (corpus == null ? null : Paths.CorpusMissing(corpus));
            if (why != null) Skip = why;
        }
    }
}
