using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Ptr
{
    /// <summary>
    /// Forward-confirmed reverse DNS (FCrDNS, RFC 8601 §3 "iprev"): the address's PTR names, whether one of them resolves back
    /// to the address, whether it matches the HELO name, and whether it looks generic or dynamic. The findings' remedies say
    /// where a PTR is set: by whoever holds the address block (hosting panel or provider ticket), not in the domain's zone.
    /// </summary>
    public static class PtrCheck
    {
        private const string WherePtrLives =
            "A PTR record lives in the reverse zone of the address block, so it is set by whoever holds the address: your hosting or VPS "
            + "provider's control panel (often 'Reverse DNS' or 'rDNS' next to the IP) or a ticket to your ISP - not in your domain's DNS zone.";

        /// <summary>Words that mark a generic or dynamic (end-user) PTR name, matched as whole tokens.</summary>
        internal static readonly string[] GenericWords =
        {
            "dynamic", "dyn", "dhcp", "pool", "dsl", "adsl", "vdsl", "xdsl", "cable", "ppp", "pppoe", "cust", "customer", "customers",
            "dial", "dialup", "dialin", "broadband", "residential", "client", "clients", "catv", "ftth", "fttx", "unassigned", "nat",
        };

        /// <summary>Checks one address; the outcome's Unanswered holds the forward lookups that went unanswered (ForwardConfirmed may be empty then). Throws <see cref="DnsQueryFailedException"/> when the PTR question itself goes unanswered.</summary>
        public static async Task<CheckOutcome<MailPtrResult>> RunAsync(IDnsResolver dns, IPAddress ip, string? heloName, CancellationToken ct)
        {
            if (ip == null) throw new ArgumentNullException(nameof(ip));
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            var text = ip.ToString();
            var helo = Strings.IsNullOrWhiteSpace(heloName) ? null : DnsName.Normalize(heloName.Trim()).ToLowerInvariant();
            var unanswered = new List<DnsQueryResult>();
            var findings = new List<Finding>();

            var (ptr, names) = await PtrNamesAsync(dns, ip, ct).ConfigureAwait(false);

            if (names.Count == 0)
            {
                findings.Add(new Finding("NoPtr", FindingSeverity.Fail,
                    $"{text} has no PTR record ({ptr.Outcome}): many receivers (Gmail, Outlook, most Postfix setups) reject or junk mail from an address without reverse DNS.",
                    $"Ask for a PTR record {ReverseOwner(ip)} -> your mail server's host name (e.g. mail.example.com). " + WherePtrLives, text));
                if (helo != null)
                    findings.Add(HeloFinding(text, helo, null));
                return CheckOutcome.Of(new MailPtrResult(text, ResultList<string>.Empty, false, null, ResultList<string>.Empty, helo,
                    helo == null ? (bool?)null : false, new ResultList<Finding>(findings)), unanswered);
            }

            if (names.Count > 1)
                findings.Add(new Finding("MultiplePtr", FindingSeverity.Warning,
                    $"{text} has {names.Count} PTR records ({string.Join(", ", names)}); receivers may pick any one, and some check only the first, so the HELO and FCrDNS checks can fail at random.",
                    "Keep exactly one PTR record, naming the mail server's host name. " + WherePtrLives, text));

            // Forward-confirm every name: A for IPv4, AAAA for IPv6.
            var type = ip.AddressFamily == AddressFamily.InterNetwork ? DnsRecordType.A : DnsRecordType.AAAA;
            var forward = await Task.WhenAll(names.Select(n => dns.QueryAsync(n, type, ct))).ConfigureAwait(false);
            var forwardAddresses = new List<string>();
            string? confirmed = null;
            bool anyUnanswered = false;
            for (int i = 0; i < names.Count; i++)
            {
                var f = forward[i];
                if (f.IsError) { unanswered.Add(f); anyUnanswered = true; continue; }
                var addrs = f.RecordsOf<AddressRecord>().Select(r => r.Address).ToList();
                forwardAddresses.AddRange(addrs.Select(a => a.ToString()));
                if (confirmed == null && addrs.Any(a => a.Equals(ip))) confirmed = names[i];
            }
            bool? fcrdns = confirmed != null ? true : anyUnanswered ? (bool?)null : false;

            if (fcrdns == false)
            {
                var what = string.Join("; ", names.Select((n, i) => forward[i].Outcome == DnsOutcome.NxDomain ? $"{n} does not exist"
                    : forward[i].RecordsOf<AddressRecord>().Any() ? $"{n} resolves to {string.Join(", ", forward[i].RecordsOf<AddressRecord>().Select(r => r.Address))}"
                    : $"{n} has no {type} record"));
                findings.Add(new Finding("PtrNotForwardConfirmed", FindingSeverity.Fail,
                    $"The PTR name of {text} does not resolve back to it ({what}): the reverse DNS is not forward-confirmed (FCrDNS), and receivers treat it like no PTR at all.",
                    $"Publish '{names[0]}. {type} {text}' in the zone of {names[0]} (your domain's DNS), or have the PTR changed to a name that already resolves to {text}. "
                    + "The PTR itself is set by whoever holds the address (hosting panel or provider ticket), the A/AAAA record in your domain's zone.", text));
            }

            var checkName = confirmed ?? names[0];
            var generic = GenericReason(ip, checkName);
            if (generic != null)
                findings.Add(new Finding("GenericPtr", FindingSeverity.Warning,
                    $"The PTR name {checkName} looks generic or dynamic ({generic}): receivers and lists such as Spamhaus PBL and SpamRATS-Dyna treat such names as end-user connections, not mail servers.",
                    "Set a PTR naming the mail server itself (e.g. mail.example.com), and make that name's A/AAAA record point back to the address. " + WherePtrLives, text));

            bool? heloMatches = null;
            if (helo != null)
            {
                heloMatches = confirmed != null ? string.Equals(confirmed, helo, StringComparison.OrdinalIgnoreCase)
                    : names.Contains(helo) ? (fcrdns == null ? (bool?)null : false) : false;
                if (heloMatches == false) findings.Add(HeloFinding(text, helo, confirmed ?? names[0]));
            }

            return CheckOutcome.Of(new MailPtrResult(text, new ResultList<string>(names), fcrdns, confirmed,
                new ResultList<string>(forwardAddresses.Distinct()), helo, heloMatches, new ResultList<Finding>(findings)), unanswered);
        }

        /// <summary>The PTR names of an address (normalised, lower case, distinct; empty when there is none), without forward
        /// confirmation: what Import-DmarcReport and Get-DmarcSummary show as the source's reverse DNS. Throws
        /// <see cref="DnsQueryFailedException"/> when the PTR question goes unanswered (a timeout is not "no PTR").</summary>
        public static async Task<IReadOnlyList<string>> LookupNamesAsync(IDnsResolver dns, IPAddress ip, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            if (ip == null) throw new ArgumentNullException(nameof(ip));
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            return (await PtrNamesAsync(dns, ip, ct).ConfigureAwait(false)).Names;
        }

        private static async Task<(DnsQueryResult Answer, List<string> Names)> PtrNamesAsync(IDnsResolver dns, IPAddress ip, CancellationToken ct)
        {
            var ptr = await dns.QueryAsync(DnsName.ReverseName(ip), DnsRecordType.PTR, ct).ConfigureAwait(false);
            if (ptr.IsError) throw new DnsQueryFailedException(ptr);
            return (ptr, ptr.RecordsOf<NameRecord>().Select(r => DnsName.Normalize(r.Target).ToLowerInvariant()).Distinct().ToList());
        }

        private static Finding HeloFinding(string ip, string helo, string? ptrName) =>
            new Finding("HeloMismatch", FindingSeverity.Warning,
                ptrName == null
                    ? $"The HELO name {helo} cannot match the reverse DNS of {ip}: there is no PTR."
                    : $"The HELO name {helo} is not the forward-confirmed PTR name of {ip} ({ptrName}); receivers that compare the two score or reject the mail.",
                $"Use one name for all three: the PTR of {ip}, that name's A/AAAA record pointing to {ip}, and the server's HELO name "
                + "(Postfix: myhostname / smtp_helo_name; Exchange: the send connector's FQDN). " + WherePtrLives, ip);

        private static string ReverseOwner(IPAddress ip) => DnsName.ReverseName(ip);

        /// <summary>Why a PTR name looks generic (the address's digits in it, or an end-user word), or null.</summary>
        internal static string? GenericReason(IPAddress ip, string name)
        {
            var host = DnsName.Normalize(name).ToLowerInvariant();
            var tokens = host.Split(new[] { '.', '-', '_' }, StringSplitOptions.RemoveEmptyEntries);
            var word = tokens.Select(t => t.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9').TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))
                .FirstOrDefault(t => GenericWords.Contains(t));
            if (word != null) return $"the word '{word}'";

            var bytes = ip.GetAddressBytes();
            if (ip.AddressFamily == AddressFamily.InterNetwork)
            {
                var octets = bytes.Select(b => b.ToString(CultureInfo.InvariantCulture)).ToArray();
                var numeric = tokens.Where(t => t.All(char.IsDigit)).ToList();
                // All four octets as separate labels/parts (192-0-2-10, 10.2.0.192, ip-192-0-2-10), or joined / hex-encoded.
                if (octets.All(o => numeric.Contains(o)) && numeric.Count >= 4) return $"the address's digits ({string.Join(".", octets)})";
                var hex = string.Concat(bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
                var padded = string.Concat(bytes.Select(b => b.ToString("000", CultureInfo.InvariantCulture)));
                if (tokens.Any(t => t.Contains(hex) || t.Contains(padded))) return "the address encoded in the name";
                // The last two octets in order (…-2-10.pool…) is common too.
                for (int i = 0; i + 1 < tokens.Length; i++)
                    if (tokens[i] == octets[2] && tokens[i + 1] == octets[3] && i + 2 < tokens.Length && tokens.Skip(i + 2).Any(t => t.All(char.IsDigit) && (t == octets[1] || t == octets[0])))
                        return $"the address's digits ({string.Join(".", octets)})";
            }
            else
            {
                var groups = Enumerable.Range(0, 8).Select(i => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).ToString("x", CultureInfo.InvariantCulture)).ToArray();
                var nonZero = groups.Skip(4).Where(g => g != "0").ToList();
                if (nonZero.Count > 0 && nonZero.All(g => tokens.Contains(g)) && tokens.Count(t => groups.Contains(t)) >= 3)
                    return "the address's digits";
                var compact = string.Concat(bytes.Skip(8).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
                if (tokens.Any(t => t.Length >= 16 && t.Contains(compact))) return "the address encoded in the name";
            }
            return null;
        }
    }
}
