using System;
using System.Threading.Tasks;
using System.Threading;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Test-MailDane: DANE for SMTP (RFC 7672) on a domain's MX hosts, or on given hosts.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailDane", DefaultParameterSetName = DomainSet)]
    [OutputType(typeof(MailDaneResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailDaneCommand : FanOutCmdlet
    {
        private const string DomainSet = "Domain";
        private const string HostSet = "HostName";

        public TestMailDaneCommand()
        {
            TimeoutSec = 15;
        }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DomainSet)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = HostSet)]
        [Alias("ComputerName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        [HostNameInput]
        public string[] HostName { get; set; } = Array.Empty<string>();

        /// <summary>Where to connect; the TLSA name stays _25._tcp.</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 25;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? HeloName { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>-TimeoutSec here is the deadline of each network step; DNS questions keep their own (see docs/transport.md).</summary>
        protected override System.TimeSpan DnsQueryTimeout => SmtpCmdletSupport.DnsQueryTimeout(TimeoutSec);

        protected override bool RequestDnssec => true;

        protected override void ProcessRecord()
        {
            if (ParameterSetName == DomainSet)
            {
                foreach (var input in Domain)
                {
                    if (!TryNormalizeDomain(input, out var domain)) continue;
                    // One item per domain: its MX hosts are checked one after another inside it and written in MX order.
                    StartItem(async ct =>
                    {
                        IReadOnlyList<DaneTarget> targets;
                        try
                        {
                            targets = await DaneCheck.GetTargetsAsync(Dns, domain, ct).ConfigureAwait(false);
                        }
                        catch (DnsQueryFailedException ex)
                        {
                            return () => WriteError(ErrorRecords.ForDns(ex, domain));
                        }
                        var writes = new List<Action>();
                        foreach (var t in targets) writes.Add(await CheckOneAsync(t, ct).ConfigureAwait(false));
                        return () => { foreach (var w in writes) w(); };
                    });
                }
            }
            else
            {
                foreach (var input in HostName)
                {
                    if (PipelineInput.TryNoMailHost(input, out var noHost))
                    {
                        WriteError(ErrorRecords.ForNoMailHost(noHost));
                        continue;
                    }
                    if (!SmtpCmdletSupport.TryHostName(input, out var host, out var problem))
                    {
                        WriteError(ErrorRecords.ForInvalidName(input, problem, "host name", "Pass the MX host name, such as mail.example.com."));
                        continue;
                    }
                    var target = new DaneTarget(host, host, null);
                    StartItem(ct => CheckOneAsync(target, ct));
                }
            }
        }

        /// <summary>Checks one host (on a pool thread) and returns the write-back of its result or error.</summary>
        private async Task<Action> CheckOneAsync(DaneTarget target, CancellationToken ct)
        {
            var port = Port;
            var options = new DaneOptions { Port = port, Timeout = TimeSpan.FromSeconds(TimeoutSec), HeloName = HeloName };
            var label = target.HostName == "." ? target.Domain : target.HostName;
            try
            {
                var r = await DaneCheck.CheckHostAsync(Dns, target, options, ct).ConfigureAwait(false);
                return () =>
                {
                    WriteVerbose($"{label}: DANE {r.DaneStatus}, {r.TlsaRecords.Count} TLSA record(s), DNSSEC {(r.DnssecValidated ? "validated" : "not validated")}");
                    WriteCheckResult(r, r.DaneStatus == "Valid" && r.Status != "Fail");
                };
            }
            catch (DnsQueryFailedException ex)
            {
                return () => WriteError(ErrorRecords.ForDns(ex, label));
            }
            catch (MailConnectionException ex)
            {
                return () => WriteError(ErrorRecords.ForMailConnection(ex, $"{label}:{port}"));
            }
        }
    }
}
