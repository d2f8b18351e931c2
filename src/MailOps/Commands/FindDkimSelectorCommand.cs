using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Dkim;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>Find-DkimSelector: probes the selectors common providers and mail servers use (plus -Selector) and
    /// writes each published one as Test-MailDkim reports it. Each domain is one fan-out item (<see cref="FanOutCmdlet"/>:
    /// -ThrottleLimit domains at once, results in input order); within a domain the selectors are probed
    /// <see cref="SelectorsAtOnce"/> at a time and written in the order of the list.</summary>
    [Cmdlet(VerbsCommon.Find, "DkimSelector")]
    [OutputType(typeof(MailDkimRecord))]
    public sealed class FindDkimSelectorCommand : FanOutCmdlet
    {
        /// <summary>Selector probes of one domain in flight at once (Test-MailDomain uses the same number).</summary>
        public const int SelectorsAtOnce = 8;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[]? Selector { get; set; }

        protected override void ProcessRecord()
        {
            var extra = (Selector ?? new string[0]).Where(s =>
            {
                var problem = DkimRecordCheck.ValidateSelector(s);
                if (problem == null) return true;
                WriteError(ErrorRecords.ForInvalidSelector(s, problem));
                return false;
            }).ToList();
            var candidates = DkimSelectorSearch.Candidates(extra);
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                StartItem(async ct =>
                {
                    var search = await DkimSelectorSearch.RunAsync(Dns, domain, candidates, SelectorsAtOnce, Sink, ct).ConfigureAwait(false);
                    return () =>
                    {
                        foreach (var f in search.Failed)
                            WriteError(ErrorRecords.ForDns(f.Error, DkimRecordCheck.KeyName(f.Candidate.Selector, domain)));
                        foreach (var r in search.Found) WriteObject(r);
                        if (search.Found.Count == 0)
                            WriteWarning($"None of the {candidates.Count} selectors probed is published for {domain}. Its mail may still be signed with a selector not on the list: look at s= in the DKIM-Signature of a message it sent, and pass it with -Selector.");
                    };
                });
            }
        }
    }
}
