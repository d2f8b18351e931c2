using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using MailOps.MtaSts;

namespace MailOps.Commands
{
    /// <summary>New-MtaStsPolicy: the policy file text and the _mta-sts TXT record (with a fresh id), ready to publish;
    /// with -Path, writes the policy file.</summary>
    [Cmdlet(VerbsCommon.New, "MtaStsPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(MtaStsPolicyTemplate))]
    public sealed class NewMtaStsPolicyCommand : MailOpsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string Domain { get; set; } = null!;

        /// <summary>The MX host names (or "*.example.com" wildcards) senders may deliver to.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Mx")]
        [ValidateNotNullOrEmpty]
        public string[] MxHost { get; set; } = Array.Empty<string>();

        [Parameter]
        [ValidateSet("testing", "enforce", "none")]
        public string Mode { get; set; } = "testing";

        [Parameter]
        [ValidateRange(1, 365)]
        public int MaxAgeDays { get; set; } = 7;

        /// <summary>Writes the policy text to this file (served as /.well-known/mta-sts.txt).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Overwrite an existing file at -Path.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void BeginProcessing()
        {
            foreach (var mx in MxHost)
            {
                var problem = MtaStsRules.ValidateMxPattern(mx);
                if (problem != null)
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidMtaStsPolicy,
                        $"'{mx}' is not a valid mx pattern: {problem}.", mx,
                        "Give each MX host name in full (mail.example.com) or with one leading wildcard label (*.example.com)."));
            }
        }

        protected override void ProcessRecord()
        {
            if (!TryNormalizeDomain(Domain, out var domain)) return;
            MtaStsPolicyTemplate template;
            try
            {
                template = MtaStsPolicyBuilder.Build(domain, MxHost, Mode, MaxAgeDays * 86400L, DateTime.UtcNow);
            }
            catch (ArgumentException ex)
            {
                WriteError(ErrorRecords.Create(ErrorId.InvalidMtaStsPolicy, ex.Message, domain, null, ex));
                return;
            }
            if (Mode == "enforce" && MaxAgeDays < 7)
                WriteWarning($"max_age of {MaxAgeDays} day(s) in enforce mode: senders forget the policy quickly; RFC 8461 recommends weeks or more once the policy is stable.");

            if (Path == null)
            {
                WriteObject(template);
                return;
            }

            var file = GetUnresolvedProviderPathFromPSPath(Path);
            if (Directory.Exists(file))
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.MtaStsPolicyWriteFailed, OutputFileProblem.IsDirectory, file, "policy file", hint: "Give -Path the policy file's name, e.g. <web root>/.well-known/mta-sts.txt."));
                return;
            }
            if (File.Exists(file) && !Force)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.MtaStsPolicyFileExists, OutputFileProblem.Exists, file, "policy file"));
                return;
            }
            if (!ShouldProcess(file, $"Write the MTA-STS policy for {template.Domain} ({template.Mode}, id {template.Id})"))
            {
                WriteObject(template);
                return;
            }
            try
            {
                var dir = System.IO.Path.GetDirectoryName(file);
                if (!Strings.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                File.WriteAllText(file, template.Policy, new UTF8Encoding(false));
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.MtaStsPolicyWriteFailed, OutputFileProblem.WriteFailed, file, "policy file", ex));
                return;
            }
            WriteVerbose($"Wrote {file}. Serve it as text/plain at {template.PolicyUrl}, then publish: {template.TxtRecord}");
            WriteObject(template.WithPath(file));
        }
    }
}
