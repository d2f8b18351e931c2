using System;
using System.Linq;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.MtaSts;
using MailOps.Reports;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Every ErrorId MailOps raises, with its one ErrorCategory: the table users read in docs/errors.md. The name is
    /// the ErrorId users match in scripts.</summary>
    public enum ErrorId
    {
        [Category(ErrorCategory.OperationTimeout)] DnsTimeout,
        [Category(ErrorCategory.ResourceUnavailable)] DnsServerFailure,
        [Category(ErrorCategory.ResourceUnavailable)] DnsRefused,
        [Category(ErrorCategory.ConnectionError)] DnsNetworkError,
        [Category(ErrorCategory.InvalidResult)] DnsError,
        [Category(ErrorCategory.InvalidArgument)] InvalidDnsServer,
        [Category(ErrorCategory.InvalidData)] InvalidZoneFile,
        [Category(ErrorCategory.ObjectNotFound)] ZoneFileNotFound,
        [Category(ErrorCategory.InvalidArgument)] InvalidDomainName,
        [Category(ErrorCategory.ObjectNotFound)] NoMailHost,
        // Blocklists
        [Category(ErrorCategory.InvalidArgument)] DnsblListError,
        [Category(ErrorCategory.ResourceUnavailable)] DnsblZoneUnusable,
        [Category(ErrorCategory.InvalidResult)] DnsblInvalidAnswer,
        [Category(ErrorCategory.InvalidArgument)] InvalidDnsblZone,
        // SMTP and certificates
        [Category(ErrorCategory.ConnectionError)] MailConnectionRefused,
        [Category(ErrorCategory.OperationTimeout)] MailConnectionTimeout,
        [Category(ErrorCategory.OperationTimeout)] MailNoBanner,
        [Category(ErrorCategory.ConnectionError)] MailConnectionClosed,
        [Category(ErrorCategory.ConnectionError)] MailNetworkError,
        [Category(ErrorCategory.ProtocolError)] TlsUnavailable,
        [Category(ErrorCategory.ObjectNotFound)] CertificateFileNotFound,
        [Category(ErrorCategory.InvalidData)] InvalidCertificateFile,
        [Category(ErrorCategory.InvalidArgument)] InvalidTlsaParameters,
        [Category(ErrorCategory.InvalidArgument)] InvalidTarget,
        // SPF, PTR, DNSBL input
        [Category(ErrorCategory.InvalidArgument)] InvalidIPAddress,
        // MTA-STS
        [Category(ErrorCategory.OperationTimeout)] MtaStsPolicyTimeout,
        [Category(ErrorCategory.ConnectionError)] MtaStsPolicyConnectionRefused,
        [Category(ErrorCategory.ConnectionError)] MtaStsPolicyConnectionFailed,
        [Category(ErrorCategory.ProtocolError)] MtaStsPolicyTlsFailed,
        [Category(ErrorCategory.InvalidData)] MtaStsPolicyInvalidResponse,
        [Category(ErrorCategory.InvalidArgument)] InvalidMtaStsPolicy,
        [Category(ErrorCategory.ResourceExists)] MtaStsPolicyFileExists,
        [Category(ErrorCategory.WriteError)] MtaStsPolicyWriteFailed,
        // DKIM
        [Category(ErrorCategory.InvalidArgument)] InvalidDkimSelector,
        [Category(ErrorCategory.ResourceExists)] DkimKeyFileExists,
        [Category(ErrorCategory.WriteError)] DkimKeyWriteFailed,
        [Category(ErrorCategory.ReadError)] DkimPrivateKeyUnreadable,
        [Category(ErrorCategory.ObjectNotFound)] DkimPrivateKeyNotFound,
        [Category(ErrorCategory.InvalidData)] InvalidDkimPrivateKey,
        [Category(ErrorCategory.ObjectNotFound)] MessageFileNotFound,
        [Category(ErrorCategory.ReadError)] MessageFileUnreadable,
        // DMARC, TLS-RPT and bounce imports
        [Category(ErrorCategory.ResourceUnavailable)] PublicSuffixListMissing,
        [Category(ErrorCategory.ObjectNotFound)] ReportFileNotFound,
        [Category(ErrorCategory.InvalidData)] ReportNotRecognized,
        [Category(ErrorCategory.InvalidData)] ReportMalformed,
        [Category(ErrorCategory.SecurityError)] ReportDtdProhibited,
        [Category(ErrorCategory.LimitsExceeded)] ReportTooLarge,
        [Category(ErrorCategory.ReadError)] ReportUnreadable,
        // Port 25 egress
        [Category(ErrorCategory.ObjectNotFound)] NoEgressTargets,
        [Category(ErrorCategory.ConnectionError)] EgressUnreachable,
        // HTML and Markdown reports
        [Category(ErrorCategory.InvalidType)] ReportInputNotRecognized,
        [Category(ErrorCategory.ResourceExists)] ReportFileExists,
        [Category(ErrorCategory.WriteError)] ReportWriteFailed,
        // Delivery logs
        [Category(ErrorCategory.ObjectNotFound)] MailLogNotFound,
        [Category(ErrorCategory.ReadError)] MailLogUnreadable,
        [Category(ErrorCategory.InvalidData)] InvalidDeliveryRecord,
        // Warm-up
        [Category(ErrorCategory.ResourceExists)] WarmupPlanFileExists,
        [Category(ErrorCategory.WriteError)] WarmupPlanWriteFailed,
        [Category(ErrorCategory.ObjectNotFound)] WarmupPlanNotFound,
        [Category(ErrorCategory.InvalidData)] InvalidWarmupPlan,
        // Test-MailServer -Service / -Relay
        [Category(ErrorCategory.InvalidArgument)] InvalidServicePort,
        [Category(ErrorCategory.SecurityError)] RelayAuthenticationFailed,
        // Report importers -ImapServer
        [Category(ErrorCategory.InvalidArgument)] InvalidImapServer,
        [Category(ErrorCategory.InvalidArgument)] ImapArchiveFolderRequired,
        [Category(ErrorCategory.ConnectionError)] ImapConnectFailed,
        [Category(ErrorCategory.OperationTimeout)] ImapTimeout,
        [Category(ErrorCategory.SecurityError)] ImapTlsUnavailable,
        [Category(ErrorCategory.SecurityError)] ImapCertificateRejected,
        [Category(ErrorCategory.AuthenticationError)] ImapAuthenticationFailed,
        [Category(ErrorCategory.ObjectNotFound)] ImapFolderNotFound,
        [Category(ErrorCategory.ConnectionError)] ImapConnectionLost,
        [Category(ErrorCategory.InvalidOperation)] ImapCommandFailed,
    }

    /// <summary>The ErrorCategory of an <see cref="ErrorId"/> (one per id: a different cause with a different category gets its own id).</summary>
    [AttributeUsage(AttributeTargets.Field)]
    public sealed class CategoryAttribute : Attribute
    {
        public CategoryAttribute(ErrorCategory category) => Category = category;
        public ErrorCategory Category { get; }
    }

    /// <summary>Why a file a cmdlet writes was not written (<see cref="ErrorRecords.ForOutputFile"/>).</summary>
    public enum OutputFileProblem
    {
        Exists,
        IsDirectory,
        DirectoryMissing,
        WriteFailed,
    }

    /// <summary>The one place ErrorRecords are built: ErrorId, category, target and, where the user can act, a recommended action.</summary>
    public static class ErrorRecords
    {
        private static readonly System.Collections.Generic.Dictionary<ErrorId, ErrorCategory> Categories =
            typeof(ErrorId).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .ToDictionary(f => (ErrorId)f.GetValue(null), f => f.GetCustomAttributes(typeof(CategoryAttribute), false).Cast<CategoryAttribute>().Single().Category);

        /// <summary>The category of an ErrorId, from the table on <see cref="ErrorId"/>.</summary>
        public static ErrorCategory CategoryOf(ErrorId id) => Categories[id];

        /// <summary>An ErrorRecord for <paramref name="id"/>, with the id's category.</summary>
        public static ErrorRecord Create(ErrorId id, string message, object? target, string? recommendedAction = null, Exception? exception = null) =>
            Build(id, CategoryOf(id), message, target, recommendedAction, exception);

        /// <summary>Only for the two ids whose category says more than the id (DnsblListError: refused, quota, other;
        /// ReportUnreadable: a device or pipe passed as a file is an invalid argument); docs/errors.md lists both.</summary>
        private static ErrorRecord Build(ErrorId id, ErrorCategory category, string message, object? target, string? recommendedAction = null, Exception? exception = null)
        {
            var record = new ErrorRecord(exception ?? new InvalidOperationException(message), id.ToString(), category, target)
            {
                ErrorDetails = new ErrorDetails(message),
            };
            if (recommendedAction != null) record.ErrorDetails.RecommendedAction = recommendedAction;
            return record;
        }

        /// <summary>A domain or host name input that is not one (InvalidDomainName): the input escaped for display, what was
        /// wrong, and an example of what to pass.</summary>
        public static ErrorRecord ForInvalidName(string? input, string problem, string what, string hint) =>
            Create(ErrorId.InvalidDomainName, $"'{TextSafety.Escape(input ?? "")}' is not a valid {what}: {problem.TrimEnd('.')}.", input, hint);

        /// <summary>A Get-MailMx row with no mail host (the domain does not exist, or has neither MX nor address records)
        /// piped into a cmdlet that checks hosts or addresses: nothing to check for that domain (NoMailHost).</summary>
        public static ErrorRecord ForNoMailHost(string domain) =>
            Create(ErrorId.NoMailHost, $"Get-MailMx found no mail host for {domain} (the domain does not exist, or publishes neither MX nor address records): there is no host or address of it to check.",
                domain, $"Check the domain name; Get-MailMx {domain} shows what was found.");

        /// <summary>A DKIM selector input that is not one (InvalidDkimSelector), the same words on every cmdlet that takes one.</summary>
        public static ErrorRecord ForInvalidSelector(string? selector, string problem) =>
            Create(ErrorId.InvalidDkimSelector, $"'{TextSafety.Escape(selector ?? "")}' is not a valid DKIM selector: {problem.TrimEnd('.')}.", selector,
                "Pass the s= value of the DKIM signatures: letters, digits and hyphens, e.g. mail, s2026 or selector1.");

        /// <summary>An address input that is not one (InvalidIPAddress). <paramref name="ranges"/>: the cmdlet also takes
        /// CIDR ranges (Test-MailPtr, Get-DnsblListing), and the hint says how large.</summary>
        public static ErrorRecord ForInvalidAddress(string? input, string problem, bool ranges) =>
            Create(ErrorId.InvalidIPAddress, $"'{TextSafety.Escape(input ?? "")}' is not a usable address: {problem.TrimEnd('.')}.", input,
                ranges
                    ? $"Pass an address (192.0.2.25, 2001:db8::25) or a range of /{AddressRange.MinIPv4Prefix} or smaller (IPv4), /{AddressRange.MinIPv6Prefix} or smaller (IPv6)."
                    : "Pass an IPv4 or IPv6 address, e.g. 192.0.2.25 or 2001:db8::25.");

        /// <summary>A host[:port] target that cannot be parsed (InvalidTarget); <paramref name="example"/> shows the forms.</summary>
        public static ErrorRecord ForInvalidTarget(string input, Exception ex, string example) =>
            Create(ErrorId.InvalidTarget, ex.Message, input, "Write it as " + example + ".", ex);

        /// <summary>A pipeline object that is not a delivery record (InvalidDeliveryRecord); the pipeline goes on.</summary>
        public static ErrorRecord ForInvalidDeliveryRecord(object? item, string problem) =>
            Create(ErrorId.InvalidDeliveryRecord, $"The input '{TextSafety.Escape(item?.ToString() ?? "")}' cannot be counted: {problem.TrimEnd('.')}.", item,
                "Pipe records from Get-MailDeliveryLog or Import-MailBounce (or CSV rows exported from them), or give Postfix log paths.");

        /// <summary>
        /// A file a cmdlet writes (New-DkimKey, New-MtaStsPolicy, New-MailWarmupPlan, ConvertTo-MailOpsHtml) that could not
        /// be written, with the same words everywhere: <paramref name="id"/> is the cmdlet's ...FileExists or ...WriteFailed id,
        /// <paramref name="what"/> names the file ("policy file"), <paramref name="hint"/> replaces the usual action.
        /// </summary>
        public static ErrorRecord ForOutputFile(ErrorId id, OutputFileProblem problem, string path, string what, Exception? ex = null, string? hint = null)
        {
            switch (problem)
            {
                case OutputFileProblem.Exists:
                    return Create(id, $"The {what} '{path}' already exists; nothing was written.", path,
                        hint ?? "Add -Force to replace it, or choose another -Path.", ex);
                case OutputFileProblem.IsDirectory:
                    return Create(id, $"'{path}' is a directory; -Path names the {what} itself; nothing was written.", path,
                        hint ?? "Give -Path the file's full name.", ex);
                case OutputFileProblem.DirectoryMissing:
                    return Create(id, $"The directory '{path}' does not exist; nothing was written.", path,
                        hint ?? "Create it first (New-Item -ItemType Directory), or pass another -Path.", ex);
                default:
                    return Create(id, $"The {what} '{path}' could not be written: {ex?.Message}", path,
                        hint ?? "Check that the directory exists and that this user may write to it.", ex);
            }
        }

        /// <summary>A DNS question that went unanswered: the check could not run.</summary>
        public static ErrorRecord ForDns(DnsQueryFailedException ex, object? target)
        {
            var (id, action) = DnsFailure(ex.Result.Outcome);
            return Create(id, ex.Message, target, action, ex);
        }

        /// <summary>The ErrorId and recommended action (<see cref="Advice.ForDns"/>) for each way a DNS question can go unanswered.</summary>
        private static (ErrorId, string?) DnsFailure(DnsOutcome outcome)
        {
            switch (outcome)
            {
                case DnsOutcome.Timeout: return (ErrorId.DnsTimeout, Advice.ForDns(outcome));
                case DnsOutcome.ServerFailure: return (ErrorId.DnsServerFailure, Advice.ForDns(outcome));
                case DnsOutcome.Refused: return (ErrorId.DnsRefused, Advice.ForDns(outcome));
                case DnsOutcome.NetworkError: return (ErrorId.DnsNetworkError, Advice.ForDns(outcome));
                default: return (ErrorId.DnsError, Advice.ForDns(outcome));
            }
        }

        /// <summary>A blocklist result with Status Error, as an error record: DNS failures keep their Dns* ErrorIds, the
        /// list's own error codes are DnsblListError, a zone failing its RFC 5782 test DnsblZoneUnusable, an answer outside
        /// 127.0.0.0/8 DnsblInvalidAnswer.</summary>
        public static ErrorRecord ForDnsbl(DnsblResult r)
        {
            ErrorId id;
            ErrorCategory? category = null;
            switch (r.ErrorKind)
            {
                case DnsblErrorKind.Timeout: id = ErrorId.DnsTimeout; break;
                case DnsblErrorKind.ServerFailure: id = ErrorId.DnsServerFailure; break;
                case DnsblErrorKind.Refused: id = ErrorId.DnsRefused; break;
                case DnsblErrorKind.NetworkError: id = ErrorId.DnsNetworkError; break;
                case DnsblErrorKind.DnsError: id = ErrorId.DnsError; break;
                case DnsblErrorKind.ZoneTestFailed:
                case DnsblErrorKind.ZoneListsEverything:
                    id = ErrorId.DnsblZoneUnusable; break;
                case DnsblErrorKind.AnswerOutsideLoopback: id = ErrorId.DnsblInvalidAnswer; break;
                case DnsblErrorKind.PublicResolverRefused: id = ErrorId.DnsblListError; category = ErrorCategory.PermissionDenied; break;
                case DnsblErrorKind.QuotaExceeded: id = ErrorId.DnsblListError; category = ErrorCategory.LimitsExceeded; break;
                default: id = ErrorId.DnsblListError; break;
            }
            var action = Advice.ForDnsbl(r.ErrorKind ?? DnsblErrorKind.ListError, r.ZoneEntry);
            return Build(id, category ?? CategoryOf(id), $"{r.Zone} ({r.ErrorKind}): {r.Message}", r.Target, action);
        }

        /// <summary>A port 25 egress target that could not be tried: its name unanswered, or nothing to connect to.</summary>
        public static ErrorRecord ForEgressFailure(Port25EgressFailure failure) =>
            failure.Error is DnsQueryFailedException dns
                ? ForDns(dns, failure.Target.ToString())
                : ForMailConnection((MailConnectionException)failure.Error, failure.Target.ToString());

        /// <summary>A mail service that could not be probed: refused, timed out, silent, closed, or unresolvable; the advice
        /// from <see cref="Advice.ForMailConnection"/>.</summary>
        public static ErrorRecord ForMailConnection(MailConnectionException ex, object? target)
        {
            ErrorId id;
            switch (ex.Failure)
            {
                case MailConnectionFailure.Refused: id = ErrorId.MailConnectionRefused; break;
                case MailConnectionFailure.Timeout: id = ErrorId.MailConnectionTimeout; break;
                case MailConnectionFailure.NoBanner: id = ErrorId.MailNoBanner; break;
                case MailConnectionFailure.Closed: id = ErrorId.MailConnectionClosed; break;
                default: id = ErrorId.MailNetworkError; break;
            }
            return Create(id, ex.Message, target, Advice.ForMailConnection(ex.Failure), ex);
        }

        /// <summary>An MTA-STS policy that could not be fetched at all (a rejected certificate is a finding, not this); the
        /// advice from <see cref="Advice.ForPolicyFetch"/>.</summary>
        public static ErrorRecord ForPolicyFetch(PolicyFetchException ex, object? target)
        {
            ErrorId id;
            switch (ex.Failure)
            {
                case PolicyFetchFailure.Timeout: id = ErrorId.MtaStsPolicyTimeout; break;
                case PolicyFetchFailure.ConnectionRefused: id = ErrorId.MtaStsPolicyConnectionRefused; break;
                case PolicyFetchFailure.TlsFailed: id = ErrorId.MtaStsPolicyTlsFailed; break;
                case PolicyFetchFailure.InvalidResponse: id = ErrorId.MtaStsPolicyInvalidResponse; break;
                default: id = ErrorId.MtaStsPolicyConnectionFailed; break;
            }
            return Create(id, ex.Message, target, Advice.ForPolicyFetch(ex.Failure), ex);
        }

        /// <summary>A part of Test-MailDomain that could not run: the single check's ErrorId and category, the domain as target,
        /// and a message naming the part.</summary>
        public static ErrorRecord? ForDomainCheckFailure(MailOps.DomainHealth.MailDomainCheckFailure f, string domain)
        {
            ErrorRecord record;
            switch (f.Exception)
            {
                case DnsQueryFailedException dns: record = ForDns(dns, domain); break;
                case PolicyFetchException fetch: record = ForPolicyFetch(fetch, domain); break;
                case MailConnectionException conn: record = ForMailConnection(conn, f.Target); break;
                default: return null;
            }
            var action = record.ErrorDetails?.RecommendedAction;
            record.ErrorDetails = new ErrorDetails($"{domain}: the {f.Area} check could not run: {f.Exception.Message}") { RecommendedAction = action };
            return record;
        }

        /// <summary>An IMAP mailbox that could not be read (connect, TLS, login, folder, a broken connection); the advice
        /// from <see cref="Advice.ForImap"/> (<paramref name="security"/>: how TLS was asked for).</summary>
        public static ErrorRecord ForImap(ImapMailboxException ex, object? target, ImapSecurity security)
        {
            ErrorId id;
            switch (ex.Failure)
            {
                case ImapFailure.Timeout: id = ErrorId.ImapTimeout; break;
                case ImapFailure.TlsUnavailable: id = ErrorId.ImapTlsUnavailable; break;
                case ImapFailure.CertificateRejected: id = ErrorId.ImapCertificateRejected; break;
                case ImapFailure.AuthenticationFailed: id = ErrorId.ImapAuthenticationFailed; break;
                case ImapFailure.FolderNotFound: id = ErrorId.ImapFolderNotFound; break;
                case ImapFailure.ConnectionLost: id = ErrorId.ImapConnectionLost; break;
                case ImapFailure.CommandFailed: id = ErrorId.ImapCommandFailed; break;
                default: id = ErrorId.ImapConnectFailed; break;
            }
            return Create(id, ex.Message, target, Advice.ForImap(ex.Failure, security), ex);
        }

        /// <summary>A report file (or archive member) that could not be imported: malformed, hostile, too large or unreadable.</summary>
        public static ErrorRecord ForReportProblem(ReportImportProblem p, string what)
        {
            ErrorId id;
            ErrorCategory? category = null;
            string action;
            switch (p.Kind)
            {
                case ReportProblemKind.DtdProhibited:
                    id = ErrorId.ReportDtdProhibited;
                    action = "Genuine reports never carry a DTD; check where this file came from.";
                    break;
                case ReportProblemKind.TooLarge:
                case ReportProblemKind.TooManyEntries:
                    id = ErrorId.ReportTooLarge;
                    action = "If the file is a genuine large report, raise -MaxDecompressedSize; otherwise delete it.";
                    break;
                case ReportProblemKind.Unreadable:
                    id = ErrorId.ReportUnreadable;
                    action = "Check the file's permissions and that it is not locked.";
                    break;
                case ReportProblemKind.NotRegularFile:
                    id = ErrorId.ReportUnreadable; category = ErrorCategory.InvalidArgument;
                    action = "Pass regular files: named pipes, sockets and devices are never read (they could block or never end).";
                    break;
                case ReportProblemKind.Malformed:
                case ReportProblemKind.Truncated:
                case ReportProblemKind.CorruptArchive:
                    id = ErrorId.ReportMalformed;
                    action = "The file is damaged or was cut short; ask the reporter to resend, or download it again.";
                    break;
                default:
                    id = ErrorId.ReportNotRecognized;
                    action = what.IndexOf("failure", StringComparison.Ordinal) >= 0
                        ? $"Pass {what}s: .eml or mbox files, Maildir folders, or zip/gzip/zlib archives of messages."
                        : $"Pass {what} files: XML/JSON, gzip, zlib, zip, .eml or mbox.";
                    var other = Advice.ForOtherReport(p);
                    if (other != null) action = other + " " + action;
                    break;
            }
            return Build(id, category ?? CategoryOf(id), p.Message, p.SourceFile, action, p.Exception);
        }
    }
}
