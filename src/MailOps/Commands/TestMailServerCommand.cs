using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Server;

namespace MailOps.Commands
{
    /// <summary>Test-MailServer: the sending side of one outbound server - PTR/FCrDNS and HELO, blocklists, the /24
    /// neighbourhood (-Neighborhood) and the origin AS - one object per address, -ThrottleLimit addresses at a time.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailServer")]
    [OutputType(typeof(MailServerResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailServerCommand : FanOutCmdlet
    {
        private DnsblCheck _dnsbl;
        private readonly HashSet<(string, MailOps.Dnsbl.DnsblErrorKind?)> _reported = new HashSet<(string, MailOps.Dnsbl.DnsblErrorKind?)>();

        /// <summary>The server's addresses (or host names, resolved to their A and AAAA records).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("IP4Address", "Address")]
        [ValidateNotNullOrEmpty]
        public string[] IPAddress { get; set; }

        /// <summary>The server's name; the default HELO name.</summary>
        [Parameter(Position = 1)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string HostName { get; set; }

        /// <summary>The name the server sends in EHLO/HELO; compared with its PTR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string HeloName { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Zone { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string DqsKey { get; set; }

        /// <summary>Also counts the listed addresses of the same /24 (public IPv4 only).</summary>
        [Parameter]
        public SwitchParameter Neighborhood { get; set; }

        /// <summary>Skip the origin-AS lookup (Team Cymru's DNS service).</summary>
        [Parameter]
        public SwitchParameter NoAsn { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try
            {
                _dnsbl = new DnsblCheck(Dns, new DnsblOptions
                {
                    Zones = Zone ?? new string[0],
                    DqsKey = DqsKey,
                    ThrottleLimit = Math.Max(32, ThrottleLimit * 2),
                    Log = line => Post(() => WriteVerbose(line)),
                    Warn = line => Post(() => WriteWarning(line)),
                });
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidDnsblZone, ErrorCategory.InvalidArgument, ex.Message,
                    string.Join(",", Zone ?? new string[0]), "Run Get-DnsblZone to see the catalogue; zones that need a key are named in it.", ex));
            }
        }

        protected override void ProcessRecord()
        {
            var options = new MailServerOptions { HeloName = HeloName ?? HostName, Neighborhood = Neighborhood, Asn = !NoAsn };
            foreach (var input in IPAddress)
            {
                var text = input?.Trim();
                if (System.Net.IPAddress.TryParse(text?.Trim('[', ']'), out var ip))
                {
                    Start(ip, options);
                    continue;
                }
                if (!TryNormalizeDomain(text, out var host)) { RecordCheckFailed(); continue; }
                // A host name: every address it resolves to, through the same resolver.
                IReadOnlyList<System.Net.IPAddress> addresses;
                try
                {
                    addresses = Await(ct => MailOps.Smtp.DaneCheck.ResolveAsync(Dns, host, 25, ct));
                }
                catch (DnsQueryFailedException ex)
                {
                    WriteError(ErrorRecords.ForDns(ex, host));
                    continue;
                }
                if (addresses.Count == 0)
                {
                    WriteError(ErrorRecords.Create(ErrorId.InvalidDomainName, ErrorCategory.ObjectNotFound, $"{host} has no A or AAAA record.", host, "Pass the server's IP address or a host name that resolves."));
                    continue;
                }
                var withHelo = options.HeloName != null ? options : new MailServerOptions { HeloName = host, Neighborhood = Neighborhood, Asn = !NoAsn };
                foreach (var a in addresses) Start(a, withHelo);
            }
        }

        private void Start(System.Net.IPAddress ip, MailServerOptions options)
        {
            var dnsbl = _dnsbl.ResultCount(DnsblTarget.ForAddress(ip)) > 0 ? _dnsbl : null;
            StartItem(async ct =>
            {
                var outcome = await MailServerCheck.RunAsync(Dns, dnsbl, ip, options, ct).ConfigureAwait(false);
                return () => Emit(outcome);
            });
        }

        private void Emit(MailServerCheckOutcome outcome)
        {
            var r = outcome.Result;
            foreach (var (_, error) in outcome.Failures)
                if (error is DnsQueryFailedException dns) WriteError(ErrorRecords.ForDns(dns, r.IPAddress));
            foreach (var e in outcome.BlocklistErrors)
                if (_reported.Add((e.Zone, e.ErrorKind))) WriteError(ErrorRecords.ForDnsbl(e));
            WriteCheckResult(r, r.Status != "Fail" && r.Status != "Incomplete");
        }

    }
}
