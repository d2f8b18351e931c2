namespace MailOps.Dns
{
    /// <summary>The record types MailOps asks for. Values are the IANA type codes.</summary>
    public enum DnsRecordType
    {
        A = 1,
        NS = 2,
        CNAME = 5,
        SOA = 6,
        PTR = 12,
        MX = 15,
        TXT = 16,
        AAAA = 28,
        SRV = 33,
        TLSA = 52,
        SPF = 99,
        CAA = 257,
    }

    /// <summary>What came back for one question. Only <see cref="Answer"/>, <see cref="NxDomain"/> and
    /// <see cref="NoData"/> say anything about the name; the rest mean the question went unanswered.</summary>
    public enum DnsOutcome
    {
        /// <summary>Records of the asked type exist.</summary>
        Answer,
        /// <summary>The name does not exist (RCODE 3).</summary>
        NxDomain,
        /// <summary>The name exists but has no records of the asked type.</summary>
        NoData,
        /// <summary>The server could not answer (RCODE 2): often a broken or unreachable authoritative server.</summary>
        ServerFailure,
        /// <summary>The server refused to answer (RCODE 5).</summary>
        Refused,
        /// <summary>No reply within the timeout.</summary>
        Timeout,
        /// <summary>The query could not be sent or the reply could not be read.</summary>
        NetworkError,
        /// <summary>Any other error response (FORMERR, NOTIMP, ...).</summary>
        OtherError,
    }
}
