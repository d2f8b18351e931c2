using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>The same failure reads the same on every cmdlet (ErrorRecords.For*): a file that exists, a bad selector.</summary>
    [Collection("Runspace")]
    public sealed class ErrorWordingTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mailops-wording-" + Guid.NewGuid().ToString("N"));

        public ErrorWordingTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void Every_writing_cmdlet_refuses_an_existing_file_the_same_way_and_leaves_it_unchanged()
        {
            var file = Path.Combine(_dir, "existing.txt");
            File.WriteAllText(file, "keep me");
            var vars = new Dictionary<string, object?> { ["file"] = file };
            var runs = new[]
            {
                ("policy file", ModuleHost.Run("New-MtaStsPolicy -Domain example.com -MxHost mail.example.com -Path $file", vars)),
                ("plan file", ModuleHost.Run("New-MailWarmupPlan -StartDate 2026-11-01 -TargetDailyVolume 500 -Path $file", vars)),
            };
            foreach (var (what, run) in runs)
            {
                var error = Assert.Single(run.Errors);
                Assert.Equal($"The {what} '{file}' already exists; nothing was written.", error.ErrorDetails.Message);
                Assert.Equal("Add -Force to replace it, or choose another -Path.", error.ErrorDetails.RecommendedAction);
                Assert.Equal(System.Management.Automation.ErrorCategory.ResourceExists, error.CategoryInfo.Category);
            }
            Assert.Equal("keep me", File.ReadAllText(file));
        }

        [Fact]
        public void A_bad_selector_reads_the_same_on_every_cmdlet_that_takes_one()
        {
            var vars = new Dictionary<string, object?> { ["dir"] = _dir, ["dead"] = Paths.DeadServer };
            var runs = new[]
            {
                ModuleHost.Run("Find-DkimSelector example.com -Selector 'bad selector' -Server $dead -TimeoutSec 1 -ThrottleLimit 1 -WarningAction SilentlyContinue | Out-Null", vars),
                ModuleHost.Run("Test-MailDkim example.com -Selector 'bad selector' -Server $dead -TimeoutSec 1", vars),
                ModuleHost.Run("New-DkimKey -Selector 'bad selector' -Domain example.com -Path $dir", vars),
            };
            var texts = runs.Select(r => r.Errors.Single(e => e.FullyQualifiedErrorId.StartsWith("InvalidDkimSelector", StringComparison.Ordinal)))
                .Select(e => (e.ErrorDetails.Message, e.ErrorDetails.RecommendedAction)).ToList();
            Assert.All(texts, t => Assert.StartsWith("'bad selector' is not a valid DKIM selector: ", t.Message));
            Assert.Single(texts.Select(t => t.RecommendedAction).Distinct());
            Assert.Empty(Directory.GetFiles(_dir));
        }
    }
}
