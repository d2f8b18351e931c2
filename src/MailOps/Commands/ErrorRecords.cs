using System;
using System.Management.Automation;
using MailOps.Dns;
using MailOps.MtaSts;

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
        // MtaSts
        MtaStsPolicyTimeout,
        MtaStsPolicyConnectionRefused,
        MtaStsPolicyConnectionFailed,
        MtaStsPolicyTlsFailed,
        MtaStsPolicyInvalidResponse,
        TrustedCertificateNotFound,
        InvalidTrustedCertificate,
        InvalidMtaStsPolicy,
        MtaStsPolicyFileExists,
        MtaStsPolicyWriteFailed,
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
    }
}
