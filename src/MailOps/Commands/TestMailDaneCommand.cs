using System;
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
    public sealed class TestMailDaneCommand : DnsCmdlet
    {
        private const string DomainSet = "Domain";
        private const string HostSet = "HostName";

        public TestMailDaneCommand()
        {
            TimeoutSec = 15;
        }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DomainSet)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string[] Domain { get; set; }

        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = HostSet)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        [HostNameInput]
        public string[] HostName { get; set; }

        /// <summary>Where to connect; the TLSA name stays _25._tcp.</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 25;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string HeloName { get; set; }

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
                    IReadOnlyList<DaneTarget> targets;
                    try
                    {
                        targets = Await(ct => DaneCheck.GetTargetsAsync(Dns, domain, ct));
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        WriteError(ErrorRecords.ForDns(ex, domain));
                        continue;
                    }
                    foreach (var t in targets) CheckOne(t);
                }
            }
            else
            {
                foreach (var input in HostName)
                {
                    if (!SmtpCmdletSupport.TryHostName(input, out var host, out var problem))
                    {
                        WriteError(ErrorRecords.Create(ErrorId.InvalidDomainName, ErrorCategory.InvalidArgument,
                            $"'{input}' is not a valid host name: {problem}.", input, "Pass the MX host name, such as mail.example.com."));
                        continue;
                    }
                    CheckOne(new DaneTarget(host, host, null));
                }
            }
        }

        /// <summary>Checks one host and writes its result (or error); false when the check could not run.</summary>
        private bool CheckOne(DaneTarget target)
        {
            var options = new DaneOptions { Port = Port, Timeout = TimeSpan.FromSeconds(TimeoutSec), HeloName = HeloName };
            var label = target.HostName == "." ? target.Domain : target.HostName;
            try
            {
                var r = Await(ct => DaneCheck.CheckHostAsync(Dns, target, options, ct));
                WriteVerbose($"{label}: DANE {r.DaneStatus}, {r.TlsaRecords.Count} TLSA record(s), DNSSEC {(r.DnssecValidated ? "validated" : "not validated")}");
                WriteCheckResult(r, r.DaneStatus == "Valid" && r.Status != "Fail");
                return true;
            }
            catch (DnsQueryFailedException ex)
            {
                WriteError(ErrorRecords.ForDns(ex, label));
            }
            catch (MailConnectionException ex)
            {
                WriteError(ErrorRecords.ForMailConnection(ex, $"{label}:{Port}"));
            }
            return false;
        }
    }
}
