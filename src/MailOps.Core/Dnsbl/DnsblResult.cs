using MailOps.Dns;

namespace MailOps.Dnsbl
{
    /// <summary>The answer of one blocklist zone about one target.</summary>
    public sealed class DnsblResult
    {
        internal DnsblResult(DnsblTarget target, string zone, string status, ResultList<string>? returnCodes, ResultList<string>? meaning,
            string? reason, string? delistUrl, string queryName, DnsblErrorKind? errorKind, string? message, string? server, DnsQueryResult? failedQuery = null)
        {
            Target = target.Text;
            TargetType = target.Kind;
            Zone = zone;
            Status = status;
            ReturnCodes = returnCodes ?? ResultList<string>.Empty;
            Meaning = meaning ?? ResultList<string>.Empty;
            Reason = reason;
            DelistUrl = delistUrl;
            QueryName = queryName;
            ErrorKind = errorKind;
            Message = message;
            Server = server;
            FailedQuery = failedQuery;
        }

        /// <summary>The catalogue entry of the zone (or the custom zone's), for the cmdlet layer's advice on an Error.</summary>
        internal DnsblZone? ZoneEntry { get; set; }

        /// <summary>The IP address or domain checked.</summary>
        public string Target { get; }

        /// <summary>IPv4, IPv6 or Domain.</summary>
        public string TargetType { get; }

        /// <summary>The blocklist zone (for Spamhaus DQS and keyed zones: the zone without the key).</summary>
        public string Zone { get; }

        /// <summary>Listed, NotListed or Error. Error means nothing can be concluded: it is never "not listed".</summary>
        public string Status { get; }

        /// <summary>The A records the zone answered about this target (127.0.0.x), error codes included. Empty when the
        /// target was not asked because the zone failed its RFC 5782 test (the test's answer is in Message).</summary>
        public ResultList<string> ReturnCodes { get; }

        /// <summary>What the return codes mean, from the zone's documented codes.</summary>
        public ResultList<string> Meaning { get; }

        /// <summary>The zone's TXT record for the listing, when it publishes one.</summary>
        public string? Reason { get; }

        /// <summary>Where to ask for removal.</summary>
        public string? DelistUrl { get; }

        /// <summary>The name asked (a DQS or Abusix key shows as &lt;key&gt;).</summary>
        public string QueryName { get; }

        /// <summary>For Status Error, what went wrong: PublicResolverRefused, QuotaExceeded, TypoInZoneName, IpQueryNotAllowed,
        /// ListError, AnswerOutsideLoopback, ZoneTestFailed, ZoneListsEverything, Timeout, ServerFailure, Refused, NetworkError, DnsError.
        /// Empty otherwise.</summary>
        public DnsblErrorKind? ErrorKind { get; }

        /// <summary>One sentence for people: for errors, what happened and what to do.</summary>
        public string? Message { get; }

        /// <summary>The DNS server (or zone file) that answered.</summary>
        public string? Server { get; }

        /// <summary>The DNS question that went unanswered, for Timeout/ServerFailure/Refused/NetworkError errors.</summary>
        internal DnsQueryResult? FailedQuery { get; }

        public bool IsListed => Status == DnsblStatus.Listed;

        public override string ToString() => $"{Target} {Zone}: {Status}{(ReturnCodes.Count > 0 ? " " + ReturnCodes : "")}";
    }

    /// <summary>The three statuses, as the text results carry.</summary>
    public static class DnsblStatus
    {
        public const string Listed = "Listed";
        public const string NotListed = "NotListed";
        public const string Error = "Error";
    }
}
