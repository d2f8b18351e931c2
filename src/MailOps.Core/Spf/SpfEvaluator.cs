using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Spf
{
    /// <summary>Settings for check_host().</summary>
    public sealed class SpfEvaluationOptions
    {
        /// <summary>The explanation for a fail when the domain has no usable exp= (an explain-string; macros allowed).</summary>
        public string DefaultExplanation { get; set; } = "%{i} is not one of %{d}'s designated mail senders.";

        /// <summary>The %{r} macro: the host doing the check. "unknown" when empty.</summary>
        public string? ReceivingHost { get; set; }

        /// <summary>RFC 7208 §4.6.4: the most time one check_host() may take (it SHOULD allow at least 20 seconds). When a
        /// term would start after this, the result is temperror.</summary>
        public TimeSpan MaxElapsed { get; set; } = TimeSpan.FromSeconds(20);

        /// <summary>The %{t} macro's clock.</summary>
        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;
    }

    /// <summary>RFC 7208 check_host(): every mechanism and modifier, macros, exp=, the lookup and void limits.</summary>
    public static class SpfEvaluator
    {
        /// <summary>RFC 7208 §4.6.4: at most 10 DNS-querying terms.</summary>
        public const int LookupLimit = 10;

        /// <summary>RFC 7208 §4.6.4: at most 2 void lookups.</summary>
        public const int VoidLookupLimit = 2;

        /// <summary>RFC 7208 §4.6.4: at most 10 MX or PTR names per mechanism.</summary>
        public const int NameLimit = 10;

        /// <summary>Evaluates check_host(ip, domain, sender). <paramref name="sender"/> may be empty (then
        /// postmaster@<paramref name="domain"/>, as for a HELO check) or "@domain" (no local-part). Never throws for DNS
        /// failures: an unanswered query is a temperror result, and the outcome's Unanswered lists it (also the exp= or %{p}
        /// lookups that fell back).</summary>
        public static async Task<CheckOutcome<SpfEvaluationResult>> EvaluateAsync(IDnsResolver dns, IPAddress ip, string? domain, string sender, string? helo,
            SpfEvaluationOptions? options, CancellationToken ct)
        {
            if (dns == null) throw new ArgumentNullException(nameof(dns));
            if (ip == null) throw new ArgumentNullException(nameof(ip));
            var run = new Run(dns, ip, domain ?? "", sender, helo, options ?? new SpfEvaluationOptions(), ct);
            return await run.ExecuteAsync().ConfigureAwait(false);
        }

        private sealed class SpfError : Exception
        {
            public SpfError(string result, string message) : base(message) { Result = result; }
            public string Result { get; }
        }

        private struct HostResult
        {
            public string Result;
            public string? Matched;
            public string? Explanation;
        }

        private sealed class Run
        {
            private readonly IDnsResolver _dns;
            private readonly IPAddress _ip;
            private readonly string _domain;
            private readonly string _sender;
            private readonly string _local;
            private readonly string _senderDomain;
            private readonly string _helo;
            private readonly SpfEvaluationOptions _options;
            private readonly CancellationToken _ct;
            private readonly List<SpfTraceStep> _trace = new List<SpfTraceStep>();
            private readonly List<DnsQueryResult> _unanswered = new List<DnsQueryResult>();
            private int _lookups;
            private int _voids;
            private List<string>? _validatedNames;
            private readonly System.Diagnostics.Stopwatch _elapsed = System.Diagnostics.Stopwatch.StartNew();

            public Run(IDnsResolver dns, IPAddress ip, string domain, string sender, string? helo, SpfEvaluationOptions options, CancellationToken ct)
            {
                _dns = dns;
                _ip = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
                _domain = DnsName.Normalize(domain.Trim());
                _options = options;
                _ct = ct;
                _helo = Strings.IsNullOrEmpty(helo) ? _domain : helo;
                sender = sender?.Trim() ?? "";
                int at = sender.LastIndexOf('@');
                if (sender.Length == 0) { _local = "postmaster"; _senderDomain = _domain; }
                else if (at < 0) { _local = "postmaster"; _senderDomain = sender; }
                else
                {
                    _local = at == 0 ? "postmaster" : sender.Substring(0, at);
                    _senderDomain = sender.Substring(at + 1);
                }
                _sender = _local + "@" + _senderDomain;
            }

            public async Task<CheckOutcome<SpfEvaluationResult>> ExecuteAsync()
            {
                HostResult r;
                try
                {
                    r = await CheckHostAsync(_domain, 0, inInclude: false).ConfigureAwait(false);
                }
                catch (SpfError e)
                {
                    r = new HostResult { Result = e.Result, Explanation = e.Message };
                }
                var result = new SpfEvaluationResult(_domain, _ip.ToString(), _sender, _helo, r.Result, r.Matched ?? "", r.Explanation ?? "",
                    _lookups, _voids, new ResultList<SpfTraceStep>(_trace));
                return CheckOutcome.Of(result, _unanswered);
            }

            private void Trace(int depth, string domain, string? term, string outcome, string? detail) =>
                _trace.Add(new SpfTraceStep(depth, domain, term, outcome, detail));

            private async Task<DnsQueryResult> QueryAsync(string name, DnsRecordType type)
            {
                var r = await _dns.QueryAsync(name, type, _ct).ConfigureAwait(false);
                if (r.IsError) _unanswered.Add(r);
                return r;
            }

            private static string Unanswered(DnsQueryResult r) => new DnsQueryFailedException(r).Message;

            private MacroContext Context(string domain) => new MacroContext
            {
                Sender = _sender,
                LocalPart = _local,
                SenderDomain = _senderDomain,
                Domain = domain,
                Ip = _ip,
                Helo = _helo,
                ReceivingHost = _options.ReceivingHost,
                Now = _options.Clock(),
                ValidatedName = () => ValidatedNameAsync(domain),
            };

            private async Task<HostResult> CheckHostAsync(string domain, int depth, bool inInclude)
            {
                _ct.ThrowIfCancellationRequested();
                if (!SpfMacro.IsValidDomain(domain))
                {
                    Trace(depth, domain, "record", "none", "not a valid multi-label domain name (RFC 7208 §4.3)");
                    return new HostResult { Result = "none", Explanation = $"'{domain}' is not a valid domain name, so it has no SPF policy." };
                }
                var txt = await QueryAsync(domain, DnsRecordType.TXT).ConfigureAwait(false);
                if (txt.IsError)
                {
                    Trace(depth, domain, "record", "temperror", $"TXT lookup: {txt.Outcome}");
                    throw new SpfError("temperror", Unanswered(txt));
                }
                var records = txt.RecordsOf<TxtRecord>().Select(t => t.Text).Where(SpfParser.IsSpfRecord).ToList();
                if (records.Count == 0)
                {
                    var why = txt.Outcome == DnsOutcome.NxDomain ? "the domain does not exist" : "no v=spf1 TXT record";
                    Trace(depth, domain, "record", "none", why);
                    return new HostResult { Result = "none", Explanation = $"{domain} publishes no SPF record ({why})." };
                }
                if (records.Count > 1)
                {
                    Trace(depth, domain, "record", "permerror", $"{records.Count} v=spf1 records");
                    throw new SpfError("permerror", $"{domain} publishes {records.Count} v=spf1 records; RFC 7208 §4.5 makes that a permerror.");
                }
                var record = SpfParser.Parse(records[0]);
                if (!record.IsValid)
                {
                    Trace(depth, domain, "record", "permerror", record.DescribeError());
                    throw new SpfError("permerror", $"The SPF record of {domain} has a {record.DescribeError()}.");
                }
                Trace(depth, domain, "record", "found", record.Text);

                foreach (var mech in record.Mechanisms)
                {
                    var match = await MechanismAsync(mech, domain, depth, inInclude).ConfigureAwait(false);
                    if (!match) continue;
                    var result = mech.QualifierResult;
                    string? explanation = null;
                    if (result == "fail" && !inInclude) explanation = await ExplainAsync(record, domain).ConfigureAwait(false);
                    return new HostResult { Result = result, Matched = mech.Text, Explanation = explanation };
                }

                if (record.Redirect != null)
                {
                    var term = record.Redirect;
                    CountLookup(term, domain, depth);
                    var target = await ExpandDomainAsync(term.Domain, domain).ConfigureAwait(false);
                    if (target == null)
                    {
                        Trace(depth, domain, term.Text, "permerror", "the target is not a valid domain name");
                        throw new SpfError("permerror", $"{term.Text} in the record of {domain} expands to an invalid domain name.");
                    }
                    Trace(depth, domain, term.Text, "redirect", target);
                    var r = await CheckHostAsync(target, depth + 1, inInclude).ConfigureAwait(false);
                    if (r.Result == "none")
                        throw new SpfError("permerror", $"{term.Text} in the record of {domain} points at {target}, which has no SPF record (RFC 7208 §6.1: permerror).");
                    return r;
                }
                Trace(depth, domain, "(end)", "neutral", "no mechanism matched and there is no redirect");
                return new HostResult { Result = "neutral" };
            }

            private void CountLookup(SpfParsedTerm term, string domain, int depth)
            {
                _lookups++;
                if (_lookups > LookupLimit)
                {
                    Trace(depth, domain, term.Text, "permerror", $"DNS-querying term number {_lookups}");
                    throw new SpfError("permerror",
                        $"More than {LookupLimit} DNS-querying terms: '{term.Text}' in the record of {domain} is number {_lookups} (RFC 7208 §4.6.4).");
                }
            }

            private void CountVoid(SpfParsedTerm term, string domain, int depth, string name)
            {
                _voids++;
                if (_voids > VoidLookupLimit)
                {
                    Trace(depth, domain, term.Text, "permerror", $"void lookup number {_voids} ({name})");
                    throw new SpfError("permerror",
                        $"More than {VoidLookupLimit} void lookups: '{term.Text}' in the record of {domain} found nothing at {name}, void lookup number {_voids} (RFC 7208 §4.6.4).");
                }
            }

            private async Task<string?> ExpandDomainAsync(MacroString? spec, string domain)
            {
                // include, exists, redirect and exp have a domain-spec or are syntax errors (never evaluated).
                if (spec == null) throw new InvalidOperationException("The term has no domain-spec.");
                var expanded = await SpfMacro.ExpandAsync(spec, Context(domain)).ConfigureAwait(false);
                return SpfMacro.ToQueryName(expanded);
            }

            private bool IsV4 => _ip.AddressFamily == AddressFamily.InterNetwork;

            private async Task<bool> MechanismAsync(SpfParsedTerm m, string domain, int depth, bool inInclude)
            {
                _ct.ThrowIfCancellationRequested();
                if (_elapsed.Elapsed > _options.MaxElapsed)
                {
                    Trace(depth, domain, m.Text, "temperror", $"evaluation has taken {_elapsed.Elapsed.TotalSeconds:0} s");
                    throw new SpfError("temperror", $"The evaluation took longer than {_options.MaxElapsed.TotalSeconds:0} seconds before reaching '{m.Text}' in the record of {domain} (RFC 7208 §4.6.4); slow DNS answers are the usual cause.");
                }
                switch (m.Name)
                {
                    case "all":
                        Trace(depth, domain, m.Text, "match", null);
                        return true;
                    case "ip4":
                    case "ip6":
                    {
                        bool hit = InCidr(_ip, m.Network!, m.Prefix);   // ip4/ip6 without a network are syntax errors
                        Trace(depth, domain, m.Text, hit ? "match" : "no match", null);
                        return hit;
                    }
                    case "include":
                    {
                        CountLookup(m, domain, depth);
                        var target = await ExpandDomainAsync(m.Domain, domain).ConfigureAwait(false);
                        if (target == null)
                        {
                            Trace(depth, domain, m.Text, "permerror", "the target is not a valid domain name");
                            throw new SpfError("permerror", $"{m.Text} in the record of {domain} expands to an invalid domain name.");
                        }
                        Trace(depth, domain, m.Text, "include", target);
                        var r = await CheckHostAsync(target, depth + 1, inInclude: true).ConfigureAwait(false);
                        if (r.Result == "none")
                            throw new SpfError("permerror", $"{m.Text} in the record of {domain}: {target} has no SPF record (RFC 7208 §5.2: permerror).");
                        bool hit = r.Result == "pass";
                        Trace(depth, domain, m.Text, hit ? "match" : "no match", $"{target} gave {r.Result}");
                        return hit;
                    }
                    case "a":
                    {
                        CountLookup(m, domain, depth);
                        var target = m.Domain == null ? domain : await ExpandDomainAsync(m.Domain, domain).ConfigureAwait(false);
                        if (target == null)
                        {
                            Trace(depth, domain, m.Text, "no match", "the target is not a valid domain name");
                            return false;
                        }
                        var addresses = await AddressesAsync(target).ConfigureAwait(false);
                        if (addresses.IsError)
                        {
                            Trace(depth, domain, m.Text, "temperror", $"{target} {addresses.Type}: {addresses.Outcome}");
                            throw new SpfError("temperror", Unanswered(addresses));
                        }
                        if (addresses.Records.Count == 0)
                        {
                            Trace(depth, domain, m.Text, "void", $"{target} has no {addresses.Type} record");
                            CountVoid(m, domain, depth, $"{target} {addresses.Type}");
                            return false;
                        }
                        bool hit = Matches(addresses, m);
                        Trace(depth, domain, m.Text, hit ? "match" : "no match", $"{target} {addresses.Type}: {string.Join(", ", addresses.RecordsOf<AddressRecord>().Select(a => a.Address))}");
                        return hit;
                    }
                    case "mx":
                    {
                        CountLookup(m, domain, depth);
                        var target = m.Domain == null ? domain : await ExpandDomainAsync(m.Domain, domain).ConfigureAwait(false);
                        if (target == null)
                        {
                            Trace(depth, domain, m.Text, "no match", "the target is not a valid domain name");
                            return false;
                        }
                        var mx = await QueryAsync(target, DnsRecordType.MX).ConfigureAwait(false);
                        if (mx.IsError)
                        {
                            Trace(depth, domain, m.Text, "temperror", $"{target} MX: {mx.Outcome}");
                            throw new SpfError("temperror", Unanswered(mx));
                        }
                        var hosts = mx.RecordsOf<MxRecord>().OrderBy(r => r.Preference).ToList();
                        if (hosts.Count == 0)
                        {
                            Trace(depth, domain, m.Text, "void", $"{target} has no MX record");
                            CountVoid(m, domain, depth, $"{target} MX");
                            return false;
                        }
                        if (hosts.Count > NameLimit)
                        {
                            Trace(depth, domain, m.Text, "permerror", $"{target} has {hosts.Count} MX records");
                            throw new SpfError("permerror", $"{m.Text} in the record of {domain}: {target} has {hosts.Count} MX records; RFC 7208 §4.6.4 allows {NameLimit}.");
                        }
                        foreach (var h in hosts)
                        {
                            if (h.Exchange == "." || h.Exchange.Length == 0) continue;
                            var addresses = await AddressesAsync(h.Exchange).ConfigureAwait(false);
                            if (addresses.IsError)
                            {
                                Trace(depth, domain, m.Text, "temperror", $"{h.Exchange} {addresses.Type}: {addresses.Outcome}");
                                throw new SpfError("temperror", Unanswered(addresses));
                            }
                            if (Matches(addresses, m))
                            {
                                Trace(depth, domain, m.Text, "match", $"MX {h.Exchange}");
                                return true;
                            }
                        }
                        Trace(depth, domain, m.Text, "no match", $"MX {string.Join(", ", hosts.Select(h => h.Exchange))}");
                        return false;
                    }
                    case "ptr":
                    {
                        CountLookup(m, domain, depth);
                        var target = m.Domain == null ? domain : await ExpandDomainAsync(m.Domain, domain).ConfigureAwait(false);
                        if (target == null)
                        {
                            Trace(depth, domain, m.Text, "no match", "the target is not a valid domain name");
                            return false;
                        }
                        var ptr = await QueryAsync(DnsName.ReverseName(_ip), DnsRecordType.PTR).ConfigureAwait(false);
                        if (ptr.IsError)
                        {
                            // RFC 7208 §5.5: a DNS error on the PTR lookup makes the mechanism fail to match.
                            Trace(depth, domain, m.Text, "no match", $"PTR lookup: {ptr.Outcome}");
                            return false;
                        }
                        var names = ptr.RecordsOf<NameRecord>().Select(r => r.Target).ToList();
                        if (names.Count == 0)
                        {
                            Trace(depth, domain, m.Text, "void", "no PTR record");
                            CountVoid(m, domain, depth, $"{ptr.Name} PTR");
                            return false;
                        }
                        foreach (var name in await ValidatedNamesAsync(names).ConfigureAwait(false))
                        {
                            if (DnsName.IsAtOrBelow(name, target))
                            {
                                Trace(depth, domain, m.Text, "match", $"validated PTR name {name}");
                                return true;
                            }
                        }
                        Trace(depth, domain, m.Text, "no match", $"no validated PTR name at or below {target}");
                        return false;
                    }
                    case "exists":
                    {
                        CountLookup(m, domain, depth);
                        var target = await ExpandDomainAsync(m.Domain, domain).ConfigureAwait(false);
                        if (target == null)
                        {
                            Trace(depth, domain, m.Text, "no match", "the target is not a valid domain name");
                            return false;
                        }
                        var a = await QueryAsync(target, DnsRecordType.A).ConfigureAwait(false);
                        if (a.IsError)
                        {
                            Trace(depth, domain, m.Text, "temperror", $"{target} A: {a.Outcome}");
                            throw new SpfError("temperror", Unanswered(a));
                        }
                        if (a.Records.Count == 0)
                        {
                            Trace(depth, domain, m.Text, "void", $"{target} has no A record");
                            CountVoid(m, domain, depth, $"{target} A");
                            return false;
                        }
                        Trace(depth, domain, m.Text, "match", $"{target} has an A record");
                        return true;
                    }
                    default:
                        throw new SpfError("permerror", $"unknown mechanism {m.Name}");
                }
            }

            private Task<DnsQueryResult> AddressesAsync(string name) => QueryAsync(name, IsV4 ? DnsRecordType.A : DnsRecordType.AAAA);

            private bool Matches(DnsQueryResult addresses, SpfParsedTerm m)
            {
                int prefix = IsV4 ? m.Cidr4 : m.Cidr6;
                return addresses.RecordsOf<AddressRecord>().Any(a => InCidr(_ip, a.Address, prefix));
            }

            /// <summary>RFC 7208 §5.5: the first 10 PTR names whose own A/AAAA records include the client IP.</summary>
            private async Task<List<string>> ValidatedNamesAsync(IReadOnlyList<string> names)
            {
                var valid = new List<string>();
                foreach (var name in names.Take(NameLimit))
                {
                    var addresses = await AddressesAsync(name).ConfigureAwait(false);
                    if (addresses.IsError) continue; // skipped, the search goes on
                    if (addresses.RecordsOf<AddressRecord>().Any(a => a.Address.Equals(_ip))) valid.Add(name);
                }
                return valid;
            }

            /// <summary>The %{p} macro (RFC 7208 §7.3): a validated PTR name, preferring the domain itself, then a
            /// subdomain of it, else any; "unknown" when there is none.</summary>
            private async Task<string> ValidatedNameAsync(string domain)
            {
                if (_validatedNames == null)
                {
                    var ptr = await QueryAsync(DnsName.ReverseName(_ip), DnsRecordType.PTR).ConfigureAwait(false);
                    var names = ptr.IsError ? new List<string>() : ptr.RecordsOf<NameRecord>().Select(r => r.Target).ToList();
                    _validatedNames = await ValidatedNamesAsync(names).ConfigureAwait(false);
                }
                return _validatedNames.FirstOrDefault(n => DnsName.EqualNames(n, domain))
                    ?? _validatedNames.FirstOrDefault(n => DnsName.IsAtOrBelow(n, domain))
                    ?? _validatedNames.FirstOrDefault()
                    ?? "unknown";
            }

            /// <summary>RFC 7208 §6.2: the exp= text, or the default explanation when there is no usable one.</summary>
            private async Task<string?> ExplainAsync(SpfParsedRecord record, string domain)
            {
                var fromExp = record.Exp == null ? null : await TryExpAsync(record.Exp, domain).ConfigureAwait(false);
                if (fromExp != null) return fromExp;
                var def = SpfMacro.Parse(_options.DefaultExplanation ?? "", true, out _, out _);
                return def == null ? _options.DefaultExplanation : await SpfMacro.ExpandAsync(def, Context(domain)).ConfigureAwait(false);
            }

            private async Task<string?> TryExpAsync(SpfParsedTerm exp, string domain)
            {
                var target = await ExpandDomainAsync(exp.Domain, domain).ConfigureAwait(false);
                if (target == null) return null;
                var txt = await QueryAsync(target, DnsRecordType.TXT).ConfigureAwait(false);
                var records = txt.RecordsOf<TxtRecord>().ToList();
                if (txt.Outcome != DnsOutcome.Answer || records.Count != 1)
                {
                    Trace(0, domain, exp.Text, "ignored", txt.IsError ? $"{target} TXT: {txt.Outcome}" : $"{target} has {records.Count} TXT records; exactly one is needed");
                    return null;
                }
                var ms = SpfMacro.Parse(records[0].Text, true, out var error, out _);
                if (ms == null)
                {
                    Trace(0, domain, exp.Text, "ignored", $"the explanation at {target} is not valid: {error}");
                    return null;
                }
                return await SpfMacro.ExpandAsync(ms, Context(domain)).ConfigureAwait(false);
            }
        }

        /// <summary>True when <paramref name="ip"/> is inside <paramref name="network"/>/<paramref name="prefix"/>; never across families.</summary>
        internal static bool InCidr(IPAddress ip, IPAddress network, int prefix)
        {
            if (ip.AddressFamily != network.AddressFamily) return false;
            var a = ip.GetAddressBytes();
            var b = network.GetAddressBytes();
            int full = prefix / 8, rest = prefix % 8;
            for (int i = 0; i < full; i++) if (a[i] != b[i]) return false;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (b[full] & mask);
        }
    }
}
