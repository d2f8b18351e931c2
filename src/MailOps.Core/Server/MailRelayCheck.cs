using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Smtp;
using MailOps.Spf;

namespace MailOps.Server
{
    /// <summary>A known relay (an email service provider or hosted suite): its relay host names, the SPF include it asks its
    /// customers to publish, its DKIM selectors, and where that is documented (data file relay-providers.tsv).</summary>
    public sealed class MailRelayProvider
    {
        internal MailRelayProvider(string name, IEnumerable<string> hosts, IEnumerable<string> spf, IEnumerable<string> selectors, IEnumerable<string> cname, bool spfAtReturnPath, IEnumerable<string> sources)
        {
            SpfAtReturnPath = spfAtReturnPath;
            Name = name;
            HostPatterns = new ResultList<string>(hosts);
            SpfIncludes = new ResultList<string>(spf);
            DkimSelectors = new ResultList<string>(selectors);
            DkimCnameSuffixes = new ResultList<string>(cname);
            Sources = new ResultList<string>(sources);
        }

        public string Name { get; }
        /// <summary>Relay host names; "*" stands for one label (a region).</summary>
        public ResultList<string> HostPatterns { get; }
        /// <summary>Domains whose include: in the sender's SPF record authorises the provider.</summary>
        public ResultList<string> SpfIncludes { get; }
        /// <summary>Fixed DKIM selector names; empty when the provider makes one per domain (random or dated).</summary>
        public ResultList<string> DkimSelectors { get; }
        /// <summary>Where the provider's DKIM CNAMEs point (suffixes).</summary>
        public ResultList<string> DkimCnameSuffixes { get; }
        /// <summary>True when the provider sends with its own (or a CNAMEd) return-path domain: the include in the sending
        /// domain's own SPF record is then optional.</summary>
        public bool SpfAtReturnPath { get; }
        public ResultList<string> Sources { get; }

        /// <summary>True when <paramref name="host"/> is one of the provider's relay hosts.</summary>
        public bool Matches(string host)
        {
            var h = DnsName.Normalize(host ?? "").ToLowerInvariant();
            return HostPatterns.Any(p => Regex.IsMatch(h, "^" + Regex.Escape(p.ToLowerInvariant()).Replace("\\*", "[a-z0-9-]+") + "$"));
        }

        public override string ToString() => Name;

        private static readonly Lazy<IReadOnlyList<MailRelayProvider>> Catalog = new Lazy<IReadOnlyList<MailRelayProvider>>(Load);

        /// <summary>The built-in list (embedded data file src/MailOps.Core/Data/relay-providers.tsv).</summary>
        public static IReadOnlyList<MailRelayProvider> BuiltIn => Catalog.Value;

        /// <summary>The provider a relay host belongs to, or null.</summary>
        public static MailRelayProvider ForHost(string host) => BuiltIn.FirstOrDefault(p => p.Matches(host));

        private static IReadOnlyList<MailRelayProvider> Load()
        {
            using (var stream = typeof(MailRelayProvider).Assembly.GetManifestResourceStream("MailOps.Server.relay-providers.tsv"))
            using (var reader = new StreamReader(stream))
                return Parse(reader.ReadToEnd());
        }

        /// <summary>Reads the TSV format of relay-providers.tsv; throws FormatException naming the line at fault.</summary>
        public static IReadOnlyList<MailRelayProvider> Parse(string text)
        {
            var list = new List<MailRelayProvider>();
            var n = 0;
            foreach (var raw in text.Split('\n'))
            {
                n++;
                var line = raw.TrimEnd('\r');
                if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal)) continue;
                var c = line.Split('\t');
                if (c.Length != 7) throw new FormatException($"relay-providers line {n}: expected 7 tab-separated columns, found {c.Length}.");
                if (c[5] != "domain" && c[5] != "return-path") throw new FormatException($"relay-providers line {n} ({c[0]}): column 6 must be 'domain' or 'return-path'.");
                IEnumerable<string> L(string s) => s == "-" ? new string[0] : s.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0);
                var sources = c[6].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (sources.Length == 0 || sources.Any(u => !u.StartsWith("https://", StringComparison.Ordinal)))
                    throw new FormatException($"relay-providers line {n} ({c[0]}): every entry needs https source URLs.");
                list.Add(new MailRelayProvider(c[0], L(c[1]), L(c[2]), L(c[3]), L(c[4]), c[5] == "return-path", sources));
            }
            return list;
        }
    }

    /// <summary>Test-MailServer -Relay: does the relay accept a login inside TLS, and does the domain publish what the relay needs?</summary>
    public sealed class MailRelayResult
    {
        internal MailRelayResult() { }

        public string? Relay { get; internal set; }
        public int Port { get; internal set; }
        /// <summary>STARTTLS or Implicit: how TLS was started.</summary>
        public string? TlsMode { get; internal set; }
        /// <summary>The known provider the relay host belongs to (relay-providers.tsv), or null.</summary>
        public string? Provider { get; internal set; }
        /// <summary>Accepted, Rejected, NotOffered, NoTls (the password was not sent), Dropped, NotTried, or null when unreachable.</summary>
        public string? Login { get; internal set; }
        public bool Authenticated => Login == "Accepted";
        /// <summary>PLAIN or LOGIN: the mechanism used.</summary>
        public string? AuthMechanism { get; internal set; }
        /// <summary>The server's reply to the login (the credential is never in it).</summary>
        public string? AuthReply { get; internal set; }
        /// <summary>The TLS probe of the relay (Test-SmtpService's object).</summary>
        public MailServiceResult? Service { get; internal set; }
        public string? Domain { get; internal set; }
        /// <summary>The domain's SPF record.</summary>
        public string? SpfRecord { get; internal set; }
        /// <summary>True when the domain's SPF tree includes the provider's SPF include; null when not checked.</summary>
        public bool? SpfAuthorizesRelay { get; internal set; }
        /// <summary>The include term that authorises the relay.</summary>
        public string? SpfInclude { get; internal set; }
        /// <summary>The relay's DKIM selectors checked at the domain.</summary>
        public ResultList<MailDkimRecord> DkimSelectors { get; internal set; } = ResultList<MailDkimRecord>.Empty;
        /// <summary>The selectors published with a key.</summary>
        public ResultList<string> DkimSelectorFound { get; internal set; } = ResultList<string>.Empty;
        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;
        public ResultList<string> CouldNotCheck { get; internal set; } = ResultList<string>.Empty;
        /// <summary>Pass, Warning, Fail, Incomplete (a check could not run) or Unreachable (no connection to the relay).</summary>
        public string? Status { get; internal set; }

        public override string ToString() => $"{Relay}:{Port} {Status} (login {Login ?? "not tried"})";
    }

    public sealed class MailRelayOptions
    {
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
        public string? HeloName { get; set; }
        /// <summary>Implicit TLS (465 style) instead of STARTTLS; null: implicit on port 465 only.</summary>
        public bool? ImplicitTls { get; set; }
        public IReadOnlyCollection<X509Certificate2> TrustedCertificates { get; set; } = new X509Certificate2[0];
        public Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>>? Resolve { get; set; }
        /// <summary>The sending domain whose SPF and DKIM are checked against the relay's provider; null: not checked.</summary>
        public string? Domain { get; set; }
        /// <summary>DKIM selectors to check besides the provider's fixed ones (providers with per-domain selectors).</summary>
        public IReadOnlyList<string> DkimSelectors { get; set; } = new string[0];
        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;
    }

    public sealed class MailRelayOutcome
    {
        internal MailRelayOutcome(MailRelayResult result, MailConnectionException? connection, IReadOnlyList<(string Area, DnsQueryFailedException Error)> failures)
        {
            Result = result;
            ConnectionFailure = connection;
            Failures = failures;
        }

        public MailRelayResult Result { get; }
        /// <summary>The relay could not be reached (also an error record).</summary>
        public MailConnectionException? ConnectionFailure { get; }
        /// <summary>SPF or DKIM questions that went unanswered.</summary>
        public IReadOnlyList<(string Area, DnsQueryFailedException Error)> Failures { get; }
    }

    /// <summary>The relay check: EHLO, STARTTLS (or implicit TLS), AUTH PLAIN/LOGIN inside TLS, QUIT - no message - through
    /// <see cref="MailServiceCheck"/>; then, with a domain, the provider's SPF include and DKIM selectors.</summary>
    public static class MailRelayCheck
    {
        /// <summary>Parses "host", "host:port", "ip:port" or "[v6]:port"; the port defaults to 587.</summary>
        public static (string Host, int Port) ParseRelay(string text)
        {
            var t = EgressTarget.Parse(text);
            var portGiven = Regex.IsMatch(text.Trim(), @":\d+$") && !(text.Trim().Count(ch => ch == ':') > 1 && !text.Trim().StartsWith("[", StringComparison.Ordinal));
            return (t.HostName, portGiven ? t.Port : 587);
        }

        public static async Task<MailRelayOutcome> RunAsync(IDnsResolver dns, string host, int port, NetworkCredential credential, MailRelayOptions options, CancellationToken ct)
        {
            if (credential == null) throw new ArgumentNullException(nameof(credential));
            options = options ?? new MailRelayOptions();
            var implicitTls = options.ImplicitTls ?? port == 465;
            var provider = MailRelayProvider.ForHost(host);
            var r = new MailRelayResult { Relay = host, Port = port, TlsMode = implicitTls ? "Implicit" : "STARTTLS", Provider = provider?.Name, Domain = options.Domain };
            var findings = new List<Finding>();
            var couldNot = new List<string>();
            var failures = new List<(string, DnsQueryFailedException)>();
            MailConnectionException? connection = null;
            var where = $"{host}:{port}";

            var serviceOptions = new MailServiceOptions
            {
                Timeout = options.Timeout,
                HeloName = options.HeloName,
                TrustedCertificates = options.TrustedCertificates,
                Protocol = implicitTls ? MailProtocol.Smtps : MailProtocol.Submission,
                Resolve = options.Resolve,
                UtcNow = options.UtcNow,
                Credential = credential,
            };
            try
            {
                var s = await MailServiceCheck.RunAsync(host, port, serviceOptions, ct).ConfigureAwait(false);
                r.Service = s;
                findings.AddRange(s.Findings);
                r.AuthMechanism = s.LoginMechanism;
                r.AuthReply = s.LoginReply;
                r.Login = s.LoginOutcome ?? (s.TlsEstablished ? "NotTried" : "NoTls");
                switch (r.Login)
                {
                    case "Rejected":
                        findings.Add(new Finding("AuthRejected", FindingSeverity.Fail,
                            $"{where} refused the login ({r.AuthMechanism}): {r.AuthReply}. Mail handed to this relay with these credentials is not accepted.",
                            "Check the user name and password (an ESP's SMTP credential or API key, not the web login), and that the account or key may use SMTP.", where));
                        break;
                    case "NotOffered":
                        findings.Add(new Finding("AuthNotOffered", FindingSeverity.Fail,
                            $"{where} offers no AUTH PLAIN or LOGIN inside TLS ({(s.AuthMechanisms.Count == 0 ? "no AUTH at all" : "only " + string.Join(" ", s.AuthMechanisms))}): a relay login is not possible.",
                            implicitTls ? "Check the relay's host name and port (587 with STARTTLS, or 465)." : "Check the relay's host name and port: relays accept logins on 587 (STARTTLS) or 465 (implicit TLS), not on 25.", where));
                        break;
                    case "NoTls":
                        findings.Add(new Finding("NoTlsBeforeAuth", FindingSeverity.Fail,
                            $"{where} gave no TLS session, so the password was not sent: a login there would travel in clear text.",
                            "Use the relay's TLS port (587 with STARTTLS or 465 with implicit TLS) and check its certificate; never relay with a password over an unencrypted session.", where));
                        break;
                    case "Dropped":
                        couldNot.Add($"Login: {where}: {r.AuthReply ?? "the connection closed during AUTH"}.");
                        break;
                }
            }
            catch (MailConnectionException ex)
            {
                connection = ex;
                r.Service = MailServiceResult.NotProbed(host, port, serviceOptions.Protocol.Value, ex);
                couldNot.Add(TextSafety.Escape(ex.Message));
            }

            if (!Strings.IsNullOrEmpty(options.Domain))
                await CheckDomainAsync(dns, provider, host, options, r, findings, couldNot, failures, ct).ConfigureAwait(false);

            r.Findings = new ResultList<Finding>(findings);
            r.CouldNotCheck = new ResultList<string>(couldNot);
            r.Status = connection != null ? "Unreachable" : couldNot.Count > 0 ? "Incomplete" : Finding.StatusOf(findings);
            return new MailRelayOutcome(r, connection, failures);
        }

        private static async Task CheckDomainAsync(IDnsResolver dns, MailRelayProvider? provider, string host, MailRelayOptions o, MailRelayResult r,
            List<Finding> findings, List<string> couldNot, List<(string, DnsQueryFailedException)> failures, CancellationToken ct)
        {
            var domain = DnsName.Normalize(o.Domain!.Trim()).ToLowerInvariant();   // called only when -Domain was given
            r.Domain = domain;
            if (provider == null)
                findings.Add(new Finding("RelayProviderUnknown", FindingSeverity.Info,
                    $"{host} is not a relay MailOps knows (relay-providers.tsv), so its SPF include and DKIM selectors are not known{(o.DkimSelectors.Count > 0 ? "; only the selectors given are checked" : "")}.",
                    "Check the provider's setup page for the SPF include and DKIM records it asks for.", domain));

            if (provider != null)
            {
                try
                {
                    var audit = await SpfAudit.RunAsync(dns, domain, ct).ConfigureAwait(false);
                    r.SpfRecord = audit.Result.Record;
                    var includes = Walk(audit.Result.Terms).Where(t => t.Kind == "include" || t.Kind == "redirect").Select(t => t.Target).Where(t => t != null).ToList();
                    var hit = includes.FirstOrDefault(t => provider.SpfIncludes.Any(p => DnsName.EqualNames(t, p) || DnsName.Normalize(t).EndsWith("." + p, StringComparison.OrdinalIgnoreCase)));
                    r.SpfAuthorizesRelay = hit != null;
                    r.SpfInclude = hit == null ? null : "include:" + hit;
                    if (hit == null && provider.SpfAtReturnPath)
                        findings.Add(new Finding("SpfMissingRelayInclude", FindingSeverity.Info,
                            $"The SPF record of {domain} does not include {string.Join(" or ", provider.SpfIncludes)}. {provider.Name} sends with its own return-path domain (or a return-path subdomain you point to it with a CNAME), where SPF is checked instead, so this is not needed; DMARC passes through DKIM alignment.",
                            $"Publish {provider.Name}'s DKIM records, and its custom return-path CNAME if you want SPF to align as well. Sources: {string.Join(" ", provider.Sources)}",
                            domain));
                    else if (hit == null)
                        findings.Add(new Finding("SpfMissingRelayInclude", FindingSeverity.Warning,
                            r.SpfRecord == null
                                ? $"{domain} publishes no SPF record, so it does not authorise {provider.Name}: mail the relay sends with {domain} in the envelope sender fails SPF."
                                : $"The SPF record of {domain} does not include {string.Join(" or ", provider.SpfIncludes)}: mail {provider.Name} sends with {domain} in the envelope sender fails SPF (DMARC then rests on DKIM alone).",
                            $"Add include:{provider.SpfIncludes.First()} to the SPF record of {domain} (or of the custom return-path/MAIL FROM domain the provider uses), before the 'all' term. Sources: {string.Join(" ", provider.Sources)}",
                            domain));
                    foreach (var u in audit.Unanswered) couldNot.Add($"Spf: {new DnsQueryFailedException(u).Message}");
                }
                catch (DnsQueryFailedException ex)
                {
                    failures.Add(("Spf", ex));
                    couldNot.Add($"Spf: {ex.Message}");
                }
            }

            var selectors = (provider?.DkimSelectors ?? (IReadOnlyList<string>)new string[0]).Concat(o.DkimSelectors ?? new string[0])
                .Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (selectors.Count == 0)
            {
                if (provider != null)
                    findings.Add(new Finding("DkimRelaySelectorUnknown", FindingSeverity.Info,
                        $"{provider.Name} gives each domain its own DKIM selectors{(provider.DkimCnameSuffixes.Count > 0 ? $" (CNAMEs to *.{provider.DkimCnameSuffixes.First()})" : "")}, which cannot be guessed: DKIM was not checked.",
                        $"Look up the selectors in the provider's console (sources: {string.Join(" ", provider.Sources)}).", domain));
                return;
            }
            var records = new List<MailDkimRecord>();
            foreach (var sel in selectors)
            {
                try { records.Add(await DkimRecordCheck.RunAsync(dns, domain, sel, (string?)null, ct).ConfigureAwait(false)); }
                catch (DnsQueryFailedException ex)
                {
                    failures.Add(("Dkim", ex));
                    couldNot.Add($"Dkim {sel}: {ex.Message}");
                }
            }
            r.DkimSelectors = new ResultList<MailDkimRecord>(records);
            r.DkimSelectorFound = new ResultList<string>(records.Where(x => x.Found).Select(x => x.Selector));
            if (r.DkimSelectorFound.Count == 0 && records.Count == selectors.Count)
                findings.Add(new Finding("DkimRelaySelectorMissing", FindingSeverity.Fail,
                    $"No DKIM key of {(provider?.Name ?? host)} is published at {domain} (selectors checked: {string.Join(", ", selectors)}): mail the relay signs for {domain} fails DKIM, or is signed with the provider's own domain and does not align for DMARC.",
                    provider == null ? "Publish the DKIM records the relay's console shows." : $"Publish the DKIM records {provider.Name}'s console shows for {domain}{(provider.DkimCnameSuffixes.Count > 0 ? $" (usually CNAMEs to *.{provider.DkimCnameSuffixes.First()})" : "")}. Sources: {string.Join(" ", provider.Sources)}",
                    domain));
        }

        private static IEnumerable<SpfTerm> Walk(IEnumerable<SpfTerm> terms)
        {
            foreach (var t in terms)
            {
                yield return t;
                foreach (var c in Walk(t.Children)) yield return c;
            }
        }
    }
}
