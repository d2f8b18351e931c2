using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace MailOps.Testing
{
    /// <summary>
    /// dkimpy (Debian's python3-dkim), the independent DKIM implementation the interop tests sign and generate keys
    /// with. .ci/run installs it; when it is missing, <see cref="Require"/> fails the test with instructions rather
    /// than letting it pass.
    /// </summary>
    public static class Dkimpy
    {
        private static readonly Lazy<string?> PythonPath = new(Find);

        /// <summary>A python3 that can import dkim and nacl (Debian's /usr/bin/python3 first: a pyenv or venv python
        /// on PATH does not see Debian's packages).</summary>
        public static string? Python => PythonPath.Value;

        private static string? Find()
        {
            foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
            {
                try
                {
                    var (code, _, _) = Exec(candidate, "-c \"import dkim, nacl, authres\"");
                    if (code == 0) return candidate;
                }
                catch (System.ComponentModel.Win32Exception)
                {
                }
            }
            return null;
        }

        private const string InstallHint =
            "dkimpy is not installed: the DKIM interop tests need Debian's python3-dkim (with python3-nacl and python3-authres) and openssl. " +
            "Run: apt-get install -y python3-dkim python3-nacl python3-authres openssl   (build.ps1 -Task Test installs them when it runs as root).";

        /// <summary>Why the interop tests cannot run here (what to install), or null when they can.</summary>
        public static string? Missing() => Python == null ? InstallHint : null;

        public static string Require() => Python ?? throw new InvalidOperationException(InstallHint);

        public static string Tool => Paths.Fixture("dkim", "dkimpy_tool.py");

        /// <summary>Signs <paramref name="input"/> into <paramref name="output"/> with relaxed/relaxed over From, To,
        /// Subject, Date and Message-ID.</summary>
        public static void Sign(string input, string output, string selector, string domain, string keyFile, string algorithm, bool bodyLength = false) =>
            Run(Require(), $"\"{Tool}\" sign \"{input}\" \"{output}\" {selector} {domain} \"{keyFile}\" {algorithm}{(bodyLength ? " length" : "")}");

        /// <summary>Adds an ARC set (the message must carry an Authentication-Results field from <paramref name="srvId"/>).</summary>
        public static void ArcSign(string input, string output, string selector, string domain, string keyFile, string srvId) =>
            Run(Require(), $"\"{Tool}\" arcsign \"{input}\" \"{output}\" {selector} {domain} \"{keyFile}\" {srvId}");

        /// <summary>dkimpy's own key generator (dknewkey): writes NAME.key and NAME.dns in <paramref name="dir"/>;
        /// returns their paths.</summary>
        public static (string Key, string Dns) NewKey(string dir, string name, string keyType)
        {
            var dknewkey = File.Exists("/usr/bin/dknewkey") ? "/usr/bin/dknewkey" : throw new InvalidOperationException("dknewkey (python3-dkim) not found");
            var psi = Start(Require(), $"\"{dknewkey}\" --ktype {keyType} {name}");
            psi.WorkingDirectory = dir;
            var (code, stdout, stderr) = Exec(psi);
            if (code != 0) throw new InvalidOperationException($"dknewkey failed ({code}): {stderr}{stdout}. It needs openssl for RSA keys (apt-get install -y openssl).");
            return (Path.Combine(dir, name + ".key"), Path.Combine(dir, name + ".dns"));
        }

        private static void Run(string python, string args)
        {
            var (code, stdout, stderr) = Exec(python, args);
            if (code != 0) throw new InvalidOperationException($"dkimpy failed ({code}): {stderr}{stdout}");
        }

        private static ProcessStartInfo Start(string file, string args) => new(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        private static (int, string, string) Exec(string file, string args) => Exec(Start(file, args));

        private static (int, string, string) Exec(ProcessStartInfo psi)
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            if (!p.WaitForExit(60000)) { p.Kill(); throw new TimeoutException($"{psi.FileName} {psi.Arguments} did not finish in 60 s"); }
            return (p.ExitCode, stdout.Result, stderr);
        }
    }
}
