using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>The module as a unit: manifest, exports, help, format files, and the scripts shipped beside it.</summary>
    [Collection("Runspace")]
    public class ModuleTests
    {
        private static readonly HashSet<string> CommonParameters = new(StringComparer.OrdinalIgnoreCase)
        {
            "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
            "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
        };

        [Fact]
        public void Test_ModuleManifest_passes_on_the_built_module()
        {
            var run = ModuleHost.Run("Test-ModuleManifest -Path $ModuleManifest", importModule: false);
            Assert.Null(run.Terminating);
            Assert.Empty(run.Errors);
            var m = Assert.Single(run.Output);
            Assert.Equal("MailOps", m.Properties["Name"].Value);
        }

        [Fact]
        public void Manifest_version_is_the_one_in_Directory_Build_props()
        {
            var props = File.ReadAllText(Path.Combine(Paths.RepoRoot, "Directory.Build.props"));
            var version = Regex.Match(props, "<VersionPrefix>(.*?)</VersionPrefix>").Groups[1].Value;
            var psd1 = File.ReadAllText(Path.Combine(Paths.RepoRoot, "MailOps.psd1"));
            Assert.Matches($"ModuleVersion\\s*=\\s*'{Regex.Escape(version)}'", psd1);
            Assert.Contains($"## [{version}]", File.ReadAllText(Path.Combine(Paths.RepoRoot, "CHANGELOG.md")));
        }

        [Fact]
        public void Exported_cmdlets_are_exactly_the_manifest_list_and_every_cmdlet_class()
        {
            var run = ModuleHost.Run("Get-Command -Module MailOps | ForEach-Object Name");
            Assert.Empty(run.Errors);
            var exported = run.Output.Select(o => o.BaseObject.ToString()!).OrderBy(x => x).ToList();
            var psd1 = File.ReadAllText(Path.Combine(Paths.RepoRoot, "MailOps.psd1"));
            var listed = Regex.Match(psd1, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
            Assert.DoesNotContain("*", listed);
            var names = Regex.Matches(listed, "'([^']+)'").Select(m => m.Groups[1].Value).OrderBy(x => x).ToList();
            Assert.Equal(names, exported);
            var classes = Directory.GetFiles(Path.Combine(Paths.RepoRoot, "src", "MailOps", "Commands"), "*Command.cs").Length;
            Assert.Equal(classes, exported.Count);
        }

        [Fact]
        public void Module_folder_carries_no_System_Management_Automation()
        {
            var dir = Path.GetDirectoryName(Paths.ModuleManifest)!;
            Assert.False(File.Exists(Path.Combine(dir, "System.Management.Automation.dll")));
            var dependencies = Path.Combine(dir, "dependencies");
            Assert.False(File.Exists(Path.Combine(dependencies, "System.Management.Automation.dll")));
            // Only the resolver sits next to the manifest; MailOps and everything it needs are under dependencies/.
            Assert.Equal(new[] { "MailOps.LoadContext.dll" }, Directory.GetFiles(dir, "*.dll").Select(Path.GetFileName));
            Assert.True(File.Exists(Path.Combine(dependencies, "MailOps.dll")));
            Assert.True(File.Exists(Path.Combine(dependencies, "MailOps.Core.dll")));
            Assert.True(File.Exists(Path.Combine(dependencies, "DnsClient.dll")));
            Assert.True(File.Exists(Path.Combine(dependencies, "MimeKit.dll")));
            Assert.True(File.Exists(Path.Combine(dependencies, "MailKit.dll")));
            Assert.True(File.Exists(Path.Combine(dir, "en-US", "MailOps.dll-Help.xml")));
        }

        [Fact]
        public void Every_format_and_types_file_in_the_folder_is_listed_and_loads()
        {
            var dir = Path.GetDirectoryName(Paths.ModuleManifest)!;
            var psd1 = File.ReadAllText(Paths.ModuleManifest);
            foreach (var f in Directory.GetFiles(dir, "*.ps1xml"))
                Assert.Contains($"'{Path.GetFileName(f)}'", psd1);
            var run = ModuleHost.Run("$m = Get-Module MailOps; $m.ExportedFormatFiles.Count; $m.ExportedTypeFiles.Count");
            Assert.Empty(run.Errors);
            Assert.Equal(Directory.GetFiles(dir, "*.Format.ps1xml").Length, (int)run.Output[0].BaseObject);
            Assert.Equal(Directory.GetFiles(dir, "*.Types.ps1xml").Length, (int)run.Output[1].BaseObject);
        }

        public static IEnumerable<object[]> Cmdlets()
        {
            var psd1 = File.ReadAllText(Path.Combine(Paths.RepoRoot, "MailOps.psd1"));
            var listed = Regex.Match(psd1, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
            return Regex.Matches(listed, "'([^']+)'").Select(m => new object[] { m.Groups[1].Value });
        }

        [Theory, MemberData(nameof(Cmdlets))]
        public void Every_cmdlet_has_help_with_synopsis_description_examples_and_every_parameter(string cmdlet)
        {
            var run = ModuleHost.Run(@"
$h = Get-Help $cmdlet -Full
[pscustomobject]@{
    Synopsis = [string]$h.Synopsis
    Description = (@($h.description) | ForEach-Object { $_.Text }) -join ' '
    Examples = @($h.examples.example).Count
    ExampleCode = (@($h.examples.example) | ForEach-Object { $_.code }) -join ""`n""
    HelpParameters = (@($h.parameters.parameter | ForEach-Object { $_.name }) -join ',')
    Parameters = (@((Get-Command $cmdlet).Parameters.Keys) -join ',')
}", new Dictionary<string, object?> { ["cmdlet"] = cmdlet });
            Assert.Empty(run.Errors);
            var o = Assert.Single(run.Output);
            Assert.False(string.IsNullOrWhiteSpace((string)o.Properties["Synopsis"].Value), "no synopsis");
            Assert.DoesNotContain("[<CommonParameters>]", (string)o.Properties["Synopsis"].Value);
            Assert.True(((string)o.Properties["Description"].Value).Length > 40, "no description");
            Assert.True((int)o.Properties["Examples"].Value >= 2, "fewer than two examples");
            Assert.Contains(cmdlet, (string)o.Properties["ExampleCode"].Value);
            var documented = ((string)o.Properties["HelpParameters"].Value).Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase);
            var actual = ((string)o.Properties["Parameters"].Value).Split(',').Where(p => !CommonParameters.Contains(p));
            foreach (var p in actual) Assert.True(documented.Contains(p), $"{cmdlet} -{p} is not documented in its help");
        }

        [Theory, MemberData(nameof(Cmdlets))]
        public void Every_cmdlet_declares_its_output_type(string cmdlet)
        {
            var run = ModuleHost.Run("(Get-Command $cmdlet).OutputType.Count", new Dictionary<string, object?> { ["cmdlet"] = cmdlet });
            Assert.True((int)run.Output.Single().BaseObject >= 1);
        }

        public static IEnumerable<object[]> Scripts() =>
            new[] { "build.ps1" }.Concat(FilesIn(Path.Combine(Paths.RepoRoot, "tests", "Pester"), SearchOption.TopDirectoryOnly)
                    .Concat(FilesIn(Path.Combine(Paths.RepoRoot, "examples"), SearchOption.AllDirectories))
                    .Select(f => Path.GetRelativePath(Paths.RepoRoot, f)))
                .Select(f => new object[] { f });

        private static IEnumerable<string> FilesIn(string dir, SearchOption option) =>
            Directory.Exists(dir) ? Directory.GetFiles(dir, "*.ps1", option) : Array.Empty<string>();

        /// <summary>build.ps1, the Pester suites and the examples cannot run here (no pwsh), but they must at least parse.</summary>
        [Theory, MemberData(nameof(Scripts))]
        public void Shipped_scripts_parse_without_errors(string relativePath)
        {
            Parser.ParseFile(Path.Combine(Paths.RepoRoot, relativePath), out _, out var errors);
            Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
        }
    
        [Fact]
        public void Every_ErrorId_has_one_category_and_docs_errors_md_is_that_table()
        {
            // The enum as the loaded module sees it: name and category of each id.
            var run = ModuleHost.Run("[MailOps.Commands.ErrorId].GetEnumNames() | ForEach-Object { '{0}|{1}' -f $_, [MailOps.Commands.ErrorRecords]::CategoryOf($_) }");
            Assert.Null(run.Terminating);
            var fromModule = run.Output.Select(o => o.BaseObject.ToString()!).ToList();
            Assert.True(fromModule.Count > 50, string.Join(", ", fromModule));
            var doc = File.ReadAllLines(Path.Combine(Paths.RepoRoot, "docs", "errors.md"))
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\| `(\w+)` \| (\w+) \|"))
                .Where(m => m.Success).Select(m => m.Groups[1].Value + "|" + m.Groups[2].Value).ToList();
            Assert.Equal(fromModule, doc);
        }
}
}
