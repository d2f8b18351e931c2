using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace MailOps.Dnsbl
{
    /// <summary>Why a blocklist question gave no usable answer (<see cref="DnsblResult.ErrorKind"/>): the DNS failures, the
    /// zone's own health test, and the error codes the catalogue lists for a zone (their "kind").</summary>
    public enum DnsblErrorKind
    {
        /// <summary>The question timed out.</summary>
        Timeout,
        /// <summary>The resolver answered SERVFAIL.</summary>
        ServerFailure,
        /// <summary>The resolver refused the question.</summary>
        Refused,
        /// <summary>The resolver could not be reached, or its reply could not be read.</summary>
        NetworkError,
        /// <summary>Another DNS failure (a malformed or forged reply).</summary>
        DnsError,
        /// <summary>The zone failed its RFC 5782 test (127.0.0.2 not listed): parked, empty, or refusing this resolver.</summary>
        ZoneTestFailed,
        /// <summary>The zone lists even 127.0.0.1, which RFC 5782 says must never be listed: it answers everything.</summary>
        ZoneListsEverything,
        /// <summary>The zone answered an address outside 127.0.0.0/8 (a resolver that rewrites answers).</summary>
        AnswerOutsideLoopback,
        /// <summary>A catalogue error code: the list refuses queries from public resolvers.</summary>
        PublicResolverRefused,
        /// <summary>A catalogue error code: the free-use quota is exceeded.</summary>
        QuotaExceeded,
        /// <summary>A catalogue error code: the zone name is misspelt.</summary>
        TypoInZoneName,
        /// <summary>A catalogue error code: this zone lists domains, not addresses.</summary>
        IpQueryNotAllowed,
        /// <summary>A catalogue error code of another kind.</summary>
        ListError,
    }

    /// <summary>One return code of a blocklist: a listing meaning, or an error that says the query was not answered.</summary>
    public sealed class DnsblCode
    {
        internal DnsblCode(string code, string meaning, DnsblErrorKind? kind = null, string? action = null)
        {
            Code = code;
            Meaning = meaning;
            Kind = kind;
            Action = action;
        }

        /// <summary>The A record the zone answers (e.g. 127.0.0.2), or a CIDR range (127.255.255.0/24).</summary>
        public string Code { get; }

        public string Meaning { get; }

        /// <summary>For error codes: what kind of error (PublicResolverRefused, QuotaExceeded, TypoInZoneName, ...). Empty for listings.</summary>
        public DnsblErrorKind? Kind { get; }

        /// <summary>For error codes: what to do.</summary>
        public string? Action { get; }

        public override string ToString() => Kind == null ? $"{Code} {Meaning}" : $"{Code} {Kind}: {Meaning}";
    }

    /// <summary>A blocklist zone from the catalogue (src/MailOps.Core/Data/dnsbl-zones.json), or one named by the user.</summary>
    public sealed class DnsblZone
    {
        internal DnsblZone(string name)
        {
            Name = name;
            Title = "";
            Operator = "";
            Type = "IP";
            KeyRequired = "None";
            ReturnCodes = ResultList<DnsblCode>.Empty;
            ErrorCodes = ResultList<DnsblCode>.Empty;
            Sources = ResultList<string>.Empty;
            TestListed = "127.0.0.2";
            TestNotListed = "127.0.0.1";
            TestIPv6 = true;
            ListsIPv6 = true;
        }

        /// <summary>The zone name (for keyed zones, without the key).</summary>
        public string Name { get; internal set; }

        public string Title { get; internal set; }

        public string Operator { get; internal set; }

        /// <summary>IP or Domain (Any for a zone the user named that is not in the catalogue).</summary>
        public string Type { get; internal set; }

        /// <summary>True when the zone lists IPv6 addresses.</summary>
        public bool ListsIPv6 { get; internal set; }

        /// <summary>True when Get-DnsblListing checks the zone without -Zone.</summary>
        public bool IsDefault { get; internal set; }

        /// <summary>None, SpamhausDqs (needs -DqsKey) or Abusix (name the keyed zone with -Zone).</summary>
        public string KeyRequired { get; internal set; }

        /// <summary>The zone's name with a key, "{key}" standing for the key (e.g. {key}.zen.dq.spamhaus.net).</summary>
        public string? KeyedZone { get; internal set; }

        /// <summary>True when -DqsKey switches this zone to Spamhaus DQS.</summary>
        [MemberNotNullWhen(true, nameof(KeyedZone))]
        public bool SupportsDqs { get; internal set; }

        /// <summary>True when the operator refuses (or answers with an error code) queries through public/shared resolvers.</summary>
        public bool RefusesPublicResolvers { get; internal set; }

        /// <summary>True when the answer's last octet is a bit mask of sub-lists.</summary>
        public bool IsBitmask { get; internal set; }

        public ResultList<DnsblCode> ReturnCodes { get; internal set; }

        public ResultList<DnsblCode> ErrorCodes { get; internal set; }

        public string? DelistUrl { get; internal set; }

        public string? Notes { get; internal set; }

        /// <summary>Where the entry's facts come from.</summary>
        public ResultList<string> Sources { get; internal set; }

        /// <summary>When the entry was last reviewed (yyyy-MM).</summary>
        public string? Checked { get; internal set; }

        /// <summary>RFC 5782 §5 test point that must be listed (127.0.0.2 or TEST for domain lists); empty when the zone documents none.</summary>
        public string? TestListed { get; internal set; }

        /// <summary>RFC 5782 §5 test point that must not be listed (127.0.0.1 or INVALID).</summary>
        public string? TestNotListed { get; internal set; }

        /// <summary>True when ::FFFF:7F00:2 (listed) and ::FFFF:7F00:1 (not listed) are test points for IPv6 queries.</summary>
        public bool TestIPv6 { get; internal set; }

        /// <summary>True when the zone is in the built-in catalogue (false for a zone the user named).</summary>
        public bool InCatalogue { get; internal set; }

        internal List<(Cidr Range, DnsblCode Code)> ErrorRanges { get; } = new List<(Cidr, DnsblCode)>();

        internal List<(Cidr Range, DnsblCode Code)> ReturnRanges { get; } = new List<(Cidr, DnsblCode)>();

        internal bool IsDomainList => string.Equals(Type, "Domain", StringComparison.OrdinalIgnoreCase);

        /// <summary>A zone the user named that is not in the catalogue: asked about every target, RFC 5782 test points
        /// (127.0.0.2 / ::FFFF:7F00:2 / TEST listed, 127.0.0.1 / INVALID not), no known return codes.</summary>
        internal static DnsblZone Custom(string name) => new DnsblZone(name)
        {
            Type = "Any",
            Title = "(not in the catalogue)",
        };

        internal DnsblZone With(string name, bool inCatalogue)
        {
            var copy = (DnsblZone)MemberwiseClone();
            copy.Name = name;
            copy.InCatalogue = inCatalogue;
            return copy;
        }

        /// <summary>The error meaning of an answer, or null when it is not an error code.</summary>
        internal DnsblCode ErrorFor(IPAddress answer)
        {
            var text = answer.ToString();
            var exact = ErrorCodes.FirstOrDefault(c => c.Code == text);
            if (exact != null) return exact;
            return ErrorRanges.Where(r => r.Range.Contains(answer)).Select(r => r.Code).FirstOrDefault();
        }

        /// <summary>The meanings of a listing answer (bit mask decoded when the zone uses one).</summary>
        internal IEnumerable<string> MeaningsFor(IPAddress answer)
        {
            var text = answer.ToString();
            if (IsBitmask)
            {
                var last = answer.GetAddressBytes()[3];
                var bits = ReturnCodes.Where(c => IPAddress.TryParse(c.Code, out var ip) && (last & ip.GetAddressBytes()[3]) == ip.GetAddressBytes()[3] && ip.GetAddressBytes()[3] != 0).ToList();
                if (bits.Count > 0)
                {
                    foreach (var b in bits) yield return b.Meaning;
                    yield break;
                }
            }
            var exact = ReturnCodes.FirstOrDefault(c => c.Code == text);
            if (exact != null) { yield return exact.Meaning; yield break; }
            var range = ReturnRanges.Where(r => r.Range.Contains(answer)).Select(r => r.Code).FirstOrDefault();
            if (range != null) { yield return range.Meaning; yield break; }
            yield return InCatalogue ? $"{text}: a return code the catalogue does not describe" : $"{text} (zone not in the catalogue: meaning unknown)";
        }

        public override string ToString() => $"{Name} ({Type})";
    }

    /// <summary>An IPv4 CIDR range.</summary>
    internal readonly struct Cidr
    {
        private readonly uint _network;
        private readonly uint _mask;

        private Cidr(uint network, uint mask)
        {
            _network = network;
            _mask = mask;
        }

        public static Cidr Parse(string text)
        {
            var parts = text.Split('/');
            var ip = IPAddress.Parse(parts[0]);
            int bits = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 32;
            if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || bits < 0 || bits > 32) throw new FormatException($"'{text}' is not an IPv4 CIDR range.");
            uint mask = bits == 0 ? 0 : uint.MaxValue << (32 - bits);
            return new Cidr(ToUInt(ip) & mask, mask);
        }

        public bool Contains(IPAddress ip) =>
            ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (ToUInt(ip) & _mask) == _network;

        internal static uint ToUInt(IPAddress ip)
        {
            var b = ip.GetAddressBytes();
            return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
        }
    }
}
