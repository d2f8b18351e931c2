using System.Linq;
using System.Management.Automation;
using MailOps.Dkim;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>Find-DkimSelector: probes the selectors common providers and mail servers use (plus -Selector) and
    /// writes each published one as Test-MailDkim reports it.</summary>
    [Cmdlet(VerbsCommon.Find, "DkimSelector")]
    [OutputType(typeof(MailDkimRecord))]
    public sealed class FindDkimSelectorCommand : DnsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string[] Domain { get; set; }

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Selector { get; set; }

        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 8;

        protected override void ProcessRecord()
        {
            var extra = (Selector ?? new string[0]).Where(s =>
            {
                var problem = DkimRecordCheck.ValidateSelector(s);
                if (problem == null) return true;
                WriteError(ErrorRecords.Create(ErrorId.InvalidDkimSelector,
                    $"'{s}' is not a valid DKIM selector: {problem}.", s, "Pass selectors such as s2026 or mail."));
                return false;
            }).ToList();
            var candidates = DkimSelectorSearch.Candidates(extra);
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                var found = 0;
                var activity = $"Probing {candidates.Count} DKIM selectors of {domain}";
                Await(ct => DkimSelectorSearch.RunAsync(Dns, domain, candidates, ThrottleLimit,
                    r => { System.Threading.Interlocked.Increment(ref found); Post(() => WriteObject(r)); },
                    (c, ex) => Post(() => WriteError(ErrorRecords.ForDns(ex, DkimRecordCheck.KeyName(c.Selector, domain)))),
                    p => Post(() => WriteProgress(new ProgressRecord(1, activity, $"{p.Done} of {p.Total}: {p.Selector}")
                    {
                        PercentComplete = p.Total == 0 ? 100 : p.Done * 100 / p.Total,
                    })),
                    ct));
                WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
                if (found == 0)
                    WriteWarning($"None of the {candidates.Count} selectors probed is published for {domain}. Its mail may still be signed with a selector not on the list: look at s= in the DKIM-Signature of a message it sent, and pass it with -Selector.");
            }
        }
    }
}
