using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using System.Threading.Tasks;
using MailOps.Dnsbl;

namespace MailOps.Commands
{
    /// <summary>
    /// Get-DnsblListing: IP addresses and domains against blocklist zones, one object per (target, zone) with Status
    /// Listed / NotListed / Error. Work starts as each input arrives and runs in parallel (-ThrottleLimit); results are
    /// written as they come. An Error result is also written once per zone and kind as a non-terminating ErrorRecord.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DnsblListing", DefaultParameterSetName = "IPAddress")]
    [OutputType(typeof(DnsblResult))]
    [OutputType(typeof(bool))]
    public sealed class GetDnsblListingCommand : DnsCmdlet
    {
        private DnsblCheck _check;
        private readonly List<Task> _running = new List<Task>();
        private readonly HashSet<(string, MailOps.Dnsbl.DnsblErrorKind?)> _reported = new HashSet<(string, MailOps.Dnsbl.DnsblErrorKind?)>();
        private readonly Stopwatch _progressClock = Stopwatch.StartNew();
        private int _total, _done, _listed, _errors;

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "IPAddress", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("IP4Address", "Address")]
        [ValidateNotNullOrEmpty]
        [AddressInput]
        public string[] IPAddress { get; set; }

        // By property name only: if it also took strings by value, PowerShell would bind any piped object to it as text
        // (binding by value with coercion comes before binding by property name with coercion) before -IPAddress could
        // take an object's IPAddress property. Piped plain strings are addresses; domains come as -Domain or a Domain column.
        [Parameter(Mandatory = true, ParameterSetName = "Domain", ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string[] Domain { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Zone { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string DqsKey { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = 32;

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _check = CreateDnsblCheck(Zone, DqsKey, ThrottleLimit);
            foreach (var p in _check.Plans)
                WriteVerbose($"DNSBL zone {p.DisplayName}: {(p.Zone.InCatalogue ? p.Zone.Title : "not in the catalogue; RFC 5782 defaults")}");
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == "Domain")
            {
                foreach (var input in Domain)
                {
                    // An IP address or range given as a domain (a Name column holding addresses) is checked as addresses.
                    if (AddressRange.TryExpand(input, out var addresses) == null)
                    {
                        foreach (var ip in addresses) Start(DnsblTarget.ForAddress(ip));
                        continue;
                    }
                    if (!TryNormalizeDomain(input, out var domain)) continue;
                    DnsblTarget target;
                    try
                    {
                        target = DnsblTarget.ForDomain(domain);
                    }
                    catch (ArgumentException ex)
                    {
                        WriteError(ErrorRecords.ForInvalidName(input, ex.Message, "domain name", "Pass a domain name such as example.com."));
                        continue;
                    }
                    Start(target);
                }
            }
            else
            {
                foreach (var input in IPAddress)
                    foreach (var ip in ExpandAddressInput(input)) Start(DnsblTarget.ForAddress(ip));
            }
            DrainPosted();
        }

        private void Start(DnsblTarget target)
        {
            var count = _check.ResultCount(target);
            if (count == 0)
            {
                WriteWarning($"No selected zone lists {(target.IsDomain ? "domains" : target.Kind + " addresses")}; {target.Text} was not checked. Name one with -Zone.");
                return;
            }
            _total += count;
            _running.Add(_check.CheckAsync(target, r => Post(() => Emit(r)), CancelToken));
        }

        private void Emit(DnsblResult r)
        {
            _done++;
            if (r.Status == DnsblStatus.Listed) _listed++;
            if (r.Status == DnsblStatus.Error)
            {
                _errors++;
                if (_reported.Add((r.Zone, r.ErrorKind))) WriteError(ErrorRecords.ForDnsbl(r));
            }
            // Never "clean" when unsure: an Error (written above) or a listing makes -Quiet $false.
            WriteCheckResult(r, r.Status == DnsblStatus.NotListed);
            if (_progressClock.ElapsedMilliseconds >= 200 || _done == _total)
            {
                _progressClock.Restart();
                WriteProgress(new ProgressRecord(1, "Get-DnsblListing", $"{_done} of {_total} checks done; {_listed} listed, {_errors} errors")
                {
                    PercentComplete = _total == 0 ? 100 : Math.Min(100, _done * 100 / _total),
                });
            }
        }

        protected override void EndProcessing()
        {
            if (_check != null)
            {
                Await(ct => Task.WhenAll(_running));
                var done = new ProgressRecord(1, "Get-DnsblListing", "Done") { RecordType = ProgressRecordType.Completed };
                WriteProgress(done);
            }
            base.EndProcessing();   // the one -Quiet Boolean
        }
    }
}
