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
        [ValidateNotNullOrEmpty]
        public string[] Domain { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                StartItem(async ct =>
                {
                    MxCheckResult result;
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
                        foreach (var unanswered in result.Unanswered)
                            WriteWarning($"{domain}: {new DnsQueryFailedException(unanswered).Message} The result for this host is incomplete.");
                        foreach (var host in result.Hosts)
                            WriteObject(host);
                    };
                });
            }
        }
    }
}
