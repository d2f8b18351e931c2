using System;
using System.IO;
using System.Management.Automation;
using System.Text;
using MailOps.DomainHealth;

namespace MailOps.Commands
{
    /// <summary>ConvertTo-MailOpsHtml: one self-contained report (HTML, or Markdown) of Test-MailDomain results and of the single
    /// cmdlets' results, errors included as "could not check".</summary>
    [Cmdlet(VerbsData.ConvertTo, "MailOpsHtml", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(string))]
    [OutputType(typeof(FileInfo))]
    public sealed class ConvertToMailOpsHtmlCommand : MailOpsCmdlet
    {
        private HealthReport? _report;
        private string? _path;

        /// <summary>Results of Test-MailDomain or of the single checks, and error records (from -ErrorVariable) of checks that could not run.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        [Parameter]
        public ReportFormat Format { get; set; } = ReportFormat.Html;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Title { get; set; } = "MailOps report";

        /// <summary>Writes the report to this file instead of the pipeline.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Replace an existing file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>With -Path: write the file's FileInfo.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            _report = new HealthReport { Title = Title };
            if (Path == null) return;
            _path = GetUnresolvedProviderPathFromPSPath(Path);
            if (File.Exists(_path) && !Force)
                ThrowTerminatingError(ErrorRecords.ForOutputFile(ErrorId.ReportFileExists, OutputFileProblem.Exists, _path, "report file"));
        }

        protected override void ProcessRecord()
        {
            var o = InputObject?.BaseObject;
            if (o == null) return;
            switch (o)
            {
                case ErrorRecord e:
                    var subject = e.TargetObject?.ToString() ?? e.CategoryInfo.TargetName;
                    var id = e.FullyQualifiedErrorId.Split(',')[0];
                    Begun(_report).AddCouldNotCheck(subject, $"{id}: {e.ErrorDetails?.Message ?? e.Exception?.Message}");
                    return;
                case string _:
                    break;
                default:
                    if (Begun(_report).AddResult(o)) return;
                    break;
            }
            WriteError(ErrorRecords.Create(ErrorId.ReportInputNotRecognized,
                $"A {o.GetType().FullName} is not a MailOps result; it is left out of the report.", o,
                "Pipe the objects of Test-MailDomain, Test-MailSpf, Test-MailDmarc, Get-MailMx, ... (and error records collected with -ErrorVariable)."));
        }

        protected override void EndProcessing()
        {
            var text = Begun(_report).Render(Format);
            if (_path == null)
            {
                WriteObject(text);
                return;
            }
            if (!ShouldProcess(_path, $"Write a {Format} report of {Begun(_report).SectionCount} domain(s)")) return;
            try
            {
                File.WriteAllText(_path, text, new UTF8Encoding(false));
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.ReportWriteFailed, OutputFileProblem.WriteFailed, _path, "report file", ex));
                return;
            }
            if (PassThru) WriteObject(new FileInfo(_path));
        }
    }
}
