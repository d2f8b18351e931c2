using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using MailOps.Dns;
using MailOps.MtaSts;

namespace MailOps.Commands
{
    /// <summary>Test-MtaSts: a domain's _mta-sts record, its policy fetched over validated HTTPS (no redirects, text/plain,
    /// bounded size), and the live MX hosts matched against the policy (RFC 8461).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MtaSts")]
    [OutputType(typeof(MtaStsResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMtaStsCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        /// <summary>PEM or DER files of CA certificates to trust besides the system roots (private PKI, tests). The same
        /// parameter as on Test-SmtpService; -TrustedCaCertificatePath is kept as an alias.</summary>
        [Parameter]
        [Alias("TrustedCaCertificatePath")]
        [ValidateNotNullOrEmpty]
        public string[]? TrustedCertificatePath { get; set; }

        /// <summary>CA certificates to trust besides the system roots, as objects.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public X509Certificate2[]? TrustedCertificate { get; set; }

        /// <summary>The HTTPS port of the policy host. Only for tests and private setups: senders always use 443.</summary>
        [Parameter(DontShow = true)]
        [ValidateRange(1, 65535)]
        public int HttpsPort { get; set; } = 443;

        /// <summary>Return $true/$false instead of the result object.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private MtaStsOptions? _options;

        /// <summary>-TimeoutSec here is the deadline of each network step; DNS questions keep their own (see docs/transport.md).</summary>
        protected override System.TimeSpan DnsQueryTimeout => SmtpCmdletSupport.DnsQueryTimeout(TimeoutSec);

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            var trusted = new List<X509Certificate2>(TrustedCertificate ?? new X509Certificate2[0]);
            trusted.AddRange(SmtpCmdletSupport.LoadCertificates(this, TrustedCertificatePath, nameof(TrustedCertificatePath)));
            if (trusted.Count > 0)
                WriteVerbose("Trusting, besides the system roots: " + string.Join("; ", trusted.ConvertAll(c => c.Subject)));
            _options = new MtaStsOptions
            {
                Port = HttpsPort,
                Timeout = System.TimeSpan.FromSeconds(TimeoutSec),
                TrustedCertificates = trusted,
                Sink = Sink,
            };
        }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                var options = Begun(_options);
                StartItem(async ct =>
                {
                    CheckOutcome<MtaStsResult> check;
                    try
                    {
                        check = await MtaStsCheck.RunAsync(Dns, domain, options, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        return () => WriteError(ErrorRecords.ForDns(ex, domain));
                    }
                    catch (PolicyFetchException ex)
                    {
                        // Never silent: the domain still gets a row (Status Unreachable or Error), and the error record.
                        return () =>
                        {
                            if (ex.Result != null) WriteCheckResult(ex.Result, false);
                            WriteError(ErrorRecords.ForPolicyFetch(ex, domain));
                        };
                    }
                    return () =>
                    {
                        WriteUnanswered(domain, check, "The MX hosts could not be matched against the policy.");
                        var r = check.Result;
                        WriteCheckResult(r, r.PolicyValid && r.Status != "Fail");
                    };
                });
            }
        }
    }
}
