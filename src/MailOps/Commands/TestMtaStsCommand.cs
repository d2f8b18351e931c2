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
    public sealed class TestMtaStsCommand : DnsCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [ValidateNotNullOrEmpty]
        public string[] Domain { get; set; }

        /// <summary>PEM or DER files of CA certificates to trust besides the system roots (private PKI, tests).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] TrustedCaCertificatePath { get; set; }

        /// <summary>CA certificates to trust besides the system roots, as objects.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public X509Certificate2[] TrustedCertificate { get; set; }

        /// <summary>The HTTPS port of the policy host. Only for tests and private setups: senders always use 443.</summary>
        [Parameter(DontShow = true)]
        [ValidateRange(1, 65535)]
        public int HttpsPort { get; set; } = 443;

        /// <summary>Return $true/$false instead of the result object.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private MtaStsOptions _options;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            var trusted = new List<X509Certificate2>(TrustedCertificate ?? new X509Certificate2[0]);
            foreach (var path in TrustedCaCertificatePath ?? new string[0])
            {
                IEnumerable<string> files = null;
                try
                {
                    files = GetResolvedProviderPathFromPSPath(path, out _);
                }
                catch (ItemNotFoundException ex)
                {
                    ThrowTerminatingError(ErrorRecords.Create(ErrorId.TrustedCertificateNotFound, ErrorCategory.ObjectNotFound,
                        $"The CA certificate file '{path}' was not found.", path, "Check the path given to -TrustedCaCertificatePath.", ex));
                }
                foreach (var file in files)
                {
                    try
                    {
                        trusted.AddRange(CertificateFile.Load(file));
                    }
                    catch (InvalidDataException ex)
                    {
                        ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidTrustedCertificate, ErrorCategory.InvalidData, ex.Message, file,
                            "Pass a PEM file (-----BEGIN CERTIFICATE-----, one or more) or a DER .cer/.crt file.", ex));
                    }
                    catch (IOException ex)
                    {
                        ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidTrustedCertificate, ErrorCategory.ReadError, $"'{file}' cannot be read: {ex.Message}", file,
                            "Pass a PEM file (-----BEGIN CERTIFICATE-----, one or more) or a DER .cer/.crt file.", ex));
                    }
                    catch (System.UnauthorizedAccessException ex)
                    {
                        ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidTrustedCertificate, ErrorCategory.PermissionDenied,
                            $"'{file}' cannot be read: {ex.Message}", file, "Check the file's permissions.", ex));
                    }
                }
            }
            if (trusted.Count > 0)
                WriteVerbose("Trusting, besides the system roots: " + string.Join("; ", trusted.ConvertAll(c => c.Subject)));
            _options = new MtaStsOptions
            {
                Port = HttpsPort,
                Timeout = System.TimeSpan.FromSeconds(TimeoutSec),
                TrustedCertificates = trusted,
                Log = line => Post(() => WriteVerbose(line)),
            };
        }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                MtaStsCheckResult check;
                try
                {
                    check = Await(ct => MtaStsCheck.RunAsync(Dns, domain, _options, ct));
                }
                catch (DnsQueryFailedException ex)
                {
                    WriteError(ErrorRecords.ForDns(ex, domain));
                    continue;
                }
                catch (PolicyFetchException ex)
                {
                    WriteError(ErrorRecords.ForPolicyFetch(ex, domain));
                    continue;
                }
                foreach (var unanswered in check.Unanswered)
                    WriteWarning($"{domain}: {new DnsQueryFailedException(unanswered).Message} The MX hosts could not be matched against the policy.");
                var r = check.Result;
                WriteCheckResult(r, r.PolicyValid && r.Status != "Fail");
            }
        }
    }
}
