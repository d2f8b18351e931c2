using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;

namespace MailOps.Testing
{
    /// <summary>
    /// A real Postfix (Debian package "postfix") on 127.0.0.1: its own config, queue and data directories in a temporary
    /// folder, two smtpd listeners on free high ports - STARTTLS (like 25/587) and implicit TLS (smtpd_tls_wrappermode,
    /// like 465) - with a certificate made by the test. Started with `postfix -c DIR start`, stopped with `postfix -c DIR
    /// stop`. Needs root (Postfix's master runs as root and drops to the postfix user) and the package; without either,
    /// <see cref="Start"/> throws with a message that says what to install, so the test fails clearly instead of passing.
    /// </summary>
    public sealed class PostfixServer : IDisposable
    {
        public const string PostfixBinary = "/usr/sbin/postfix";

        private readonly string _dir;

        private PostfixServer(string dir, int port, int tlsPort, string hostName)
        {
            _dir = dir;
            Port = port;
            ImplicitTlsPort = tlsPort;
            HostName = hostName;
        }

        /// <summary>The STARTTLS listener.</summary>
        public int Port { get; }

        /// <summary>The implicit-TLS listener (smtpd_tls_wrappermode = yes).</summary>
        public int ImplicitTlsPort { get; }

        public string HostName { get; }

        public string Directory => _dir;

        /// <summary>Why Postfix cannot run here, or null when it can.</summary>
        public static string? Unavailable()
        {
            if (!File.Exists(PostfixBinary))
                return $"Postfix is not installed ({PostfixBinary} not found). Install the Debian package: apt-get install -y postfix (.ci/run installs it in CI).";
            if (!IsRoot())
                return "The Postfix tests need root: Postfix's master process starts as root and drops privileges to the postfix user.";
            return null;
        }

        private static bool IsRoot()
        {
            try { return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0"); }
            catch (IOException) { return false; }
        }

        /// <summary>Starts Postfix with <paramref name="certificate"/> (with private key) and <paramref name="chain"/>.</summary>
        public static PostfixServer Start(X509Certificate2 certificate, X509Certificate2[] chain, string hostName = "mail.test", string extraMainCf = "")
        {
            var why = Unavailable();
            if (why != null) throw new InvalidOperationException(why);
            var dir = Path.Combine(Path.GetTempPath(), "mailops-postfix-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "conf"));
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "queue"));
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "data"));
            var port = FreePort();
            var tlsPort = FreePort(port);
            var conf = Path.Combine(dir, "conf");
            File.WriteAllText(Path.Combine(conf, "cert.pem"), TestCertificates.CertificatePem(new[] { certificate }.Concat(chain).ToArray()));
            File.WriteAllText(Path.Combine(conf, "key.pem"), TestCertificates.KeyPem(certificate));
            File.WriteAllText(Path.Combine(conf, "main.cf"), $@"compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {hostName}
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = reject
smtpd_banner = $myhostname ESMTP MailOps test Postfix
smtpd_tls_cert_file = {conf}/cert.pem
smtpd_tls_key_file = {conf}/key.pem
smtpd_tls_security_level = may
smtpd_tls_session_cache_database =
maillog_file = {dir}/postfix.log
maillog_file_prefixes = {dir}
{extraMainCf}
");
            // No chroot: the services run from the temporary directory as they are.
            File.WriteAllText(Path.Combine(conf, "master.cf"), $@"127.0.0.1:{port} inet n - n - - smtpd
127.0.0.1:{tlsPort} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
anvil unix - - n - 1 anvil
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
cleanup unix n - n - 0 cleanup
postlog unix-dgram n - n - 1 postlogd
");
            Run("chown", $"postfix \"{dir}/data\"");
            var server = new PostfixServer(dir, port, tlsPort, hostName);
            var (code, output) = Run(PostfixBinary, $"-c \"{conf}\" start");
            if (code != 0)
            {
                server.Dispose();
                throw new InvalidOperationException($"postfix -c {conf} start failed ({code}): {output} {server.Log}");
            }
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!Listening(port) || !Listening(tlsPort))
            {
                if (DateTime.UtcNow > deadline)
                {
                    var log = File.Exists(Path.Combine(dir, "postfix.log")) ? File.ReadAllText(Path.Combine(dir, "postfix.log")) : "(no log)";
                    server.Dispose();
                    throw new InvalidOperationException($"Postfix did not start listening on 127.0.0.1:{port}: {log}");
                }
                Thread.Sleep(100);
            }
            return server;
        }

        public string Log => File.Exists(Path.Combine(_dir, "postfix.log")) ? File.ReadAllText(Path.Combine(_dir, "postfix.log")) : "";

        internal static bool Listening(int port)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { return false; }
        }

        internal static int FreePort(params int[] not)
        {
            while (true)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                var p = ((IPEndPoint)l.LocalEndpoint).Port;
                l.Stop();
                if (Array.IndexOf(not, p) < 0) return p;
            }
        }

        internal static (int Code, string Output) Run(string file, string args)
        {
            var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60000)) { try { p.Kill(true); } catch (InvalidOperationException) { } return (-1, "timed out"); }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }

        public void Dispose()
        {
            try { Run(PostfixBinary, $"-c \"{Path.Combine(_dir, "conf")}\" stop"); } catch (Exception) { }
            try { System.IO.Directory.Delete(_dir, true); } catch (Exception) { }
        }
    }
}
