using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>ConvertTo-MailOpsHtml as a user sees it: the report rendered by Debian's headless Chromium, its DOM text
    /// asserted, and a screenshot left under out/reports/ for people to look at.</summary>
    [Collection("Runspace")]
    public sealed class ReportTests
    {
        private static readonly string OutDir = Path.Combine(Paths.RepoRoot, "out", "reports");
        private readonly Dictionary<string, object?> _vars;

        public ReportTests()
        {
            Directory.CreateDirectory(OutDir);
            _vars = new Dictionary<string, object?>
            {
                ["zones"] = Paths.DnsFixture("domain/*.zone"),
                ["dead"] = Paths.DeadServer,
            };
        }

        private string Render(string name, string script)
        {
            var path = Path.Combine(OutDir, name);
            _vars["out"] = path;
            var run = ModuleHost.Run(script, _vars);
            Assert.Null(run.Terminating);
            Assert.True(File.Exists(path), "no report written");
            return path;
        }

        private static string Text(string dom) => System.Net.WebUtility.HtmlDecode(Regex.Replace(Regex.Replace(dom, "<style>.*?</style>", "", RegexOptions.Singleline), "<[^>]+>", " "));

        private const string FleetScript = @"
$o = @{ ZoneFile = $zones; Server = $dead; TimeoutSec = 1 }
$r = 'good.domain.example', 'broken.domain.example', 'hostile.domain.example', 'nowhere.test' | Test-MailDomain @o -DkimSelector s2026 -ErrorVariable failed -ErrorAction SilentlyContinue
@($r) + @($failed) | ConvertTo-MailOpsHtml -Path $out -Title 'Fleet check' -Force";

        [ChromiumFact]
        public void Html_report_renders_in_Chromium_with_grades_fix_first_findings_and_could_not_check()
        {
            var file = Render("fleet.html", FleetScript);
            var dom = Chromium.DumpDom(file);
            Chromium.Screenshot(file, Path.Combine(OutDir, "fleet.png"));
            Assert.True(File.Exists(Path.Combine(OutDir, "fleet.png")));

            var text = Text(dom);
            Assert.Contains("Fleet check", text);
            // The summary table: one row per domain, with its grade.
            var summary = Regex.Match(dom, "<table class=\"summary\">.*?</table>", RegexOptions.Singleline).Value;
            var rows = Regex.Matches(summary, "<tr class=\"[a-z]+\">(.*?)</tr>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(4, rows.Count);
            var cells = rows.Select(r => Regex.Matches(r, "<td[^>]*>(.*?)</td>", RegexOptions.Singleline).Select(c => Text(c.Groups[1].Value).Trim()).ToList()).ToList();
            Assert.Equal(new[] { "good.domain.example", "broken.domain.example", "hostile.domain.example", "nowhere.test" }, cells.Select(c => c[0]));
            Assert.Equal(new[] { "A", "F", "F", "?" }, cells.Select(c => c[2]));
            Assert.Equal("Incomplete", cells[3][1]);
            Assert.Equal("Spf/MultipleSpfRecords", cells[1][4]);
            Assert.All(cells, c => Assert.All(c, cell => Assert.False(string.IsNullOrWhiteSpace(cell), "an empty summary cell")));
            // Findings in fix-first order, with the record to publish.
            var broken = Regex.Match(dom, "<section class=\"domain\" id=\"d-broken-domain-example\">.*?</section>", RegexOptions.Singleline).Value;
            var codes = Regex.Matches(broken, "<code class=\"code\">(.*?)</code>").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(new[] { "Spf/MultipleSpfRecords", "Dmarc/NoRecord", "Dkim/NoDkimRecord" }, codes.Take(3));
            Assert.Contains("_dmarc.broken.domain.example. IN TXT \"v=DMARC1; p=none;", Text(broken));
            // Checks that could not run are shown as such, not as passes.
            var nowhere = Regex.Match(dom, "<section class=\"domain\" id=\"d-nowhere-test\">.*?</section>", RegexOptions.Singleline).Value;
            Assert.Contains("Could not check", Text(nowhere));
            Assert.Contains("Mx:", Text(nowhere));
            Assert.DoesNotContain("System.Collections", text);
            Assert.DoesNotContain("MailOps.DomainHealth", text);
            // Self-contained: no script, no external asset.
            Assert.DoesNotContain("<script", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotMatch("(src|href)=\"(https?:)?//", File.ReadAllText(file));
        }

        [ChromiumFact]
        public void Hostile_record_text_is_shown_as_text_and_never_becomes_markup()
        {
            var file = Render("hostile.html", @"
Test-MailDomain hostile.domain.example -ZoneFile $zones -Server $dead -TimeoutSec 1 -DkimSelector s1 -Profile Generic | ConvertTo-MailOpsHtml -Path $out -Force");
            var dom = Chromium.DumpDom(file);
            Chromium.Screenshot(file, Path.Combine(OutDir, "hostile.png"));
            // Chromium parsed no element from the records: no script, no img, no onerror attribute.
            Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img", dom, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotMatch("(?i)<[^>]*\\sonerror=", dom);
            // ... and the text is there for the reader, as published.
            Assert.Contains("v=spf1 <script>alert(1)</script> -all", Text(dom));
            Assert.Contains("<img src=x onerror=alert(2)>", Text(dom));
        }

        [Fact]
        public void Markdown_report_escapes_tables_and_lists_findings_fix_first()
        {
            var run = ModuleHost.Run(@"
$o = @{ ZoneFile = $zones; Server = $dead; TimeoutSec = 1 }
'broken.domain.example', 'hostile.domain.example' | Test-MailDomain @o -DkimSelector s1 | ConvertTo-MailOpsHtml -Format Markdown", _vars);
            Assert.Empty(run.Errors);
            var md = (string)Assert.Single(run.Output).BaseObject;
            Assert.Contains("| broken.domain.example | Fail | F | 16 | Spf/MultipleSpfRecords |", md);
            Assert.Contains("1. **Blocking** `Spf/MultipleSpfRecords`", md);
            Assert.DoesNotContain("<script>", md);
            Assert.Contains("&lt;script&gt;", md);
            // The SPF message quotes both records separated by ' | ': escaped so the list item is not read as a table.
            Assert.Contains("v=spf1 a -all \\| v=spf1 mx ~all", md);
        }

        [Fact]
        public void Html_report_shows_blocklist_listings_first_and_the_lists_it_asked()
        {
            var file = Render("blocklists.html", @"
$o = @{ ZoneFile = $zones; Server = $dead; TimeoutSec = 1 }
'listed.domain.example', 'good.domain.example' | Test-MailDomain @o -DkimSelector s2026 | ConvertTo-MailOpsHtml -Path $out -Force");
            var dom = File.ReadAllText(file);
            var listed = Text(Regex.Match(dom, "<section class=\"domain\" id=\"d-listed-domain-example\">.*?</section>", RegexOptions.Singleline).Value);
            var codes = Regex.Matches(dom, "<code class=\"code\">(.*?)</code>").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(new[] { "Blocklist/Blocklisted", "Blocklist/DomainBlocklisted" }, codes.Take(2));
            Assert.Contains("192.0.2.66 bl.spamcop.net", listed);
            Assert.Contains("listed: Sent mail reported as spam", listed);
            // A clean domain's blocklist detail says how many questions were answered 'not listed', not nothing.
            var good = Text(Regex.Match(dom, "<section class=\"domain\" id=\"d-good-domain-example\">.*?</section>", RegexOptions.Singleline).Value);
            Assert.Contains("not listed (23 questions)", good);
        }

        [Fact]
        public void Single_cmdlet_results_merge_per_domain_and_foreign_objects_are_errors()
        {
            var run = ModuleHost.Run(@"
$o = @{ ZoneFile = $zones; Server = $dead; TimeoutSec = 1 }
@(Test-MailSpf broken.domain.example @o) + @(Test-MailDmarc broken.domain.example @o) + @([datetime]::new(2026, 1, 1)) | ConvertTo-MailOpsHtml -Format Markdown", _vars);
            Assert.Equal("ReportInputNotRecognized", Assert.Single(run.ErrorIds));
            var md = (string)Assert.Single(run.Output).BaseObject;
            Assert.Single(Regex.Matches(md, "^## broken.domain.example", RegexOptions.Multiline));
            Assert.Contains("1. **Blocking** `Spf/MultipleSpfRecords`", md);
            Assert.Contains("2. **Blocking** `Dmarc/NoRecord`", md);
        }

        [Fact]
        public void An_existing_file_is_kept_without_Force_and_WhatIf_writes_nothing()
        {
            var path = Path.Combine(OutDir, "exists.html");
            File.WriteAllText(path, "keep me");
            _vars["out"] = path;
            var run = ModuleHost.Run("Test-MailDomain good.domain.example -ZoneFile $zones -Server $dead -TimeoutSec 1 | ConvertTo-MailOpsHtml -Path $out", _vars);
            Assert.Equal("ReportFileExists", run.StatementTerminating!.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("keep me", File.ReadAllText(path));
            var whatIf = Path.Combine(OutDir, "whatif.html");
            File.Delete(whatIf);
            _vars["out"] = whatIf;
            ModuleHost.Run("Test-MailDomain good.domain.example -ZoneFile $zones -Server $dead -TimeoutSec 1 | ConvertTo-MailOpsHtml -Path $out -WhatIf", _vars);
            Assert.False(File.Exists(whatIf));
        }
    }
}
