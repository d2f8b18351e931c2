using System;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.MtaSts;

namespace MailOps.Commands
{
    /// <summary>Test-TlsRpt: the _smtp._tls TXT record of a domain (RFC 8460): v=TLSRPTv1 and valid mailto:/https: rua.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "TlsRpt")]
    [OutputType(typeof(TlsRptResult))]
    [OutputType(typeof(bool))]
    public sealed class TestTlsRptCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        /// <summary>Return $true/$false instead of the result object.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                StartItem(async ct =>
                {
                    TlsRptResult result;
                    try
                    {
                        result = await TlsRptCheck.RunAsync(Dns, domain, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        return () => WriteError(ErrorRecords.ForDns(ex, domain));
                    }
                    return () => WriteCheckResult(result, result.Record != null && result.Status != "Fail");
                });
            }
        }
    }
}
