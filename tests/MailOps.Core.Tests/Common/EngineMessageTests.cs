using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MailOps.Testing;
using Xunit;

namespace MailOps.Tests.Common
{
    /// <summary>
    /// The engine says what happened in its own terms and names no cmdlet or parameter: which cmdlet or parameter to use is
    /// the cmdlet layer's advice (src/MailOps/Commands/Advice.cs), keyed by the kind the engine exposes. This scans the
    /// source of MailOps.Core (comments aside) and names file:line for every cmdlet name (Test-MailSpf, New-DkimKey...) or
    /// parameter (-Server, -Zone...) outside the short list below.
    /// </summary>
    public sealed class EngineMessageTests
    {
        private static readonly Regex Parameter = new Regex(@"(?<![A-Za-z0-9-])-[A-Z][A-Za-z]+");
        private static readonly Regex Cmdlet = new Regex(@"\b(?:Test|Get|Import|New|Find|ConvertTo|ConvertFrom|Export|Set|Remove|Invoke|Add|Send|Resolve)-[A-Z][A-Za-z0-9]*");

        /// <summary>(file under src/MailOps.Core, the name it may hold): each with why it stays.</summary>
        private static readonly (string File, string Name, string Why)[] Allowed =
        {
            // Output values, not advice: changing them changes what scripts read.
            ("Dkim/DkimSelectorSearch.cs", "-Selector", "Find-DkimSelector's Source value for a selector the user named"),
            ("DomainHealth/HealthReport.cs", "ConvertTo-MailOpsHtml", "the generator the HTML report names in its <meta>"),
            // Not moved yet (result text that is not a Finding and has no kind for the advice table to key on).
            ("DomainHealth/MailDomainCheck.cs", "-Live", "TlsaRecordMatch detail of Test-MailDomain without -Live"),
            ("Server/MailServerCheck.cs", "-Local", "Test-MailServer's CouldNotCheck text for a port 25 timeout"),
            ("Spf/SpfFlattening.cs", "Test-MailSpf", "the flattening proposal's Warning property"),
            ("Spf/SpfFlattening.cs", "-ZoneFile", "the flattening proposal's Warning property"),
            // The warm-up plan's printed rules and day advice: a runbook that names the MailOps commands to run, like the
            // RemedyCommand column of bounce-reasons.tsv.
            ("Warmup/WarmupPlan.cs", "Test-MailPtr", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Test-MailDomain", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Test-MailWarmup", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Get-DnsblListing", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Test-MailSpf", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Test-MailDkim", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Test-MailDmarc", "warm-up rule"),
            ("Warmup/WarmupPlan.cs", "Get-MailDeliveryStat", "warm-up day advice"),
            ("Warmup/WarmupTracker.cs", "Get-MailDeliveryStat", "warm-up day advice"),
        };

        private static IEnumerable<(string File, int Line, string Name)> Mentions()
        {
            var root = Path.Combine(Paths.RepoRoot, "src", "MailOps.Core");
            foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var file = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (file.StartsWith("obj/") || file.StartsWith("bin/")) continue;
                var lines = File.ReadAllLines(path);
                for (var i = 0; i < lines.Length; i++)
                {
                    var line = lines[i].TrimStart();
                    if (line.StartsWith("//")) continue;                 // comments and XML docs may name cmdlets
                    var cut = line.IndexOf(" // ", System.StringComparison.Ordinal);
                    var code = cut >= 0 ? line.Substring(0, cut) : line;
                    foreach (Match m in Parameter.Matches(code)) yield return (file, i + 1, m.Value);
                    foreach (Match m in Cmdlet.Matches(code)) yield return (file, i + 1, m.Value);
                }
            }
        }

        [Fact]
        public void Engine_source_names_no_cmdlet_or_parameter_outside_the_allow_list()
        {
            var found = Mentions().ToList();
            Assert.NotEmpty(found); // the scan reads the real tree (the allowed ones are there)
            var offending = found.Where(f => !Allowed.Any(a => a.File == f.File && a.Name == f.Name))
                .Select(f => $"src/MailOps.Core/{f.File}:{f.Line}: {f.Name}").ToList();
            Assert.True(offending.Count == 0,
                "Engine text names a cmdlet or parameter; say what happened in engine terms and put the advice in src/MailOps/Commands/Advice.cs:\n"
                + string.Join("\n", offending));
        }

        [Fact]
        public void Every_allow_list_entry_is_still_needed()
        {
            var found = Mentions().Select(f => (f.File, f.Name)).ToHashSet();
            var stale = Allowed.Where(a => !found.Contains((a.File, a.Name))).Select(a => $"{a.File}: {a.Name}").ToList();
            Assert.True(stale.Count == 0, "Remove from EngineMessageTests.Allowed (no longer in the source):\n" + string.Join("\n", stale));
        }
    }
}
