using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Test-SmtpService: greeting, extensions, STARTTLS or implicit TLS, certificate and AUTH exposure of SMTP (25, 587,
    /// 465) and IMAP (143, 993) services. Each host:port is one fan-out item (<see cref="FanOutCmdlet"/>): -ThrottleLimit
    /// probes at a time (default 4, polite to one server's connection limits), rows in input order.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "SmtpService")]
    [OutputType(typeof(MailServiceResult))]
    [OutputType(typeof(bool))]
    public sealed class TestSmtpServiceCommand : FanOutCmdlet
    {
        private IReadOnlyList<X509Certificate2>? _trusted;

        public TestSmtpServiceCommand()
        {
            TimeoutSec = 15;
            ThrottleLimit = 4;
        }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("ComputerName", "Host")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        [HostNameInput]
        public string[] HostName { get; set; } = Array.Empty<string>();

        [Parameter(Position = 1)]
        [ValidateRange(1, 65535)]
        public int[] Port { get; set; } = { 25, 465, 587 };

        [Parameter]
        [ValidateSet("Smtp", "Submission", "Smtps", "Imap", "Imaps", IgnoreCase = true)]
        public string? Protocol { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? HeloName { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>-TimeoutSec here is the deadline of each network step; DNS questions keep their own (see docs/transport.md).</summary>
        protected override System.TimeSpan DnsQueryTimeout => SmtpCmdletSupport.DnsQueryTimeout(TimeoutSec);

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _trusted = SmtpCmdletSupport.LoadCertificates(this, TrustedCertificatePath, nameof(TrustedCertificatePath));
        }

        protected override void ProcessRecord()
        {
            var jobs = new List<(string Host, int Port)>();
            foreach (var input in HostName)
            {
                if (PipelineInput.TryNoMailHost(input, out var noHost))
                {
                    WriteError(ErrorRecords.ForNoMailHost(noHost));
                    continue;
                }
                if (input == ".")
                {
                    WriteWarning("'.' is a null MX (the domain accepts no mail): there is no host to test.");
                    continue;
                }
                if (!SmtpCmdletSupport.TryHostName(input, out var host, out var problem))
                {
                    WriteError(ErrorRecords.ForInvalidName(input, problem, "host name", "Pass a host name such as mail.example.com or an IP address."));
                    continue;
                }
                foreach (var p in Port.Distinct()) jobs.Add((host, p));
            }
            MailProtocol? protocol = Protocol == null ? (MailProtocol?)null : (MailProtocol)Enum.Parse(typeof(MailProtocol), Protocol, true);
            foreach (var (host, port) in jobs)
                StartItem(ct => ProbeOne(host, port, protocol, ct));
        }

        private async Task<Action> ProbeOne(string host, int port, MailProtocol? protocol, CancellationToken ct)
        {
            var target = $"{host}:{port}";
            var options = new MailServiceOptions
            {
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                HeloName = HeloName,
                TrustedCertificates = _trusted.ToList(),
                Protocol = protocol,
                Resolve = SmtpCmdletSupport.Resolver(this, Dns, port),
            };
            Post(() => WriteVerbose($"{target}: connecting ({(protocol ?? MailServiceCheck.ProtocolForPort(port))})"));
            try
            {
                var r = await MailServiceCheck.RunAsync(host, port, options, ct).ConfigureAwait(false);
                return () =>
                {
                    WriteVerbose($"{target}: {r} in {r.ElapsedMs} ms");
                    WriteCheckResult(r, r.Status != "Fail");
                };
            }
            catch (MailConnectionException ex)
            {
                // Never silent: the host:port still gets a row (Status Unreachable or Error) for tables and CSV files,
                // and the failure is an error record as well.
                var row = MailServiceResult.NotProbed(host, port, protocol ?? MailServiceCheck.ProtocolForPort(port), ex);
                return () =>
                {
                    WriteCheckResult(row, false);
                    WriteError(ErrorRecords.ForMailConnection(ex, target));
                };
            }
            catch (DnsQueryFailedException ex)
            {
                return () => WriteError(ErrorRecords.ForDns(ex, target));
            }
        }
    }
}
