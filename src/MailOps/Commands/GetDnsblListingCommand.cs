using System;
using System.Management.Automation;
using MailOps.Dnsbl;

namespace MailOps.Commands
{
    /// <summary>
    /// Get-DnsblListing: IP addresses and domains against blocklist zones, one object per (target, zone) with Status
    /// Listed / NotListed / Error. On the fan-out base: work starts as each input arrives and runs in parallel; results
    /// are written in input order, each target's zones in the order of the plan. -ThrottleLimit bounds both the targets
    /// in progress and the DNS questions in flight (the check's own throttle). An Error result is also written once per
    /// zone and kind as a non-terminating ErrorRecord.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DnsblListing", DefaultParameterSetName = "IPAddress")]
    [OutputType(typeof(DnsblResult))]
    [OutputType(typeof(bool))]
    public sealed class GetDnsblListingCommand : FanOutCmdlet
    {
        private DnsblCheck? _check;
        private int _listed, _errors;

        /// <summary>Blocklist questions are small and many: 32 at a time unless -ThrottleLimit says otherwise.</summary>
        public GetDnsblListingCommand() => ThrottleLimit = 32;

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "IPAddress", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("IP4Address", "Address")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        [AddressInput]
        public string[] IPAddress { get; set; } = Array.Empty<string>();

        // By property name only: if it also took strings by value, PowerShell would bind any piped object to it as text
        // (binding by value with coercion comes before binding by property name with coercion) before -IPAddress could
        // take an object's IPAddress property. Piped plain strings are addresses; domains come as -Domain or a Domain column.
        [Parameter(Mandatory = true, ParameterSetName = "Domain", ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        [Parameter]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Zone { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DqsKey { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _check = CreateDnsblCheck(Zone, DqsKey, ThrottleLimit);
            foreach (var p in Begun(_check).Plans)
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
        }

        private void Start(DnsblTarget target)
        {
            if (Begun(_check).ResultCount(target) == 0)
            {
                WriteWarning($"No selected zone lists {(target.IsDomain ? "domains" : target.Kind + " addresses")}; {target.Text} was not checked. Name one with -Zone.");
                return;
            }
            StartItem(async ct =>
            {
                var results = await Begun(_check).CheckAsync(target, ct).ConfigureAwait(false);
                return () =>
                {
                    foreach (var r in results) Emit(r);
                };
            });
        }

        private void Emit(DnsblResult r)
        {
            if (r.Status == DnsblStatus.Listed) _listed++;
            if (r.Status == DnsblStatus.Error)
            {
                _errors++;
                WriteDnsblErrorOnce(r);
            }
            // Never "clean" when unsure: an Error (written above) or a listing makes -Quiet $false.
            WriteCheckResult(r, r.Status == DnsblStatus.NotListed);
        }

        protected override string ProgressDetail => $"{_listed} listed, {_errors} errors";
    }
}
