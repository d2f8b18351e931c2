using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace MailOps.Testing
{
    /// <summary>Debian's headless Chromium, to render reports as a user sees them. Offline flags only; a fresh profile per run.</summary>
    public static class Chromium
    {
        public const string Executable = "/usr/bin/chromium";

        public static string? Missing => File.Exists(Executable) ? null : $"{Executable} is not installed (Debian package chromium; .ci/run installs it).";

        private static string Run(string extraArgs, string file, out string stderr)
        {
            var profile = Path.Combine(Path.GetTempPath(), "mailops-chromium-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(profile);
            try
            {
                var psi = new ProcessStartInfo(Executable,
                    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking " +
                    $"--disable-component-update --disable-sync --user-data-dir=\"{profile}\" {extraArgs} \"file://{file}\"")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                using var p = Process.Start(psi)!;
                var errTask = p.StandardError.ReadToEndAsync();
                var output = p.StandardOutput.ReadToEnd();
                if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 60 s"); }
                stderr = errTask.Result;
                return output;
            }
            finally
            {
                try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        /// <summary>The DOM after Chromium parsed and laid out the page (--dump-dom).</summary>
        public static string DumpDom(string file) => Run("--dump-dom", file, out _);

        /// <summary>A PNG screenshot of the page.</summary>
        public static void Screenshot(string file, string png, int width = 1280, int height = 1800)
        {
            Run($"--window-size={width},{height} --screenshot=\"{png}\"", file, out var err);
            if (!File.Exists(png)) throw new InvalidOperationException("chromium wrote no screenshot: " + err);
        }
    }

    /// <summary>A fact that needs Chromium: skipped, with a message saying so, when it is absent.</summary>
    public sealed class ChromiumFactAttribute : FactAttribute
    {
        public ChromiumFactAttribute()
        {
            if (Chromium.Missing != null) Skip = Chromium.Missing;
        }
    }
}
