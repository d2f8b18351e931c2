using System.Management.Automation;
using MailOps.Dns;
using MailOps.Mx;

namespace MailOps.Commands
{
    /// <summary>Get-MailMx: a domain's mail exchangers, their addresses and PTR names, with findings.</summary>
    [Cmdlet(VerbsCommon.Get, "MailMx")]
    [OutputType(typeof(MailMxHost))]
    public sealed class GetMailMxCommand : DnsCmdlet
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
                MxCheckResult result;
                try
                {
                    result = Await(ct => MxCheck.RunAsync(Dns, domain, ct));
                }
                catch (DnsQueryFailedException ex)
                {
                    WriteError(ErrorRecords.ForDns(ex, domain));
                    continue;
                }
                foreach (var unanswered in result.Unanswered)
                    WriteWarning($"{domain}: {new DnsQueryFailedException(unanswered).Message} The result for this host is incomplete.");
                foreach (var host in result.Hosts)
                    WriteObject(host);
            }
        }
    }
}
