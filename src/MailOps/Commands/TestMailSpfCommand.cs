using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using MailOps.Dns;
using MailOps.Spf;

namespace MailOps.Commands
{
    /// <summary>
    /// Test-MailSpf: audits a domain's SPF record (tree, lookup and void counts, findings), or evaluates RFC 7208
    /// check_host() for a client IP and sender.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "MailSpf", DefaultParameterSetName = AuditSet)]
    [OutputType(typeof(SpfAuditResult), ParameterSetName = new[] { AuditSet })]
    [OutputType(typeof(SpfEvaluationResult), ParameterSetName = new[] { EvaluateSet })]
    [OutputType(typeof(bool))]
    public sealed class TestMailSpfCommand : FanOutCmdlet
    {
        private const string AuditSet = "Audit";
        private const string EvaluateSet = "Evaluate";
        private readonly HashSet<string> _audited = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private int _done;
        private string? _receivingHost;

        /// <summary>The domains to audit, or whose policy to evaluate (when evaluating, default: the domain of -Sender, or
        /// -HeloName when the sender is empty).</summary>
        // Not Mandatory: evaluating needs only -IPAddress and -Sender. (Two [Parameter] attributes, mandatory for the audit
        // only, would let PowerShell settle piped rows with Domain and IPAddress columns on the audit set.) An audit without a
        // domain is an error in ProcessRecord.
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "DomainName")]
        [System.Management.Automation.AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[]? Domain { get; set; }

        /// <summary>Client IPs to evaluate (IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4).</summary>
        [Parameter(Mandatory = true, Position = 1, ParameterSetName = EvaluateSet, ValueFromPipelineByPropertyName = true)]
        [Alias("IP4Address", "Address")]
        [System.Management.Automation.AllowNull, AllowEmptyString]   // an empty cell or line is this cmdlet's error (InvalidArgument), so -Quiet counts it
        public string[] IPAddress { get; set; } = Array.Empty<string>();

        /// <summary>The MAIL FROM address. Alone it is enough: its domain is the one evaluated. Empty ("" or "&lt;&gt;", a
        /// bounce) means the HELO identity: postmaster@HeloName (RFC 7208 §2.4). Default: postmaster@Domain.</summary>
        [Parameter(ParameterSetName = EvaluateSet, ValueFromPipelineByPropertyName = true)]
        [Alias("MailFrom")]
        public string? Sender { get; set; }

        /// <summary>The HELO/EHLO name the client gave (the %{h} macro). Default: the domain.</summary>
        [Parameter(ParameterSetName = EvaluateSet, ValueFromPipelineByPropertyName = true)]
        [Alias("Helo", "Ehlo")]
        public string? HeloName { get; set; }

        /// <summary>Return $true/$false instead of objects.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == EvaluateSet)
            {
                if (Domain == null || Domain.Length == 0)
                {
                    if (TryIdentityFromSender(out var identity, out var sender)) Evaluate(identity, sender);
                    return;
                }
                foreach (var input in Domain)
                {
                    // A receiver evaluates whatever the client sent: a malformed domain is not refused but evaluated,
                    // and check_host() gives "none" (RFC 7208 §4.3). What people paste (a URL, an address) is still read.
                    if (DnsName.TryNormalizeInput(input, out var domain) != null || domain == null) // a domain whenever no problem
                    {
                        domain = (input ?? "").Trim();
                        WriteWarning($"'{TextSafety.Escape(domain)}' is not a valid domain name; as a receiver would, SPF evaluates it to 'none' (RFC 7208 §4.3).");
                    }
                    Evaluate(domain, Sender);
                }
                return;
            }
            if (Domain == null || Domain.Length == 0)
            {
                WriteError(ErrorRecords.Create(ErrorId.InvalidDomainName,
                    "No domain to audit: give -Domain (or -IPAddress with -Sender to evaluate).", "",
                    "For example: Test-MailSpf example.com"));
                return;
            }
            foreach (var input in Domain)
            {
                if (!TryNormalizeDomain(input, out var domain)) continue;
                Audit(domain);
            }
        }

        /// <summary>
        /// The identity check_host() is run for when no -Domain is given, as a receiver picks it (RFC 7208 §2.4): the domain
        /// of the MAIL FROM address; for an empty MAIL FROM (a bounce: "" or "&lt;&gt;"), postmaster@ the HELO name. The domain
        /// is taken as the client sent it (a malformed one evaluates to "none", §4.3).
        /// </summary>
        private bool TryIdentityFromSender([NotNullWhen(true)] out string? domain, out string sender)
        {
            domain = null;
            sender = (Sender ?? "").Trim();
            if (sender.StartsWith("<", StringComparison.Ordinal) && sender.EndsWith(">", StringComparison.Ordinal)) sender = sender.Substring(1, sender.Length - 2).Trim();
            if (sender.Length == 0)
            {
                if (Strings.IsNullOrWhiteSpace(HeloName))
                {
                    WriteError(ErrorRecords.Create(ErrorId.InvalidDomainName,
                        "There is no identity to evaluate: give -Domain, a -Sender address, or (for an empty sender) -HeloName.",
                        Sender ?? "", "For example: Test-MailSpf -IPAddress 192.0.2.25 -Sender user@example.com"));
                    return false;
                }
                domain = HeloName.Trim();
                sender = "postmaster@" + domain;
                return true;
            }
            var at = sender.LastIndexOf('@');
            domain = at < 0 ? sender : sender.Substring(at + 1);
            if (at < 0) sender = "postmaster@" + domain;   // a bare domain given as the sender
            return true;
        }

        /// <summary>One bar for the whole command; the base completes it however the command ends.</summary>
        private void Progress(string status) =>
            WriteProgress(new ProgressRecord(1, "Test-MailSpf", status) { PercentComplete = -1 });

        private void Audit(string domain)
        {
            if (!_audited.Add(domain))
            {
                WriteVerbose($"{domain}: already audited in this pipeline; skipped.");
                return;
            }
            Progress($"Auditing the SPF record of {domain} ({++_done})");
            var propose = !Quiet;
            StartItem(async ct =>
            {
                CheckOutcome<SpfAuditResult> outcome;
                try
                {
                    outcome = await SpfAudit.RunAsync(Dns, domain, ct).ConfigureAwait(false);
                }
                catch (DnsQueryFailedException ex)
                {
                    return () => WriteError(ErrorRecords.ForDns(ex, domain));
                }
                var result = outcome.Result;
                string? noProposal = null;
                if (result.LookupCount > 10 && propose)
                {
                    try
                    {
                        result.FlatteningProposal = await SpfFlattening.ProposeAsync(Dns, result, ct).ConfigureAwait(false);
                    }
                    catch (DnsQueryFailedException ex)
                    {
                        noProposal = $"{domain}: no flattening proposal: {ex.Message}";
                    }
                }
                return () =>
                {
                    WriteUnanswered(domain, outcome.Unanswered, q => q.Type == DnsRecordType.SPF && DnsName.EqualNames(q.Name, domain)
                        ? "(This is the query for the obsolete type 99 SPF record, which receivers no longer use; only the ObsoleteSpfRecordType check could not run.)"
                        : "That part of the SPF tree could not be checked.");
                    if (noProposal != null) WriteWarning(noProposal);
                    WriteCheckResult(result, !result.Findings.Any(f => f.Level == FindingSeverity.Fail));
                };
            });
        }

        private void Evaluate(string domain, string? sender)
        {
            foreach (var text in IPAddress)
            {
                if (!System.Net.IPAddress.TryParse((text ?? "").Trim().Trim('[', ']'), out var ip))
                {
                    WriteError(ErrorRecords.ForInvalidAddress(text, "not an IPv4 or IPv6 address", ranges: false));
                    continue;
                }
                Progress($"Evaluating SPF of {domain} for {ip} ({++_done})");
                var options = new SpfEvaluationOptions { ReceivingHost = _receivingHost ??= SafeHostName() };
                var helo = HeloName;
                StartItem(async ct =>
                {
                    var outcome = await SpfEvaluator.EvaluateAsync(Dns, ip, domain, sender ?? "", helo, options, ct).ConfigureAwait(false);
                    var result = outcome.Result;
                    return () =>
                    {
                        WriteUnanswered($"{domain} {result.IPAddress}", outcome, result.Result == "temperror"
                            ? "The SPF result is temperror: try again later or ask another resolver with -Server."
                            : "The result does not depend on it (an exp= or %{p} lookup, or a ptr name that was skipped).");
                        WriteCheckResult(result, result.IsPass);
                    };
                });
            }
        }

        private static string? SafeHostName()
        {
            try { return System.Net.Dns.GetHostName(); }
            catch (System.Net.Sockets.SocketException) { return null; }
        }
    }
}
