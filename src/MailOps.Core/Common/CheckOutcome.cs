using System;
using System.Collections.Generic;
using MailOps.Dns;

namespace MailOps
{
    /// <summary>
    /// What every DNS-based check returns: its <see cref="Result"/> (the object the cmdlet writes) and the secondary DNS
    /// questions that went <see cref="Unanswered"/> without stopping the check. An unanswered question is never "no
    /// record": the result is degraded there, and the check says so in its findings; the cmdlet writes one warning per
    /// question (MailOpsCmdlet.WriteUnanswered). A question the check cannot do without throws
    /// <see cref="DnsQueryFailedException"/> instead.
    /// </summary>
    /// <typeparam name="T">The check's result type (MailDmarcResult, SpfAuditResult, a list of MailMxHost, ...).</typeparam>
    public sealed class CheckOutcome<T>
    {
        internal CheckOutcome(T result, IReadOnlyList<DnsQueryResult>? unanswered)
        {
            Result = result;
            Unanswered = unanswered ?? Array.Empty<DnsQueryResult>();
        }

        /// <summary>The check's result.</summary>
        public T Result { get; }

        /// <summary>Secondary questions that went unanswered (timeout, SERVFAIL, refused), in the order they were asked;
        /// empty when every question was answered.</summary>
        public IReadOnlyList<DnsQueryResult> Unanswered { get; }

        /// <summary>True when every question the check asked was answered.</summary>
        public bool IsComplete => Unanswered.Count == 0;
    }

    /// <summary>Builds <see cref="CheckOutcome{T}"/> values with the result type inferred.</summary>
    internal static class CheckOutcome
    {
        internal static CheckOutcome<T> Of<T>(T result, IReadOnlyList<DnsQueryResult>? unanswered) =>
            new CheckOutcome<T>(result, unanswered);
    }
}
