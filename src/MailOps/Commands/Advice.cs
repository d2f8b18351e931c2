using System.Linq;
using MailOps.Dns;
using MailOps.Dnsbl;

namespace MailOps.Commands
{
    /// <summary>
    /// The one table of what a user can do in PowerShell about something the engine reports: which cmdlet or parameter to
    /// reach for. The engine (MailOps.Core) says what happened in its own terms and exposes a kind (a
    /// <see cref="DnsOutcome"/>, a <see cref="DnsblErrorKind"/>, a <see cref="DnsblZoneProblem"/>...); this table turns the
    /// kind into advice, and <see cref="ErrorRecords"/> puts it in ErrorDetails.RecommendedAction (or a cmdlet appends it to
    /// its warning). A DNS failure gets the same words whichever cmdlet met it, blocklist or not.
    /// </summary>
    internal static class Advice
    {
        /// <summary>What to do about a DNS question that went unanswered; null for a failure the user cannot act on.</summary>
        public static string ForDns(DnsOutcome outcome)
        {
            switch (outcome)
            {
                case DnsOutcome.Timeout:
                    return "Check that the DNS server answers (or try another with -Server), or raise -TimeoutSec.";
                case DnsOutcome.ServerFailure:
                    return "SERVFAIL: the authoritative servers failed or refused this resolver, or DNSSEC did not validate; check the delegation "
                        + "and DNSSEC, retry later, or use another resolver (your own recursive one) with -Server.";
                case DnsOutcome.Refused:
                    return "The DNS server will not resolve for this client; use a resolver that serves you, with -Server.";
                case DnsOutcome.NetworkError:
                    return "Check the network path to the DNS server and the -Server value (pass -Server when this machine has no resolver configured).";
                default:
                    return null;
            }
        }

        /// <summary>What to do about a blocklist result with Status Error. DNS failures get <see cref="ForDns"/>'s words; a list's
        /// own error code gets the action the catalogue gives for it (<see cref="DnsblCode.Action"/>), else the table's.</summary>
        public static string ForDnsbl(DnsblErrorKind kind, DnsblZone zone)
        {
            switch (kind)
            {
                case DnsblErrorKind.Timeout: return ForDns(DnsOutcome.Timeout);
                case DnsblErrorKind.ServerFailure: return ForDns(DnsOutcome.ServerFailure);
                case DnsblErrorKind.Refused: return ForDns(DnsOutcome.Refused);
                case DnsblErrorKind.NetworkError: return ForDns(DnsOutcome.NetworkError);
                case DnsblErrorKind.DnsError: return ForDns(DnsOutcome.OtherError);
            }
            var catalogued = zone?.ErrorCodes?.FirstOrDefault(c => c.Kind == kind && !string.IsNullOrEmpty(c.Action))?.Action;
            if (catalogued != null) return catalogued;
            var refuses = zone != null && zone.RefusesPublicResolvers;
            var dqs = zone != null && zone.SupportsDqs;
            switch (kind)
            {
                case DnsblErrorKind.ZoneTestFailed:
                    return refuses
                        ? "This zone refuses public resolvers (or needs your resolver registered): query through your own recursive resolver with -Server"
                          + (dqs ? ", or pass a Spamhaus DQS key with -DqsKey." : ".")
                        : zone != null && zone.InCatalogue ? "Check the zone's status with its operator, or drop the zone from -Zone."
                        : "Check the zone name given with -Zone and that the zone is still operated.";
                case DnsblErrorKind.ZoneListsEverything:
                    return refuses
                        ? "This zone refuses public resolvers: query through your own recursive resolver with -Server" + (dqs ? ", or pass a Spamhaus DQS key with -DqsKey." : ".")
                        : "Drop the zone from -Zone.";
                case DnsblErrorKind.AnswerOutsideLoopback:
                    return "Drop the zone from -Zone, or query through a resolver that does not rewrite answers.";
                case DnsblErrorKind.PublicResolverRefused:
                    return "Use your own recursive resolver with -Server" + (dqs ? ", or a Spamhaus DQS key with -DqsKey." : ".");
                case DnsblErrorKind.QuotaExceeded:
                    return dqs ? "Use a Spamhaus DQS key with -DqsKey, or a resolver of your own under the free-use limit."
                        : "Use a resolver of your own under the free-use limit (-Server), or check fewer addresses.";
                default:
                    return "Check the zone name given with -Zone and its key.";
            }
        }

        /// <summary>What to do about a -Zone or -DqsKey the blocklist check refused.</summary>
        public static string ForDnsblZone(DnsblZoneProblem problem, string zone)
        {
            switch (problem)
            {
                case DnsblZoneProblem.Retired:
                    return "Remove it from -Zone; Get-DnsblZone lists the live zones.";
                case DnsblZoneProblem.NeedsDqsKey:
                    return "Pass your Spamhaus DQS key with -DqsKey (free for non-commercial use), or leave the zone out of -Zone.";
                case DnsblZoneProblem.NeedsAbusixKey:
                    return $"Name the keyed zone with -Zone <key>.{zone}.";
                default:
                    return "Run Get-DnsblZone to see the catalogue; zones that need a key are named in it.";
            }
        }
    }
}
