using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dkim;
using MailOps.Dmarc;
using MailOps.Dns;
using MailOps.DomainHealth;
using MailOps.MtaSts;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Test-MailDomain: one call per domain - MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, DANE (and with -Live the SMTP
    /// service) - one object per domain with the findings in fix-first order. Domains are checked -ThrottleLimit at a time
    /// and written in input order.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailDomain", DefaultParameterSetName = "Blocklist")]
    [OutputType(typeof(MailDomainResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailDomainCommand : FanOutCmdlet
    {
        private MailDomainOptions? _options;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        /// <summary>DKIM selectors to check instead of probing the common ones.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Selector")]
        [ValidateNotNullOrEmpty]
        public string[]? DkimSelector { get; set; }

        /// <summary>Also checks the client records a mail suite asks for.</summary>
        [Parameter]
        public MailDomainProfile Profile { get; set; } = MailDomainProfile.None;

        /// <summary>Connect to each MX: SMTP STARTTLS and certificate, DANE matched against the live certificate.</summary>
        [Parameter]
        public SwitchParameter Live { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? HeloName { get; set; }

        /// <summary>TreeWalk (RFC 9989, default) or PublicSuffixList (RFC 7489).</summary>
        [Parameter]
        public DmarcDiscoveryMethod DmarcDiscoveryMethod { get; set; } = DmarcDiscoveryMethod.TreeWalk;

        /// <summary>PEM or DER CA certificates to trust besides the system roots (MTA-STS policy host, -Live SMTP).</summary>
        [Parameter]
        [Alias("TrustedCaCertificatePath")]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        /// <summary>The HTTPS port of MTA-STS policy hosts. Only for tests and private setups: senders always use 443.</summary>
        [Parameter(DontShow = true)]
        [ValidateRange(1, 65535)]
        public int HttpsPort { get; set; } = 443;

        /// <summary>The SMTP port probed with -Live. Only for tests and private setups: senders always use 25.</summary>
        [Parameter(DontShow = true)]
        [ValidateRange(1, 65535)]
        public int SmtpPort { get; set; } = 25;

        /// <summary>The blocklists asked about each MX address and the domain (default: the catalogue's default zones, as
        /// Get-DnsblListing).</summary>
        [Parameter(ParameterSetName = "Blocklist")]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Zone { get; set; }

        /// <summary>A Spamhaus DQS key: Spamhaus zones are asked through DQS (they refuse public resolvers).</summary>
        [Parameter(ParameterSetName = "Blocklist")]
        [ValidateNotNullOrEmpty]
        public string? DqsKey { get; set; }

        /// <summary>Skip the blocklist check.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "NoBlocklist")]
        public SwitchParameter NoBlocklist { get; set; }

        /// <summary>One Boolean for the whole invocation: $true when every domain is Pass or Warning and nothing failed to run.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override bool RequestDnssec => true;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            var trusted = new List<X509Certificate2>(SmtpCmdletSupport.LoadCertificates(this, TrustedCertificatePath, nameof(TrustedCertificatePath)));
            foreach (var s in DkimSelector ?? new string[0])
            {
                var problem = DkimRecordCheck.ValidateSelector(s);
                if (problem != null)
                    ThrowTerminatingError(ErrorRecords.ForInvalidSelector(s, problem));
            }
            MailOps.Dnsbl.DnsblCheck? blocklists = null;
            PublicSuffixList? psl = null;
            if (DmarcDiscoveryMethod == DmarcDiscoveryMethod.PublicSuffixList)
            {
                var path = TestMailDmarcCommand.PublicSuffixListPath;
                try
                {
                    psl = PublicSuffixList.Load(path);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.PublicSuffixListMissing,
                        $"The Public Suffix List could not be read from '{path}': {ex.Message}", path,
                        "Reinstall the module, or use -DmarcDiscoveryMethod TreeWalk (which needs no list).", ex));
                }
            }
            if (!NoBlocklist)
                blocklists = CreateDnsblCheck(Zone, DqsKey, Math.Max(32, ThrottleLimit * 2));
            var timeout = TimeSpan.FromSeconds(TimeoutSec);
            _options = new MailDomainOptions
            {
                Blocklists = blocklists,
                DmarcDiscovery = DmarcDiscoveryMethod,
                PublicSuffixList = psl,
                Profile = Profile,
                Live = Live,
                SmtpPort = SmtpPort,
                MtaSts = new MtaStsOptions
                {
                    Port = HttpsPort,
                    Timeout = timeout,
                    TrustedCertificates = trusted,
                    Sink = Sink,
                },
                Smtp = new MailServiceOptions
                {
                    Timeout = timeout,
                    HeloName = HeloName,
                    TrustedCertificates = trusted,
                    Resolve = SmtpCmdletSupport.Resolver(this, Dns, SmtpPort),
                },
            };
        }

        protected override void ProcessRecord()
        {
            // -DkimSelector may come per row (Import-Csv with a Selector column) or once for all.
            var selectors = (DkimSelector ?? new string[0]).Where(s => !Strings.IsNullOrWhiteSpace(s)).ToList();
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain))
                {
                    RecordCheckFailed();
                    continue;
                }
                var options = selectors.Count == 0 ? Begun(_options) : WithSelectors(Begun(_options), selectors);
                StartItem(async ct =>
                {
                    var outcome = await MailDomainCheck.RunAsync(Dns, domain, options, ct).ConfigureAwait(false);
                    return () => Emit(domain, outcome);
                });
            }
        }

        private static MailDomainOptions WithSelectors(MailDomainOptions o, IReadOnlyList<string> selectors) => new MailDomainOptions
        {
            DkimSelectors = selectors,
            DkimThrottleLimit = o.DkimThrottleLimit,
            DmarcDiscovery = o.DmarcDiscovery,
            PublicSuffixList = o.PublicSuffixList,
            MtaSts = o.MtaSts,
            Profile = o.Profile,
            Live = o.Live,
            SmtpPort = o.SmtpPort,
            Smtp = o.Smtp,
            Blocklists = o.Blocklists,
            MaxBlocklistAddresses = o.MaxBlocklistAddresses,
        };

        private void Emit(string domain, MailDomainCheckOutcome outcome)
        {
            foreach (var f in outcome.Failures)
            {
                var record = ErrorRecords.ForDomainCheckFailure(f, domain);
                if (record != null) WriteError(record);
            }
            foreach (var e in outcome.BlocklistErrors) WriteDnsblErrorOnce(e);
            foreach (var p in outcome.Partial.Where(p => !p.StartsWith("Blocklist ", StringComparison.Ordinal)))
                WriteWarning($"{domain}: {p} The result is incomplete.");
            var r = outcome.Result;
            WriteCheckResult(r, r.Status != "Fail" && r.Status != "Incomplete");
        }
    }
}
