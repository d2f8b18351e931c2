using System;
using System.Management.Automation;
using MailOps.Dns;

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
        // DMARC
        PublicSuffixListMissing,
        ReportFileNotFound,
        ReportNotRecognized,
        ReportMalformed,
        ReportDtdProhibited,
        ReportTooLarge,
        ReportUnreadable,
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
            var r = ex.Result;
            ErrorId id;
            ErrorCategory category;
            string action;
            switch (r.Outcome)
            {
                case DnsOutcome.Timeout:
                    id = ErrorId.DnsTimeout; category = ErrorCategory.OperationTimeout;
                    action = "Check that the DNS server answers (or try another with -Server), or raise -TimeoutSec.";
                    break;
                case DnsOutcome.ServerFailure:
                    id = ErrorId.DnsServerFailure; category = ErrorCategory.ResourceUnavailable;
                    action = "SERVFAIL usually means the domain's authoritative servers are broken or its DNSSEC fails to validate; check the delegation and DNSSEC.";
                    break;
                case DnsOutcome.Refused:
                    id = ErrorId.DnsRefused; category = ErrorCategory.ResourceUnavailable;
                    action = "The server will not resolve for this client; use a resolver that serves you, with -Server.";
                    break;
                case DnsOutcome.NetworkError:
                    id = ErrorId.DnsNetworkError; category = ErrorCategory.ConnectionError;
                    action = "Check the network path to the DNS server and the -Server value.";
                    break;
                default:
                    id = ErrorId.DnsError; category = ErrorCategory.InvalidResult;
                    action = null;
                    break;
            }
            return Create(id, category, ex.Message, target, action, ex);
        }
    }
}
