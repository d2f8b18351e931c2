using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MailOps.Dnsbl
{
    /// <summary>A zone that used to be a blocklist and is dead: kept in the catalogue so nobody adds it back.</summary>
    public sealed class RetiredDnsblZone
    {
        internal RetiredDnsblZone(string name, string? why, IEnumerable<string?> sources)
        {
            Name = name;
            Why = why;
            Sources = new ResultList<string?>(sources);
        }

        public string Name { get; }

        public string? Why { get; }

        /// <summary>Where the zone was seen dead (null for an entry of the catalogue that is not text).</summary>
        public ResultList<string?> Sources { get; }

        public override string ToString() => $"{Name}: {Why}";
    }

    /// <summary>
    /// The blocklist catalogue: the JSON data file src/MailOps.Core/Data/dnsbl-zones.json, embedded in this assembly at build
    /// time. Edit the file to change the catalogue; every entry carries its sources.
    /// </summary>
    public sealed class DnsblCatalogue
    {
        private const string ResourceName = "MailOps.Dnsbl.dnsbl-zones.json";
        private static readonly Lazy<DnsblCatalogue> BuiltIn = new Lazy<DnsblCatalogue>(LoadBuiltIn);

        private DnsblCatalogue(IReadOnlyList<DnsblZone> zones, IReadOnlyList<RetiredDnsblZone> retired, string? version)
        {
            Zones = zones;
            Retired = retired;
            Version = version;
        }

        /// <summary>The catalogue shipped with MailOps.</summary>
        public static DnsblCatalogue Default => BuiltIn.Value;

        public IReadOnlyList<DnsblZone> Zones { get; }

        public IReadOnlyList<RetiredDnsblZone> Retired { get; }

        /// <summary>The data file's version (the date it was last reviewed).</summary>
        public string? Version { get; }

        private static DnsblCatalogue LoadBuiltIn()
        {
            using (var stream = typeof(DnsblCatalogue).Assembly.GetManifestResourceStream(ResourceName))
            {
                if (stream == null) throw new InvalidOperationException($"The embedded catalogue {ResourceName} is missing from MailOps.Core.");
                using (var reader = new StreamReader(stream)) return Parse(reader.ReadToEnd());
            }
        }

        /// <summary>Finds a catalogue zone by name, or by its keyed form (&lt;key&gt;.zen.dq.spamhaus.net,
        /// &lt;key&gt;.combined.mail.abusix.zone). Returns null for a zone not in the catalogue.</summary>
        public DnsblZone? Find(string name, out string? key)
        {
            key = null;
            var n = Normalize(name);
            var exact = Zones.FirstOrDefault(z => string.Equals(z.Name, n, StringComparison.OrdinalIgnoreCase));
            if (exact != null) return exact;
            foreach (var z in Zones.Where(z => !Strings.IsNullOrEmpty(z.KeyedZone)))
            {
                var suffix = z.KeyedZone!.Replace("{key}.", "");   // the Where above
                if (n.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
                {
                    var k = n.Substring(0, n.Length - suffix.Length - 1);
                    if (k.Length > 0 && k.IndexOf('.') < 0) { key = k; return z; }
                }
            }
            return null;
        }

        /// <summary>A retired zone of that name, or null.</summary>
        public RetiredDnsblZone FindRetired(string name) =>
            Retired.FirstOrDefault(r => string.Equals(r.Name, Normalize(name), StringComparison.OrdinalIgnoreCase));

        internal static string Normalize(string? name) => (name ?? "").Trim().TrimEnd('.').ToLowerInvariant();

        /// <summary>Reads a catalogue from JSON text (the format of dnsbl-zones.json). Throws FormatException naming the zone and field at fault.</summary>
        public static DnsblCatalogue Parse(string json)
        {
            if (!(MiniJson.Parse(json) is Dictionary<string, object> root)) throw new FormatException("The catalogue must be a JSON object.");
            var zones = new List<DnsblZone>();
            foreach (var item in Array(root, "zones", "catalogue"))
            {
                if (!(item is Dictionary<string, object> o)) throw new FormatException("Every entry of 'zones' must be an object.");
                var name = Normalize(Req(o, "name", "zone"));
                try
                {
                    zones.Add(ReadZone(name, o));
                }
                catch (Exception ex) when (ex is FormatException || ex is InvalidCastException || ex is ArgumentException)
                {
                    throw new FormatException($"Catalogue zone '{name}': {ex.Message}", ex);
                }
            }
            var dup = zones.GroupBy(z => z.Name).FirstOrDefault(g => g.Count() > 1);
            if (dup != null) throw new FormatException($"Catalogue zone '{dup.Key}' appears twice.");
            var retired = new List<RetiredDnsblZone>();
            if (root.ContainsKey("retired"))
            {
                foreach (var item in Array(root, "retired", "catalogue").OfType<Dictionary<string, object>>())
                    retired.Add(new RetiredDnsblZone(Normalize(Req(item, "name", "retired")), Req(item, "why", "retired"),
                        root.ContainsKey("retired") ? Array(item, "sources", "retired").Select(s => s as string) : new string[0]));
            }
            var live = retired.FirstOrDefault(r => zones.Any(z => z.Name == r.Name));
            if (live != null) throw new FormatException($"Zone '{live.Name}' is both in 'zones' and in 'retired'.");
            return new DnsblCatalogue(zones, retired, root.TryGetValue("version", out var v) ? v as string : null);
        }

        private static DnsblZone ReadZone(string name, Dictionary<string, object> o)
        {
            var type = Req(o, "type", name);
            if (type != "IP" && type != "Domain") throw new FormatException("'type' must be IP or Domain.");
            var key = Str(o, "key", name) ?? "None";
            if (key != "None" && key != "SpamhausDqs" && key != "Abusix") throw new FormatException("'key' must be None, SpamhausDqs or Abusix.");
            var keyed = Str(o, "keyedZone", name);
            if (keyed != null && !keyed.StartsWith("{key}.", StringComparison.Ordinal)) throw new FormatException("'keyedZone' must start with '{key}.'.");
            if (key != "None" && keyed == null) throw new FormatException("a zone that needs a key must give 'keyedZone'.");
            var sources = Array(o, "sources", name).Select(s => s as string ?? throw new FormatException("'sources' must be strings.")).ToList();
            if (sources.Count == 0) throw new FormatException("every zone needs at least one source.");

            var zone = new DnsblZone(name)
            {
                Title = Str(o, "title", name) ?? "",
                Operator = Str(o, "operator", name) ?? "",
                Type = type,
                ListsIPv6 = Bool(o, "ipv6"),
                IsDefault = Bool(o, "default"),
                KeyRequired = key,
                KeyedZone = keyed,
                SupportsDqs = Bool(o, "dqs"),
                RefusesPublicResolvers = Bool(o, "refusesPublicResolvers"),
                IsBitmask = Bool(o, "bitmask"),
                DelistUrl = Str(o, "delistUrl", name),
                Notes = Str(o, "notes", name),
                Sources = new ResultList<string>(sources),
                Checked = Str(o, "checked", name),
                InCatalogue = true,
            };
            if (zone.SupportsDqs && keyed == null) throw new FormatException("'dqs' needs 'keyedZone'.");

            var codes = new List<DnsblCode>();
            foreach (var c in Objects(o, "returnCodes", name))
            {
                var code = Req(c, "code", name);
                if (!System.Net.IPAddress.TryParse(code, out _)) throw new FormatException($"return code '{code}' is not an IPv4 address.");
                codes.Add(new DnsblCode(code, Req(c, "meaning", name)));
            }
            zone.ReturnCodes = new ResultList<DnsblCode>(codes);
            foreach (var r in Objects(o, "returnRanges", name))
                zone.ReturnRanges.Add((Cidr.Parse(Req(r, "range", name)), new DnsblCode(Req(r, "range", name), Req(r, "meaning", name))));

            var errors = new List<DnsblCode>();
            foreach (var c in Objects(o, "errorCodes", name))
            {
                var code = Req(c, "code", name);
                if (!System.Net.IPAddress.TryParse(code, out _)) throw new FormatException($"error code '{code}' is not an IPv4 address.");
                if (codes.Any(x => x.Code == code)) throw new FormatException($"'{code}' is both a return code and an error code.");
                errors.Add(new DnsblCode(code, Req(c, "meaning", name), ErrorKind(Req(c, "kind", name), name), Str(c, "action", name)));
            }
            zone.ErrorCodes = new ResultList<DnsblCode>(errors);
            foreach (var r in Objects(o, "errorRanges", name))
                zone.ErrorRanges.Add((Cidr.Parse(Req(r, "range", name)),
                    new DnsblCode(Req(r, "range", name), Req(r, "meaning", name), ErrorKind(Req(r, "kind", name), name), Str(r, "action", name))));

            if (o.TryGetValue("test", out var t) && t is Dictionary<string, object> test)
            {
                zone.TestListed = test.TryGetValue("listed", out var l) ? l as string : null;
                zone.TestNotListed = test.TryGetValue("notListed", out var nl) ? nl as string : null;
                zone.TestIPv6 = test.TryGetValue("ipv6", out var v6) && v6 is bool b && b;
            }
            else
            {
                zone.TestListed = zone.IsDomainList ? "test" : "127.0.0.2";
                zone.TestNotListed = zone.IsDomainList ? "invalid" : "127.0.0.1";
                zone.TestIPv6 = zone.ListsIPv6;
            }
            return zone;
        }

        private static DnsblErrorKind ErrorKind(string? text, string where) =>
            Enum.TryParse<DnsblErrorKind>(text, false, out var kind) && Enum.IsDefined(typeof(DnsblErrorKind), kind)
                ? kind
                : throw new FormatException($"error kind '{text}' is not one of {string.Join(", ", Enum.GetNames(typeof(DnsblErrorKind)))}");

        private static string Req(Dictionary<string, object> o, string field, string where) =>
            Str(o, field, where, true) ?? throw new FormatException($"'{field}' is missing");

        private static string? Str(Dictionary<string, object> o, string field, string where, bool required = false)
        {
            if (!o.TryGetValue(field, out var v) || v == null)
            {
                if (required) throw new FormatException($"'{field}' is missing");
                return null;
            }
            if (!(v is string s)) throw new FormatException($"'{field}' must be a string");
            return s;
        }

        private static bool Bool(Dictionary<string, object> o, string field)
        {
            if (!o.TryGetValue(field, out var v) || v == null) return false;
            if (!(v is bool b)) throw new FormatException($"'{field}' must be true or false");
            return b;
        }

        private static List<object> Array(Dictionary<string, object> o, string field, string where)
        {
            if (!o.TryGetValue(field, out var v) || v == null) return new List<object>();
            if (!(v is List<object> list)) throw new FormatException($"'{field}' must be an array");
            return list;
        }

        private static IEnumerable<Dictionary<string, object>> Objects(Dictionary<string, object> o, string field, string where) =>
            Array(o, field, where).Select(x => x as Dictionary<string, object> ?? throw new FormatException($"every entry of '{field}' must be an object"));
    }
}
