using System;
using System.IO;
using System.Management.Automation;
using MailOps.Dkim;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>New-DkimKey: generates a DKIM key pair and writes &lt;selector&gt;.private (owner-only) and
    /// &lt;selector&gt;.txt (the zone-file line), as opendkim-genkey does.</summary>
    [Cmdlet(VerbsCommon.New, "DkimKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DkimKey))]
    public sealed class NewDkimKeyCommand : MailOpsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Selector { get; set; } = null!;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string Domain { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("Rsa", "Ed25519")]
        public string Algorithm { get; set; } = "Rsa";

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("1024", "2048", "3072", "4096")]
        public int KeySize { get; set; } = 2048;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (!TryNormalizeDomain(Domain, out var domain)) return;
            var selectorProblem = DkimRecordCheck.ValidateSelector(Selector);
            if (selectorProblem != null)
            {
                WriteError(ErrorRecords.ForInvalidSelector(Selector, selectorProblem));
                return;
            }
            var selector = Selector.Trim();
            var ed = string.Equals(Algorithm, "Ed25519", StringComparison.OrdinalIgnoreCase);
            var directory = GetUnresolvedProviderPathFromPSPath(Strings.IsNullOrEmpty(Path) ? "." : Path);
            if (!Directory.Exists(directory))
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.DkimKeyWriteFailed, OutputFileProblem.DirectoryMissing, directory, "key directory"));
                return;
            }
            if (ed && MyInvocation.BoundParameters.ContainsKey(nameof(KeySize)))
                WriteWarning("-KeySize applies to RSA keys only; an Ed25519 key is always 256 bits.");
            if (!ed && KeySize == 1024)
                WriteWarning("A 1024-bit RSA key is the minimum verifiers accept (RFC 8301) and is within reach of attackers; use 2048 unless your DNS host cannot publish a record longer than 255 characters (it is split into several strings).");

            var files = DkimKeyGenerator.FilesFor(directory, selector, ed);
            var what = ed ? "Ed25519" : $"{KeySize}-bit RSA";
            if (!ShouldProcess(string.Join(", ", files), $"Create a {what} DKIM key for {selector}._domainkey.{domain}")) return;

            DkimKey key;
            try
            {
                key = Await(ct => System.Threading.Tasks.Task.Run(() => DkimKeyGenerator.Create(directory, selector, domain, Algorithm, ed ? 0 : KeySize, Force), ct));
            }
            catch (FileExistsException ex)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.DkimKeyFileExists, OutputFileProblem.Exists, ex.Path, "key file", ex,
                    "Choose another selector (the usual way to rotate keys), or add -Force to replace the files: the old key stops verifying once its record is replaced."));
                return;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.ForOutputFile(ErrorId.DkimKeyWriteFailed, OutputFileProblem.WriteFailed, directory, "key directory", ex));
                return;
            }
            WriteObject(key);
        }
    }
}
