using System;
using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.Mx;

namespace MailOps.Commands
{
    /// <summary>Get-MailMx: a domain's mail exchangers, their addresses and PTR names, with findings.</summary>
    [Cmdlet(VerbsCommon.Get, "MailMx")]
    [OutputType(typeof(MailMxHost))]
    public sealed class GetMailMxCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                StartItem(async ct =>
                {
                    CheckOutcome<IReadOnlyList<MailMxHost>> result;
                    try
                    {
                        result = await MxCheck.RunAsync(Dns, domain, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        return () => WriteError(ErrorRecords.ForDns(ex, domain));
                    }
                    return () =>
                    {
                        WriteUnanswered(domain, result, "The result for this host is incomplete.");
                        foreach (var host in result.Result)
                            WriteObject(host);
                    };
                });
            }
        }
    }
}
