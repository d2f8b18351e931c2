using System;
using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Ptr;

namespace MailOps.Commands
{
    /// <summary>Test-MailPtr: reverse DNS of a sending address as receivers judge it (PTR, FCrDNS, HELO match, generic names).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailPtr")]
    [OutputType(typeof(MailPtrResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailPtrCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("IP4Address", "Address")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        [AddressInput]
        public string[] IPAddress { get; set; } = Array.Empty<string>();

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Helo", "EhloName")]
        [ValidateNotNullOrEmpty]
        public string? HeloName { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            var problem = HeloName == null ? null : DnsName.ValidateDomainName(HeloName);
            if (problem != null)
                ThrowTerminatingError(ErrorRecords.ForInvalidName(HeloName, problem, "HELO host name", "Pass the name your server sends in HELO/EHLO, e.g. mail.example.com."));
        }

        protected override void ProcessRecord()
        {
            foreach (var input in IPAddress)
            foreach (var ip in ExpandAddressInput(input))
            {
                var address = ip;
                var helo = HeloName;
                StartItem(async ct =>
                {
                    CheckOutcome<MailPtrResult> result;
                    try
                    {
                        result = await PtrCheck.RunAsync(Dns, address, helo, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        return () => WriteError(ErrorRecords.ForDns(ex, address.ToString())); // unsure is never "pass"
                    }
                    return () =>
                    {
                        WriteUnanswered(address.ToString(), result, "Forward confirmation of this name is unknown.");
                        WriteCheckResult(result.Result, result.Result.Status != "Fail" && result.Result.ForwardConfirmed == true);
                    };
                });
            }
        }
    }
}
