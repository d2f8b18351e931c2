using System;
using System.Collections.Generic;
using System.Linq;

namespace MailOps.Dns
{
    /// <summary>The typed outcome of one DNS question. Never conflates "no record" with "no answer".</summary>
    public sealed class DnsQueryResult
    {
        public DnsQueryResult(
            string? name,
            DnsRecordType type,
            DnsOutcome outcome,
            IEnumerable<DnsRecord>? answers,
            string server,
            TimeSpan elapsed,
            string? errorMessage = null,
            bool authenticData = false,
            int? negativeTtl = null,
            bool fromCache = false)
        {
            Name = DnsName.Normalize(name);
            Type = type;
            Outcome = outcome;
            var all = answers?.ToList();
            if (all == null || all.Count == 0)
                Answers = Records = Array.Empty<DnsRecord>(); // most answers to a sweep are empty: no lists for them
            else
            {
                Answers = all;
                Records = all.Where(r => r.Type == type).ToList();
            }
            Server = server;
            Elapsed = elapsed;
            ErrorMessage = errorMessage;
            AuthenticData = authenticData;
            NegativeTtl = negativeTtl;
            FromCache = fromCache;
        }

        public string Name { get; }

        public DnsRecordType Type { get; }

        public DnsOutcome Outcome { get; }

        /// <summary>Records of the asked type (after any CNAME chain).</summary>
        public IReadOnlyList<DnsRecord> Records { get; }

        /// <summary>Everything in the answer section, CNAMEs included.</summary>
        public IReadOnlyList<DnsRecord> Answers { get; }

        /// <summary>The CNAME records that led from the asked name to the answer, in order.</summary>
        public IReadOnlyList<NameRecord> CnameChain => Answers.OfType<NameRecord>().Where(r => r.Type == DnsRecordType.CNAME).ToList();

        /// <summary>Who answered: "ip:port" for a server, "zonefile:path" for a zone file.</summary>
        public string Server { get; }

        public TimeSpan Elapsed { get; }

        /// <summary>Details when the question went unanswered (timeout, network error).</summary>
        public string? ErrorMessage { get; }

        /// <summary>The AD bit: the resolver says it validated the answer with DNSSEC.</summary>
        public bool AuthenticData { get; }

        /// <summary>For NXDOMAIN and NODATA, how long the negative answer may be cached (from the SOA).</summary>
        public int? NegativeTtl { get; }

        public bool FromCache { get; }

        /// <summary>True when the question went unanswered: nothing can be concluded about the name.</summary>
        public bool IsError => Outcome != DnsOutcome.Answer && Outcome != DnsOutcome.NxDomain && Outcome != DnsOutcome.NoData;

        /// <summary>True for NXDOMAIN and NODATA (an empty but trustworthy answer).</summary>
        public bool IsEmpty => Outcome == DnsOutcome.NxDomain || Outcome == DnsOutcome.NoData;

        /// <summary>The records of the asked type, cast.</summary>
        public IEnumerable<T> RecordsOf<T>() where T : DnsRecord => Records.OfType<T>();

        internal DnsQueryResult AsCached() =>
            new DnsQueryResult(Name, Type, Outcome, Answers, Server, TimeSpan.Zero, ErrorMessage, AuthenticData, NegativeTtl, fromCache: true);

        /// <summary>One line for -Verbose: server, name, type, outcome, milliseconds.</summary>
        public string Describe()
        {
            var what = Outcome == DnsOutcome.Answer ? $"{Records.Count} record(s)" : Outcome.ToString();
            var src = FromCache ? "cache" : Server;
            return $"DNS {src}: {Name} {Type} -> {what} ({Elapsed.TotalMilliseconds:0} ms){(ErrorMessage != null && IsError ? ": " + ErrorMessage : "")}";
        }

        public override string ToString() => Describe();
    }

    /// <summary>Raised by checks when a question they cannot do without went unanswered. The cmdlet layer turns it
    /// into a non-terminating ErrorRecord naming the name, type and server.</summary>
    public sealed class DnsQueryFailedException : Exception
    {
        public DnsQueryFailedException(DnsQueryResult result)
            : base(BuildMessage(result))
        {
            Result = result;
        }

        public DnsQueryResult Result { get; }

        private static string BuildMessage(DnsQueryResult r)
        {
            string what;
            switch (r.Outcome)
            {
                case DnsOutcome.Timeout: what = "timed out"; break;
                case DnsOutcome.ServerFailure: what = "failed with SERVFAIL"; break;
                case DnsOutcome.Refused: what = "was REFUSED"; break;
                case DnsOutcome.NetworkError: what = "could not be sent or its reply read"; break;
                default: what = $"failed ({r.Outcome})"; break;
            }
            var detail = Strings.IsNullOrEmpty(r.ErrorMessage) ? "" : $" ({r.ErrorMessage})";
            return $"The DNS query for {r.Name} {r.Type} to {r.Server} {what}{detail}; nothing can be concluded about this record.";
        }
    }

    /// <summary>One DNS question and how to ask it.</summary>
    public interface IDnsResolver
    {
        /// <summary>Asks one question. Never throws for DNS-level failures: they come back as an outcome.
        /// Throws only <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.</summary>
        System.Threading.Tasks.Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type, System.Threading.CancellationToken cancellationToken);
    }
}
