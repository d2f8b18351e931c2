using System;
using System.IO;
using System.Management.Automation;
using MailOps.Dkim;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>Test-MailDkim: a domain's DKIM key record for each selector, parsed and checked; with
    /// -PrivateKeyPath, whether the private key is the pair of the published key (as opendkim-testkey does).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailDkim")]
    [OutputType(typeof(MailDkimRecord))]
    [OutputType(typeof(bool))]
    public sealed class TestMailDkimCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Selector { get; set; } = Array.Empty<string>();

        [Parameter]
        [Alias("KeyFile")]
        [ValidateNotNullOrEmpty]
        public string? PrivateKeyPath { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private DkimPrivateKey? _key;
        private string? _keyPath;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (PrivateKeyPath == null) return;
            _keyPath = GetUnresolvedProviderPathFromPSPath(PrivateKeyPath);
            try
            {
                _key = DkimRecordCheck.ReadPrivateKeyFile(_keyPath);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorRecords.Create(ex is FileNotFoundException || ex is DirectoryNotFoundException ? ErrorId.DkimPrivateKeyNotFound : ErrorId.DkimPrivateKeyUnreadable,
                    $"The private key file {_keyPath} cannot be read: {ex.Message}", _keyPath, "Check the path, and that you may read the file (DKIM keys are usually readable by root or the signer's user only).", ex));
            }
            catch (FormatException ex)
            {
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidDkimPrivateKey,
                    $"{_keyPath} is not a DKIM private key: {ex.Message}.", _keyPath,
                    "Pass the signer's key file: PEM (RSA or Ed25519) or the base64 Ed25519 seed dkimpy and rspamd use.", ex));
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                foreach (var s in Selector)
                {
                    var problem = DkimRecordCheck.ValidateSelector(s);
                    if (problem != null)
                    {
                        WriteError(ErrorRecords.ForInvalidSelector(s, problem));
                        continue;
                    }
                    var selector = s.Trim();
                    var key = _key;
                    var keyPath = _keyPath;
                    StartItem(async ct =>
                    {
                        MailDkimRecord result;
                        try
                        {
                            result = await DkimRecordCheck.RunAsync(Dns, domain, selector, key, keyPath, ct).ConfigureAwait(false);
                        }
                        catch (DnsQueryFailedException ex)
                        {
                            return () => WriteError(ErrorRecords.ForDns(ex, DkimRecordCheck.KeyName(selector, domain)));
                        }
                        return () => WriteCheckResult(result, result.Found && result.Status != "Fail");
                    });
                }
            }
        }
    }
}
