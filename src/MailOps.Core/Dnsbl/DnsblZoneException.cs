using System;

namespace MailOps.Dnsbl
{
    /// <summary>Why a named blocklist zone cannot be checked (<see cref="DnsblZoneException.Problem"/>).</summary>
    public enum DnsblZoneProblem
    {
        /// <summary>The name is not a valid DNS zone name.</summary>
        InvalidName,
        /// <summary>The catalogue knows the zone as shut down or dangerous to query.</summary>
        Retired,
        /// <summary>The zone is served only through Spamhaus DQS, and no DQS key was given.</summary>
        NeedsDqsKey,
        /// <summary>The zone is queried only under an Abusix key, and the bare zone was named.</summary>
        NeedsAbusixKey,
    }

    /// <summary>A zone the blocklist check refuses to use, with the reason as a <see cref="DnsblZoneProblem"/> (the cmdlet
    /// layer turns that into advice).</summary>
    public sealed class DnsblZoneException : ArgumentException
    {
        internal DnsblZoneException(DnsblZoneProblem problem, string zone, string message) : base(message)
        {
            Problem = problem;
            Zone = zone;
        }

        /// <summary>Why the zone cannot be checked.</summary>
        public DnsblZoneProblem Problem { get; }

        /// <summary>The zone as the catalogue names it (or as given, when it is not a valid name).</summary>
        public string Zone { get; }
    }
}
