using System;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.MtaSts;
using MailOps.Reports;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>Every ErrorId MailOps raises. The name is the ErrorId users match in scripts.</summary>
    public enum ErrorId
    {
        DnsTimeout,
        DnsServerFailure,
        DnsRefused,
        DnsNetworkError,
        DnsError,
        InvalidDnsServer,
        InvalidZoneFile,
        ZoneFileNotFound,
        InvalidDomainName,
        // Dnsbl
        DnsblListError,
        DnsblZoneUnusable,
        DnsblInvalidAnswer,
        InvalidDnsblZone,
        // Smtp
        MailConnectionRefused,
        MailConnectionTimeout,
        MailNoBanner,
        MailConnectionClosed,
        MailNetworkError,
        TlsUnavailable,
        CertificateFileNotFound,
        InvalidCertificateFile,
        InvalidTlsaParameters,
        InvalidTarget,
        // Spf
        InvalidIPAddress,
        // MtaSts
        MtaStsPolicyTimeout,
        MtaStsPolicyConnectionRefused,
        MtaStsPolicyConnectionFailed,
        MtaStsPolicyTlsFailed,
        MtaStsPolicyInvalidResponse,
        InvalidMtaStsPolicy,
        MtaStsPolicyFileExists,
        MtaStsPolicyWriteFailed,
        // Dkim
        InvalidDkimSelector,
        DkimKeyFileExists,
        DkimKeyWriteFailed,
        DkimPrivateKeyUnreadable,
        MessageFileNotFound,
        MessageFileUnreadable,
        // DMARC
        PublicSuffixListMissing,
        ReportFileNotFound,
        ReportNotRecognized,
        ReportMalformed,
        ReportDtdProhibited,
        ReportTooLarge,
        ReportUnreadable,
        // Never silent (issue 11)
        NoEgressTargets,
        EgressUnreachable,
        // Reports (ConvertTo-MailOpsHtml)
        ReportInputNotRecognized,
        ReportFileExists,
        ReportWriteFailed,
        // Monitoring
        MailLogNotFound,
        MailLogUnreadable,
        InvalidDeliveryRecord,
        // Warm-up
        WarmupPlanFileExists,
        WarmupPlanWriteFailed,
        WarmupPlanNotFound,
        InvalidWarmupPlan,
        // Test-MailServer -Service / -Relay
        InvalidServicePort,
        RelayAuthenticationFailed,
        // Report importers -ImapServer (issue 15)
        InvalidImapServer,
        ImapArchiveFolderRequired,
        ImapConnectFailed,
        ImapTimeout,
        ImapTlsUnavailable,
        ImapCertificateRejected,
        ImapAuthenticationFailed,
        ImapFolderNotFound,
        ImapConnectionLost,
        ImapCommandFailed,
    }

    /// <summary>The one place ErrorRecords are built: ErrorId, category, target and, where the user can act, a recommended action.</summary>
    public static class ErrorRecords
    {
        public static ErrorRecord Create(ErrorId id, ErrorCategory category, string message, object target, string recommendedAction = null, Exception exception = null)
        {
            var record = new ErrorRecord(exception ?? new InvalidOperationException(message), id.ToString(), category, target)
            {
                ErrorDetails = new ErrorDetails(message),
            };
            if (recommendedAction != null) record.ErrorDetails.RecommendedAction = recommendedAction;
            return record;
        }

        /// <summary>A DNS question that went unanswered: the check could not run.</summary>
        public static ErrorRecord ForDns(DnsQueryFailedException ex, object target)
        {
            var (id, category, action) = DnsFailure(ex.Result.Outcome);
            return Create(id, category, ex.Message, target, action, ex);
        }

        /// <summary>The ErrorId, category and recommended action for each way a DNS question can go unanswered.</summary>
        private static (ErrorId, ErrorCategory, string) DnsFailure(DnsOutcome outcome)
        {
            switch (outcome)
            {
                case DnsOutcome.Timeout:
                    return (ErrorId.DnsTimeout, ErrorCategory.OperationTimeout,
                        "Check that the DNS server answers (or try another with -Server), or raise -TimeoutSec.");
                case DnsOutcome.ServerFailure:
                    return (ErrorId.DnsServerFailure, ErrorCategory.ResourceUnavailable,
                        "SERVFAIL usually means the domain's authoritative servers are broken or its DNSSEC fails to validate; check the delegation and DNSSEC, or use another resolver with -Server.");
                case DnsOutcome.Refused:
                    return (ErrorId.DnsRefused, ErrorCategory.ResourceUnavailable,
                        "The server will not resolve for this client; use a resolver that serves you, with -Server.");
                case DnsOutcome.NetworkError:
                    return (ErrorId.DnsNetworkError, ErrorCategory.ConnectionError,
                        "Check the network path to the DNS server and the -Server value.");
                default:
                    return (ErrorId.DnsError, ErrorCategory.InvalidResult, null);
            }
        }

        /// <summary>A blocklist result with Status Error, as an error record: DNS failures keep their Dns* ErrorIds, the
        /// list's own error codes are DnsblListError, a zone failing its RFC 5782 test DnsblZoneUnusable, an answer outside
        /// 127.0.0.0/8 DnsblInvalidAnswer.</summary>
        public static ErrorRecord ForDnsbl(DnsblResult r)
        {
            ErrorId id;
            ErrorCategory category;
            string action;
            switch (r.ErrorKind)
            {
                case DnsblErrorKind.Timeout:
                    (id, category, action) = DnsFailure(DnsOutcome.Timeout);
                    break;
                case DnsblErrorKind.ServerFailure:
                    (id, category, action) = DnsFailure(DnsOutcome.ServerFailure);
                    break;
                case DnsblErrorKind.Refused:
                    (id, category, action) = DnsFailure(DnsOutcome.Refused);
                    break;
                case DnsblErrorKind.NetworkError:
                    (id, category, action) = DnsFailure(DnsOutcome.NetworkError);
                    break;
                case DnsblErrorKind.DnsError:
                    (id, category, action) = DnsFailure(DnsOutcome.OtherError);
                    break;
                case DnsblErrorKind.ZoneTestFailed:
                case DnsblErrorKind.ZoneListsEverything:
                    id = ErrorId.DnsblZoneUnusable; category = ErrorCategory.ResourceUnavailable;
                    action = "Query through your own recursive resolver with -Server (or -DqsKey for Spamhaus), or drop the zone from -Zone.";
                    break;
                case DnsblErrorKind.AnswerOutsideLoopback:
                    id = ErrorId.DnsblInvalidAnswer; category = ErrorCategory.InvalidResult;
                    action = "Drop the zone from -Zone, or query through a resolver that does not rewrite answers.";
                    break;
                case DnsblErrorKind.PublicResolverRefused:
                    id = ErrorId.DnsblListError; category = ErrorCategory.PermissionDenied;
                    action = "Use your own recursive resolver with -Server, or a Spamhaus DQS key with -DqsKey.";
                    break;
                case DnsblErrorKind.QuotaExceeded:
                    id = ErrorId.DnsblListError; category = ErrorCategory.LimitsExceeded;
                    action = "Use a Spamhaus DQS key with -DqsKey, or a resolver of your own under the free-use limit.";
                    break;
                default:
                    id = ErrorId.DnsblListError; category = ErrorCategory.InvalidArgument;
                    action = "Check the zone name and key.";
                    break;
            }
            return Create(id, category, $"{r.Zone} ({r.ErrorKind}): {r.Message}", r.Target, action);
        }

        /// <summary>A mail service that could not be probed: refused, timed out, silent, closed, or unresolvable.</summary>
        public static ErrorRecord ForMailConnection(MailConnectionException ex, object target)
        {
            switch (ex.Failure)
            {
                case MailConnectionFailure.Refused:
                    return Create(ErrorId.MailConnectionRefused, ErrorCategory.ConnectionError, ex.Message, target,
                        "Check that the service runs and listens on this port (ss -ltn), and that no firewall rejects the connection.", ex);
                case MailConnectionFailure.Timeout:
                    return Create(ErrorId.MailConnectionTimeout, ErrorCategory.OperationTimeout, ex.Message, target,
                        "Check that the host is up and that no firewall drops the connection (outbound port 25 is blocked by many providers: Test-Port25Egress tells); or raise -TimeoutSec.", ex);
                case MailConnectionFailure.NoBanner:
                    return Create(ErrorId.MailNoBanner, ErrorCategory.OperationTimeout, ex.Message, target,
                        "Check the server's load and its greeting delay, and whether a proxy or firewall sits in front of it; or raise -TimeoutSec.", ex);
                case MailConnectionFailure.Closed:
                    return Create(ErrorId.MailConnectionClosed, ErrorCategory.ConnectionError, ex.Message, target,
                        "The server dropped the connection before greeting: check its client restrictions and log.", ex);
                default:
                    return Create(ErrorId.MailNetworkError, ErrorCategory.ConnectionError, ex.Message, target,
                        "Check the host name and the network path to it.", ex);
            }
        }

        /// <summary>An MTA-STS policy that could not be fetched at all (a rejected certificate is a finding, not this).</summary>
        public static ErrorRecord ForPolicyFetch(PolicyFetchException ex, object target)
        {
            ErrorId id;
            ErrorCategory category;
            string action;
            switch (ex.Failure)
            {
                case PolicyFetchFailure.Timeout:
                    id = ErrorId.MtaStsPolicyTimeout; category = ErrorCategory.OperationTimeout;
                    action = "Check that the policy web server is up and reachable from here on port 443 (or raise -TimeoutSec). Senders that cannot fetch a new policy keep a cached one until max_age runs out.";
                    break;
                case PolicyFetchFailure.ConnectionRefused:
                    id = ErrorId.MtaStsPolicyConnectionRefused; category = ErrorCategory.ConnectionError;
                    action = "Nothing listens for HTTPS at the policy host's address: start the web server (port 443) or fix the A/AAAA record of the mta-sts host.";
                    break;
                case PolicyFetchFailure.TlsFailed:
                    id = ErrorId.MtaStsPolicyTlsFailed; category = ErrorCategory.ProtocolError;
                    action = "The TLS handshake failed before any certificate could be judged: check that the web server speaks TLS 1.2 or later on port 443 for the mta-sts host name (SNI).";
                    break;
                case PolicyFetchFailure.InvalidResponse:
                    id = ErrorId.MtaStsPolicyInvalidResponse; category = ErrorCategory.InvalidData;
                    action = "The server did not answer with a well-formed HTTP/1.1 response; check the web server or proxy in front of the mta-sts host.";
                    break;
                default:
                    id = ErrorId.MtaStsPolicyConnectionFailed; category = ErrorCategory.ConnectionError;
                    action = "Check the network path to the policy host (routing, firewall, IPv6 reachability).";
                    break;
            }
            return Create(id, category, ex.Message, target, action, ex);
        }

        /// <summary>A part of Test-MailDomain that could not run: the single check's ErrorId and category, the domain as target,
        /// and a message naming the part.</summary>
        public static ErrorRecord ForDomainCheckFailure(MailOps.DomainHealth.MailDomainCheckFailure f, string domain)
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

        /// <summary>An IMAP mailbox that could not be read (connect, TLS, login, folder, a broken connection).</summary>
        public static ErrorRecord ForImap(ImapMailboxException ex, object target)
        {
            ErrorId id;
            ErrorCategory category;
            string action;
            switch (ex.Failure)
            {
                case ImapFailure.Timeout:
                    id = ErrorId.ImapTimeout; category = ErrorCategory.OperationTimeout;
                    action = "Check the server name and port, and that a firewall lets IMAP (993, or 143 with -ImapSecurity StartTls) through.";
                    break;
                case ImapFailure.TlsUnavailable:
                    id = ErrorId.ImapTlsUnavailable; category = ErrorCategory.SecurityError;
                    action = "Enable TLS on the IMAP server, or connect to its IMAPS port (993) with -ImapSecurity Implicit.";
                    break;
                case ImapFailure.CertificateRejected:
                    id = ErrorId.ImapCertificateRejected; category = ErrorCategory.SecurityError;
                    action = "Connect by the name the certificate carries; for a private CA, pass its certificate with -TrustedCertificatePath.";
                    break;
                case ImapFailure.AuthenticationFailed:
                    id = ErrorId.ImapAuthenticationFailed; category = ErrorCategory.AuthenticationError;
                    action = "Check the user name and password given with -Credential.";
                    break;
                case ImapFailure.FolderNotFound:
                    id = ErrorId.ImapFolderNotFound; category = ErrorCategory.ObjectNotFound;
                    action = "Check the folder name (-Folder, -ArchiveFolder); sub-folders use the server's separator (INBOX/Reports or INBOX.Reports).";
                    break;
                case ImapFailure.ConnectionLost:
                    id = ErrorId.ImapConnectionLost; category = ErrorCategory.ConnectionError;
                    action = "Run the import again: messages not yet imported were left as they were.";
                    break;
                case ImapFailure.CommandFailed:
                    id = ErrorId.ImapCommandFailed; category = ErrorCategory.InvalidOperation;
                    action = null;
                    break;
                default:
                    id = ErrorId.ImapConnectFailed; category = ErrorCategory.ConnectionError;
                    action = "Check the server name and port, and that the IMAP server is running.";
                    break;
            }
            return Create(id, category, ex.Message, target, action, ex);
        }

        /// <summary>A report file (or archive member) that could not be imported: malformed, hostile, too large or unreadable.</summary>
        public static ErrorRecord ForReportProblem(ReportImportProblem p, string what)
        {
            ErrorId id;
            ErrorCategory category;
            string action;
            switch (p.Kind)
            {
                case ReportProblemKind.DtdProhibited:
                    id = ErrorId.ReportDtdProhibited; category = ErrorCategory.SecurityError;
                    action = "Genuine reports never carry a DTD; check where this file came from.";
                    break;
                case ReportProblemKind.TooLarge:
                case ReportProblemKind.TooManyEntries:
                    id = ErrorId.ReportTooLarge; category = ErrorCategory.LimitsExceeded;
                    action = "If the file is a genuine large report, raise -MaxDecompressedSize; otherwise delete it.";
                    break;
                case ReportProblemKind.Unreadable:
                    id = ErrorId.ReportUnreadable; category = ErrorCategory.ReadError;
                    action = "Check the file's permissions and that it is not locked.";
                    break;
                case ReportProblemKind.NotRegularFile:
                    id = ErrorId.ReportUnreadable; category = ErrorCategory.InvalidArgument;
                    action = "Pass regular files: named pipes, sockets and devices are never read (they could block or never end).";
                    break;
                case ReportProblemKind.Malformed:
                case ReportProblemKind.Truncated:
                case ReportProblemKind.CorruptArchive:
                    id = ErrorId.ReportMalformed; category = ErrorCategory.InvalidData;
                    action = "The file is damaged or was cut short; ask the reporter to resend, or download it again.";
                    break;
                default:
                    id = ErrorId.ReportNotRecognized; category = ErrorCategory.InvalidData;
                    action = $"Pass {what} files: XML/JSON, gzip, zip, .eml or mbox.";
                    break;
            }
            return Create(id, category, p.Message, p.SourceFile, action, p.Exception);
        }
    }
}
