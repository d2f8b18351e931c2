using System;
using System.IO;

namespace MailOps.Testing
{
    /// <summary>Where the repository, its fixtures, the built module and the team's shared corpora are.</summary>
    public static class Paths
    {
        private static readonly Lazy<string> Root = new(() =>
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MailOps.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("MailOps.sln not found above " + AppContext.BaseDirectory);
        });

        public static string RepoRoot => Root.Value;

        public static string Fixture(params string[] parts) => Path.Combine(RepoRoot, "tests", "fixtures", Path.Combine(parts));

        public static string DnsFixture(string file) => Fixture("dns", file);

        public static string ModuleManifest => Path.Combine(RepoRoot, "out", "MailOps", "MailOps.psd1");

        /// <summary>../shared/corpora beside the repository, or null when it is not there.</summary>
        public static string? Corpora
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("MAILOPS_CORPORA");
                if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
                var p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpora"));
                return Directory.Exists(p) ? p : null;
            }
        }

        /// <summary>Null when ../shared/corpora/&lt;subfolder&gt; is there; else the skip message.</summary>
        public static string? CorpusMissing(string subfolder)
        {
            var root = Corpora;
            if (root == null) return $"Skipped: the shared corpora were not found (expected ../shared/corpora beside the repository, or MAILOPS_CORPORA). This test needs corpora/{subfolder}.";
            return Directory.Exists(Path.Combine(root, subfolder)) ? null : $"Skipped: {Path.Combine(root, subfolder)} not found.";
        }

        /// <summary>A closed loopback port: queries to it fail fast, proving that nothing escaped a zone file.</summary>
        public const string DeadServer = "127.0.0.1:9";
    }
}
