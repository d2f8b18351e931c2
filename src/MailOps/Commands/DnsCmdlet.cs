using System;
using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.Dnsbl;

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
        public string[]? Server { get; set; }

        /// <summary>Seconds to wait for each DNS answer.</summary>
        [Parameter]
        [Alias("TimeoutSeconds")]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 5;

        /// <summary>Master files whose names are answered from the file instead of the network.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ZoneFile { get; set; }

        /// <summary>How long each DNS question waits: -TimeoutSec on the DNS cmdlets. The transport cmdlets give -TimeoutSec
        /// another meaning (the deadline of each network step) and override this (<see cref="SmtpCmdletSupport.DnsQueryTimeout"/>).</summary>
        protected virtual TimeSpan DnsQueryTimeout => TimeSpan.FromSeconds(TimeoutSec);

        /// <summary>True for cmdlets that read the AD bit (DANE): queries then carry the DO bit.</summary>
        protected virtual bool RequestDnssec => false;

        /// <summary>The resolver for this invocation.</summary>
        protected IDnsResolver Dns => _dns ?? throw new InvalidOperationException("The resolver is built in BeginProcessing.");
        private IDnsResolver? _dns;

        protected override void BeginProcessing()
        {
            _dns = DnsResolverBuilder.Build(this, Server, DnsQueryTimeout, ZoneFile, RequestDnssec,
                Sink, ThrowTerminatingError, CancelToken);
        }

        /// <summary>
        /// The one place address input is read (Test-MailPtr, Get-DnsblListing): one address, or a CIDR range of at most 256
        /// addresses (see <see cref="AddressRange"/>), expanded in order. Anything else writes an InvalidIPAddress error
        /// (InvalidArgument) naming the input and gives no address: the caller goes on with the next input.
        /// </summary>
        protected IReadOnlyList<System.Net.IPAddress> ExpandAddressInput(string input)
        {
            if (PipelineInput.TryNoMailHost(input, out var domain))
            {
                WriteError(ErrorRecords.ForNoMailHost(domain));
                return new System.Net.IPAddress[0];
            }
            var problem = AddressRange.TryExpand(input, out var addresses);
            if (problem == null) return addresses;
            WriteError(ErrorRecords.ForInvalidAddress(input, problem, ranges: true));
            return new System.Net.IPAddress[0];
        }
    

        /// <summary>
        /// The one way a cmdlet builds its blocklist check (Get-DnsblListing, Test-MailServer, Test-MailDomain): the zones of
        /// -Zone (or the catalogue's defaults), the DQS key, one throttle for the invocation, notes to -Verbose and warnings
        /// to the warning stream. An invalid -Zone or -DqsKey ends the command with InvalidDnsblZone (InvalidArgument).
        /// </summary>
        protected DnsblCheck? CreateDnsblCheck(string[]? zones, string? dqsKey, int throttleLimit)
        {
            try
            {
                return new DnsblCheck(Dns, new DnsblOptions
                {
                    Zones = zones ?? new string[0],
                    DqsKey = dqsKey,
                    ThrottleLimit = throttleLimit,
                    Sink = Sink,
                });
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidDnsblZone, ex.Message,
                    string.Join(",", zones ?? new string[0]),
                    ex is DnsblZoneException z ? Advice.ForDnsblZone(z.Problem, z.Zone) : Advice.ForDnsblZone(DnsblZoneProblem.InvalidName, null), ex));
                return null;
            }
        }

        private readonly HashSet<(string, DnsblErrorKind?)> _dnsblErrorsWritten = new HashSet<(string, DnsblErrorKind?)>();

        /// <summary>Writes a blocklist error once per zone and kind for the whole invocation: a zone that failed its test or
        /// refuses this resolver fails every address alike, and a thousand identical errors would hide the others.</summary>
        protected void WriteDnsblErrorOnce(DnsblResult error)
        {
            if (_dnsblErrorsWritten.Add((error.Zone, error.ErrorKind))) WriteError(ErrorRecords.ForDnsbl(error));
        }

        /// <summary>
        /// The one way a cmdlet reports DNS questions that went unanswered without stopping a check (the outcome's
        /// <see cref="CheckOutcome{T}.Unanswered"/>): one warning per question, "&lt;target&gt;: &lt;the question and how it
        /// failed&gt; &lt;what that leaves unknown&gt;". The result is degraded, not wrong, so this is a warning and never an
        /// error; the result itself is still written. A check that records the gap as data too (SPF's ...Unanswered
        /// findings, DMARC's ExternalDestinationUnverified) keeps that finding: the finding travels with the exported
        /// result, the warning tells whoever is watching the console now.
        /// </summary>
        protected void WriteUnanswered<T>(string? target, CheckOutcome<T> outcome, string consequence) =>
            WriteUnanswered(target, outcome.Unanswered, _ => consequence);

        /// <summary>As <see cref="WriteUnanswered{T}(string, CheckOutcome{T}, string)"/>, for a list of questions and a
        /// consequence that depends on the question. <paramref name="target"/> may be null (no prefix).</summary>
        protected void WriteUnanswered(string? target, IEnumerable<DnsQueryResult> unanswered, Func<DnsQueryResult, string> consequence)
        {
            foreach (var q in unanswered)
            {
                var then = consequence?.Invoke(q);
                WriteWarning((target == null ? "" : target + ": ") + new DnsQueryFailedException(q).Message
                    + (Strings.IsNullOrEmpty(then) ? "" : " " + then));
            }
        }
    }
}
