using System;
using System.IO;
using System.Management.Automation;
using MailOps.Dmarc;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>Test-MailDmarc: the DMARC policy that applies to a domain (RFC 9989 tree walk, or RFC 7489's Public
    /// Suffix List), every tag checked, external report destinations verified.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailDmarc")]
    [OutputType(typeof(MailDmarcResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMailDmarcCommand : FanOutCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] Domain { get; set; } = Array.Empty<string>();

        /// <summary>TreeWalk (RFC 9989, default) or PublicSuffixList (RFC 7489).</summary>
        [Parameter]
        public DmarcDiscoveryMethod DiscoveryMethod { get; set; } = DmarcDiscoveryMethod.TreeWalk;

        /// <summary>Return $true when a DMARC policy applies and nothing fails, else $false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private PublicSuffixList? _psl;

        /// <summary>The Public Suffix List shipped in the module's Data folder (out/MailOps/Data; MailOps.dll itself is in
        /// out/MailOps/dependencies).</summary>
        internal static string PublicSuffixListPath
        {
            get
            {
                var dir = Path.GetDirectoryName(typeof(TestMailDmarcCommand).Assembly.Location) ?? ".";
                var beside = Path.Combine(dir, "Data", "public_suffix_list.dat");
                return File.Exists(beside) ? beside : Path.Combine(Path.GetDirectoryName(dir) ?? dir, "Data", "public_suffix_list.dat");
            }
        }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (DiscoveryMethod != DmarcDiscoveryMethod.PublicSuffixList) return;
            var path = PublicSuffixListPath;
            try
            {
                _psl = PublicSuffixList.Load(path);
                WriteVerbose($"Public Suffix List: {path} ({_psl.RuleCount} rules)");
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorRecords.Create(ErrorId.PublicSuffixListMissing,
                    $"The Public Suffix List could not be read from '{path}': {ex.Message}", path,
                    "Reinstall the module, or use -DiscoveryMethod TreeWalk (which needs no list).", ex));
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                var method = DiscoveryMethod;
                var psl = _psl;
                StartItem(async ct =>
                {
                    CheckOutcome<MailDmarcResult> result;
                    try
                    {
                        result = await DmarcCheck.RunAsync(Dns, domain, method, psl, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        return () => WriteError(ErrorRecords.ForDns(ex, domain));
                    }
                    return () =>
                    {
                        WriteUnanswered(domain, result, "The result is incomplete.");
                        WriteCheckResult(result.Result, result.Result.Record != null && result.Result.Status != "Fail");
                    };
                });
            }
        }
    }
}
