using System;
using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>
    /// Base of every cmdlet that asks DNS. Supplies -Server, -TimeoutSec and -ZoneFile, builds one resolver (with
    /// its cache) per invocation in BeginProcessing, and writes each query to the verbose stream.
    /// </summary>
    public abstract class DnsCmdlet : MailOpsCmdlet
    {
        /// <summary>DNS servers to ask, in order: ip, host, ip:port or [v6]:port. Default: this machine's resolvers.</summary>
        [Parameter]
        [Alias("NameServer")]
        [ValidateNotNullOrEmpty]
        public string[] Server { get; set; }

        /// <summary>Seconds to wait for each DNS answer.</summary>
        [Parameter]
        [Alias("TimeoutSeconds")]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 5;

        /// <summary>Master files whose names are answered from the file instead of the network.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] ZoneFile { get; set; }

        /// <summary>How long each DNS question waits: -TimeoutSec on the DNS cmdlets. The transport cmdlets give -TimeoutSec
        /// another meaning (the deadline of each network step) and override this (<see cref="SmtpCmdletSupport.DnsQueryTimeout"/>).</summary>
        protected virtual TimeSpan DnsQueryTimeout => TimeSpan.FromSeconds(TimeoutSec);

        /// <summary>True for cmdlets that read the AD bit (DANE): queries then carry the DO bit.</summary>
        protected virtual bool RequestDnssec => false;

        /// <summary>The resolver for this invocation.</summary>
        protected IDnsResolver Dns { get; private set; }

        protected override void BeginProcessing()
        {
            Dns = DnsResolverBuilder.Build(this, Server, DnsQueryTimeout, ZoneFile, RequestDnssec,
                line => Post(() => WriteVerbose(line)), ThrowTerminatingError, CancelToken);
        }

        /// <summary>
        /// The one place address input is read (Test-MailPtr, Get-DnsblListing): one address, or a CIDR range of at most 256
        /// addresses (see <see cref="AddressRange"/>), expanded in order. Anything else writes an InvalidIPAddress error
        /// (InvalidArgument) naming the input and gives no address: the caller goes on with the next input.
        /// </summary>
        protected IReadOnlyList<System.Net.IPAddress> ExpandAddressInput(string input)
        {
            var problem = AddressRange.TryExpand(input, out var addresses);
            if (problem == null) return addresses;
            WriteError(ErrorRecords.Create(ErrorId.InvalidIPAddress, ErrorCategory.InvalidArgument,
                $"'{TextSafety.Escape(input ?? "")}' is not a usable address: {problem}.", input,
                $"Pass an address (192.0.2.25, 2001:db8::25) or a range of /{AddressRange.MinIPv4Prefix} or smaller (IPv4), /{AddressRange.MinIPv6Prefix} or smaller (IPv6)."));
            return new System.Net.IPAddress[0];
        }
    }
}
