using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Server;
using MailOps.Smtp;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Commands
{
    /// <summary>Test-MailServer: the sending side of one outbound server - PTR/FCrDNS and HELO, blocklists, the /24
    /// neighbourhood (-Neighborhood), the origin AS, the mail services on the address (-Service) and outbound port 25 from
    /// here (-Local) - one object per address, -ThrottleLimit addresses at a time. Relay mode (-Relay -Credential [-Domain]):
    /// a TLS login to a smarthost or email service, and whether the domain publishes the relay's SPF include and DKIM keys.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailServer", DefaultParameterSetName = ServerSet)]
    [OutputType(typeof(MailServerResult), ParameterSetName = new[] { ServerSet })]
    [OutputType(typeof(MailRelayResult), ParameterSetName = new[] { RelaySet })]
    [OutputType(typeof(bool))]
    public sealed class TestMailServerCommand : FanOutCmdlet
    {
        private const string ServerSet = "Server";
        private const string RelaySet = "Relay";
        private DnsblCheck? _dnsbl;
        private IReadOnlyList<X509Certificate2> _trusted = new X509Certificate2[0];
        private IReadOnlyList<(MailProtocol, int)> _services = new (MailProtocol, int)[0];
        private Lazy<Task<Port25EgressResult>>? _egress;
        private bool _relayStarted;

        /// <summary>The server's addresses (or host names, resolved to their A and AAAA records).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ServerSet)]
        [Alias("IP4Address", "Address")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] IPAddress { get; set; } = Array.Empty<string>();

        /// <summary>The server's name; the default HELO name.</summary>
        [Parameter(Position = 1, ParameterSetName = ServerSet)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? HostName { get; set; }

        /// <summary>The name the server sends in EHLO/HELO; compared with its PTR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? HeloName { get; set; }

        [Parameter(ParameterSetName = ServerSet)]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Zone { get; set; }

        [Parameter(ParameterSetName = ServerSet)]
        [ValidateNotNullOrEmpty]
        public string? DqsKey { get; set; }

        /// <summary>Also counts the listed addresses of the same /24 (public IPv4 only).</summary>
        [Parameter(ParameterSetName = ServerSet)]
        public SwitchParameter Neighborhood { get; set; }

        /// <summary>Skip the origin-AS lookup (Team Cymru's DNS service).</summary>
        [Parameter(ParameterSetName = ServerSet)]
        public SwitchParameter NoAsn { get; set; }

        /// <summary>Also probes the mail services on each address (Test-SmtpService's checks): SMTP+STARTTLS on 25, SMTPS on
        /// 465, submission+STARTTLS on 587, IMAPS on 993.</summary>
        [Parameter(ParameterSetName = ServerSet)]
        public SwitchParameter Service { get; set; }

        /// <summary>The services and ports -Service probes, as a hashtable protocol = port (Smtp, Submission, Smtps, Imap,
        /// Imaps), replacing the default set: @{ Smtp = 2525; Imaps = 10993 }. Implies -Service.</summary>
        [Parameter(ParameterSetName = ServerSet)]
        [ValidateNotNullOrEmpty]
        public Hashtable? ServicePort { get; set; }

        /// <summary>Also tests outbound port 25 from this machine (Test-Port25Egress), once, attached to every result: run it
        /// on the mail server itself.</summary>
        [Parameter(ParameterSetName = ServerSet)]
        public SwitchParameter Local { get; set; }

        /// <summary>-Local's targets ("host", "host:port"); default: the MX hosts of large mailbox providers.</summary>
        [Parameter(ParameterSetName = ServerSet)]
        [ValidateNotNullOrEmpty]
        public string[]? EgressTarget { get; set; }

        /// <summary>Relay mode: the smarthost or email service ("host", "host:port"; port 587 with STARTTLS by default, 465
        /// with implicit TLS).</summary>
        [Parameter(Mandatory = true, ParameterSetName = RelaySet)]
        [ArgumentCompleter(typeof(MailRelayCompleter))]
        [ValidateNotNullOrEmpty]
        public string Relay { get; set; } = null!;

        /// <summary>The relay login (an ESP's SMTP user and password or API key). Sent only inside TLS; never shown.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RelaySet)]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = null!;

        /// <summary>The sending domain: is the relay's SPF include in its SPF record, and a DKIM key of the relay published?</summary>
        [Parameter(ParameterSetName = RelaySet)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string? Domain { get; set; }

        /// <summary>DKIM selectors of the relay to check at -Domain besides the provider's known ones.</summary>
        [Parameter(ParameterSetName = RelaySet)]
        [ValidateNotNullOrEmpty]
        public string[]? DkimSelector { get; set; }

        /// <summary>Implicit TLS on a port other than 465 (465 always is).</summary>
        [Parameter(ParameterSetName = RelaySet)]
        public SwitchParameter ImplicitTls { get; set; }

        /// <summary>CA certificates (PEM or DER files) to trust for -Service and -Relay besides the system's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>The deadline of each SMTP step (-Service, -Local, -Relay): -TimeoutSec, at least 10 s.</summary>
        private TimeSpan SmtpTimeout => TimeSpan.FromSeconds(Math.Max(TimeoutSec, 10));

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _trusted = SmtpCmdletSupport.LoadCertificates(this, TrustedCertificatePath, nameof(TrustedCertificatePath));
            if (ParameterSetName == RelaySet) return;
            if (ServicePort != null) _services = ParseServicePort(ServicePort);
            else if (Service) _services = MailServerOptions.DefaultServices;
            if (Local) _egress = new Lazy<Task<Port25EgressResult>>(StartEgress);
            _dnsbl = CreateDnsblCheck(Zone, DqsKey, Math.Max(32, ThrottleLimit * 2));
        }

        /// <summary>@{ Smtp = 25; Imaps = 993 }: keys are MailProtocol names, values ports; anything else ends the command.</summary>
        private IReadOnlyList<(MailProtocol, int)> ParseServicePort(Hashtable table)
        {
            var list = new List<(MailProtocol, int)>();
            foreach (DictionaryEntry e in table)
            {
                var key = e.Key?.ToString();
                var ok = Enum.TryParse(key, true, out MailProtocol protocol) && !int.TryParse(key, out _);
                var value = e.Value is PSObject ps ? ps.BaseObject : e.Value;
                int port = 0;
                ok = ok && value != null && int.TryParse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port >= 1 && port <= 65535;
                if (!ok)
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidServicePort,
                        $"-ServicePort entry '{TextSafety.Escape(key)} = {TextSafety.Escape(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture))}' is not a protocol (Smtp, Submission, Smtps, Imap, Imaps) with a port from 1 to 65535.",
                        key, "Write -ServicePort @{ Smtp = 25; Smtps = 465; Submission = 587; Imaps = 993 }."));
                list.Add((protocol, port));
            }
            return list.OrderBy(x => x.Item2).ToList();
        }

        /// <summary>-Local: the one egress check of the invocation, started when the first address needs it.</summary>
        private Task<Port25EgressResult> StartEgress()
        {
            var token = CancelToken;
            return Task.Run(async () =>
            {
                var targets = new List<MailOps.Smtp.EgressTarget>();
                foreach (var t in EgressTarget ?? new string[0])
                {
                    try { targets.Add(MailOps.Smtp.EgressTarget.Parse(t)); }
                    catch (FormatException ex)
                    {
                        Post(() => WriteError(ErrorRecords.ForInvalidTarget(t, ex, "mx.example.com, mx.example.com:2525, 192.0.2.25 or [2001:db8::25]:25")));
                    }
                }
                if (EgressTarget == null)
                {
                    var unanswered = new List<MailOps.Dns.DnsQueryResult>();
                    targets.AddRange(await Port25Egress.DefaultTargetsAsync(Dns, unanswered, token).ConfigureAwait(false));
                    if (unanswered.Count > 0)
                        Post(() => WriteUnanswered("-Local", unanswered, _ => "That provider is left out."));
                }
                var options = new EgressOptions { Timeout = SmtpTimeout };
                var run = await Port25Egress.CheckAsync(Dns, targets, options, 4, Sink.Prefixed("-Local "), token).ConfigureAwait(false);
                foreach (var f in run.Failures) Post(() => WriteError(ErrorRecords.ForEgressFailure(f)));
                var result = run.Result;
                if (result.Verdict == "Blocked" || result.Verdict == "Intercepted") Post(() => WriteWarning($"{result.Message} {result.Remedy}"));
                if (result.Verdict == "Unreachable")
                    Post(() => WriteError(ErrorRecords.Create(ErrorId.EgressUnreachable, result.Message, "port 25", result.Remedy)));
                return result;
            }, token);
        }

        private MailServerOptions Options(string? helo) => new MailServerOptions
        {
            HeloName = helo,
            Neighborhood = Neighborhood,
            Asn = !NoAsn,
            Services = _services,
            ServiceOptions = new MailServiceOptions { Timeout = SmtpTimeout, TrustedCertificates = _trusted.ToList() },
            Port25Egress = _egress == null ? null : (Func<CancellationToken, Task<Port25EgressResult>>)(ct => _egress.Value),
        };

        protected override void ProcessRecord()
        {
            if (ParameterSetName == RelaySet)
            {
                if (!_relayStarted) StartRelay();
                _relayStarted = true;
                return;
            }
            var options = Options(HeloName ?? HostName);
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
                    WriteError(ErrorRecords.Create(ErrorId.InvalidDomainName, $"{host} has no A or AAAA record.", host, "Pass the server's IP address or a host name that resolves."));
                    continue;
                }
                var withHelo = options.HeloName != null ? options : Options(host);
                foreach (var a in addresses) Start(a, withHelo);
            }
        }

        private void Start(System.Net.IPAddress ip, MailServerOptions options)
        {
            var check = Begun(_dnsbl);
            var dnsbl = check.ResultCount(DnsblTarget.ForAddress(ip)) > 0 ? check : null;
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
            foreach (var e in outcome.BlocklistErrors) WriteDnsblErrorOnce(e);
            foreach (var e in outcome.ServiceFailures)
                if (!(e.Failure == MailConnectionFailure.Refused)) WriteError(ErrorRecords.ForMailConnection(e, $"{r.IPAddress}:{e.Port}"));
            WriteCheckResult(r, r.Status != "Fail" && r.Status != "Incomplete");
        }

        private void StartRelay()
        {
            (string Host, int Port) relay;
            try { relay = MailRelayCheck.ParseRelay(Relay); }
            catch (FormatException ex)
            {
                WriteError(ErrorRecords.ForInvalidTarget(Relay, ex, "smtp.example.net, smtp.example.net:587 or smtp.example.net:465"));
                RecordCheckFailed();
                return;
            }
            string? domain = null;
            if (Domain != null && !TryNormalizeDomain(Domain, out domain)) { RecordCheckFailed(); return; }
            var credential = Credential.GetNetworkCredential();
            var options = new MailRelayOptions
            {
                Timeout = SmtpTimeout,
                HeloName = HeloName,
                ImplicitTls = ImplicitTls ? true : (bool?)null,
                TrustedCertificates = _trusted.ToList(),
                Resolve = SmtpCmdletSupport.Resolver(this, Dns, relay.Port),
                Domain = domain,
                DkimSelectors = DkimSelector ?? new string[0],
            };
            var target = $"{relay.Host}:{relay.Port}";
            WriteVerbose($"{target}: relay check (EHLO, {(options.ImplicitTls ?? relay.Port == 465 ? "implicit TLS" : "STARTTLS")}, AUTH, QUIT; no message is sent)");
            StartItem(async ct =>
            {
                var outcome = await MailRelayCheck.RunAsync(Dns, relay.Host, relay.Port, credential, options, ct).ConfigureAwait(false);
                return () => EmitRelay(outcome, target);
            });
        }

        private void EmitRelay(MailRelayOutcome outcome, string target)
        {
            var r = outcome.Result;
            if (outcome.ConnectionFailure != null) WriteError(ErrorRecords.ForMailConnection(outcome.ConnectionFailure, target));
            foreach (var (_, error) in outcome.Failures) WriteError(ErrorRecords.ForDns(error, r.Domain));
            if (r.Login == "Rejected")
                WriteError(ErrorRecords.Create(ErrorId.RelayAuthenticationFailed,
                    $"{target} refused the login ({r.AuthMechanism}): {r.AuthReply}", target,
                    "Check the relay user name and password (an email service's SMTP credential or API key, not its web login)."));
            WriteVerbose($"{target}: {r}");
            WriteCheckResult(r, r.Status == "Pass" || r.Status == "Warning");
        }

    }
}
