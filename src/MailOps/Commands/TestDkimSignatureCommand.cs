using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Dkim;

namespace MailOps.Commands
{
    /// <summary>Test-DkimSignature: verifies every DKIM-Signature of .eml files (and the ARC chain), fetching keys
    /// through MailOps' DNS layer.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "DkimSignature")]
    [OutputType(typeof(DkimSignatureResult))]
    [OutputType(typeof(DkimArcResult))]
    [OutputType(typeof(bool))]
    public sealed class TestDkimSignatureCommand : DnsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var input in Path)
            {
                List<string> files;
                try
                {
                    files = GetResolvedProviderPathFromPSPath(input, out var provider).ToList();
                    if (provider.Name != "FileSystem") throw new ItemNotFoundException($"{input} is not a file system path.");
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is DriveNotFoundException || ex is ProviderNotFoundException)
                {
                    WriteError(ErrorRecords.Create(ErrorId.MessageFileNotFound,
                        $"The message file '{input}' was not found.", input, "Check the path; wildcards are allowed (*.eml).", ex));
                    continue;
                }
                foreach (var file in files)
                {
                    if (System.IO.Directory.Exists(file)) continue;
                    DkimMessageCheckResult result;
                    try
                    {
                        result = Await(ct => DkimSignatureCheck.CheckFileAsync(Dns, file, ct));
                    }
                    catch (MessageFileException ex)
                    {
                        WriteError(ErrorRecords.Create(ErrorId.MessageFileUnreadable, ex.Message, file,
                            "Pass a message file as saved from a mail client or the MTA's queue (RFC 5322: header fields, blank line, body).", ex));
                        continue;
                    }
                    foreach (var s in result.Signatures.Where(s => s.Result == "temperror"))
                        WriteWarning($"{file}: the key for d={s.Domain} s={s.Selector} could not be fetched, so the signature is temperror (not fail): {s.Reason}");
                    // A message passes when at least one of its signatures verifies.
                    RecordCheck(result.Signatures.Any(s => s.Result == "pass"));
                    if (QuietMode) continue;
                    foreach (var s in result.Signatures) WriteObject(s);
                    if (result.Arc != null) WriteObject(result.Arc);
                }
            }
        }
    }
}
