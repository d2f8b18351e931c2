using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>A destination to test port-25 egress against.</summary>
    public sealed class EgressTarget
    {
        public EgressTarget(string host, int port = 25, string? provider = null, IEnumerable<string>? expectedDomains = null)
        {
            HostName = DnsName.Normalize(host).ToLowerInvariant();
            Port = port;
            Provider = provider;
            ExpectedDomains = (expectedDomains ?? DefaultExpected(HostName)).ToList();
        }

        public string HostName { get; }
        public int Port { get; }

        /// <summary>The mailbox provider whose MX this is (for the built-in targets).</summary>
        public string? Provider { get; }

        /// <summary>Domains a genuine banner or certificate of the target names (empty for an IP address: not checked).</summary>
        public IReadOnlyList<string> ExpectedDomains { get; }

        private static IEnumerable<string> DefaultExpected(string host)
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out _)) return new string[0];
            var labels = host.Split('.');
            return labels.Length <= 2 ? new[] { host } : new[] { string.Join(".", labels.Skip(labels.Length - 2)) };
        }

        /// <summary>Parses "host", "host:port", "ip:port" or "[v6]:port".</summary>
        public static EgressTarget Parse(string? text)
        {
            if (Strings.IsNullOrWhiteSpace(text)) throw new FormatException("A target is empty.");
            var s = text.Trim();
            int port = 25;
            string host = s;
            if (s.StartsWith("[", StringComparison.Ordinal))
            {
                var close = s.IndexOf(']');
                if (close < 0) throw new FormatException($"Target '{text}': '[' without ']'.");
                host = s.Substring(1, close - 1);
                var rest = s.Substring(close + 1);
                if (rest.StartsWith(":", StringComparison.Ordinal)) port = ParsePort(rest.Substring(1), text);
                else if (rest.Length > 0) throw new FormatException($"Target '{text}': expected ':port' after ']'.");
            }
            else if (s.Count(c => c == ':') == 1)
            {
                var i = s.IndexOf(':');
                host = s.Substring(0, i);
                port = ParsePort(s.Substring(i + 1), text);
            }
            if (!IPAddress.TryParse(host, out _))
            {
                var problem = DnsName.ValidateDomainName(host);
                if (problem != null) throw new FormatException($"Target '{text}' is neither an IP address nor a host name: {problem}.");
            }
            return new EgressTarget(host, port);
        }

        private static int ParsePort(string s, string text)
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
                throw new FormatException($"Target '{text}': port '{s}' is not a number from 1 to 65535.");
            return port;
        }

        public override string ToString() => Port == 25 ? HostName : $"{HostName}:{Port}";
    }

    /// <summary>What one target showed.</summary>
    public sealed class Port25EgressTarget
    {
        internal Port25EgressTarget() { }

        public string? Target { get; internal set; }
        public string? Provider { get; internal set; }
        public string? Address { get; internal set; }
        public int Port { get; internal set; }

        /// <summary>Banner, NoBanner, Refused, Timeout or Error: what happened on the SMTP port.</summary>
        public string? SmtpResult { get; internal set; }

        public string? Banner { get; internal set; }
        public string? BannerHostName { get; internal set; }

        /// <summary>The control port that connected, if any was tried and one did.</summary>
        public int? ControlPort { get; internal set; }

        /// <summary>Connected, Refused, Timeout, Error or NotTried.</summary>
        public string? ControlResult { get; internal set; }

        /// <summary>Open, Blocked, Intercepted or Unreachable.</summary>
        public string? Verdict { get; internal set; }

        public string? Detail { get; internal set; }
        public int ElapsedMs { get; internal set; }

        public override string ToString() => $"{Target} {Verdict}: {Detail}";
    }

    /// <summary>One run of the egress check: the summed-up <see cref="Result"/> and the targets that could not be tried.</summary>
    public sealed class Port25EgressRun
    {
        internal Port25EgressRun(Port25EgressResult result, IReadOnlyList<Port25EgressFailure> failures)
        {
            Result = result;
            Failures = failures;
        }

        public Port25EgressResult Result { get; }

        /// <summary>Targets left out of <see cref="Result"/>, in the order given.</summary>
        public IReadOnlyList<Port25EgressFailure> Failures { get; }
    }

    /// <summary>A target that could not be tried: its name went unanswered (<see cref="DnsQueryFailedException"/>) or nothing
    /// could be connected to (<see cref="MailConnectionException"/>).</summary>
    public sealed class Port25EgressFailure
    {
        internal Port25EgressFailure(EgressTarget target, Exception error)
        {
            Target = target;
            Error = error;
        }

        public EgressTarget Target { get; }
        public Exception Error { get; }
    }

    /// <summary>Can mail leave this machine on port 25? The summary over all targets, with the remedy.</summary>
    public sealed class Port25EgressResult
    {
        internal Port25EgressResult(IReadOnlyList<Port25EgressTarget> targets, int elapsedMs)
        {
            Targets = new ResultList<Port25EgressTarget>(targets);
            ElapsedMs = elapsedMs;
            int Count(string v) => targets.Count(t => t.Verdict == v);
            OpenCount = Count("Open");
            BlockedCount = Count("Blocked");
            InterceptedCount = Count("Intercepted");
            UnreachableCount = Count("Unreachable");
            if (InterceptedCount > 0)
            {
                Verdict = "Intercepted";
                Message = $"{InterceptedCount} of {targets.Count} target(s) answered with a banner or certificate that is not theirs: something between this machine and the internet intercepts SMTP (a transparent proxy, antivirus or ISP filter).";
                Remedy = "Ask the network provider to stop intercepting port 25 for this server, or relay outbound mail through a smarthost on port 587 with TLS and authentication (Postfix: relayhost = [smtp.example.net]:587, smtp_sasl_auth_enable = yes, smtp_tls_security_level = encrypt).";
            }
            else if (OpenCount > 0)
            {
                Verdict = "Open";
                Message = $"Port 25 is open: {OpenCount} of {targets.Count} target(s) greeted this machine with their own banner.";
                Remedy = null;
            }
            else if (BlockedCount > 0)
            {
                Verdict = "Blocked";
                Message = $"Outbound port 25 is blocked: {BlockedCount} of {targets.Count} target(s) answered on a control port but not on port 25. Most cloud and residential providers block it by default.";
                Remedy = "Ask the provider to unblock outbound port 25 for this server (AWS, Azure, Google Cloud, DigitalOcean, Hetzner, OVH and others have a request form or a support ticket for it), or relay outbound mail through a smarthost on port 587 (Postfix: relayhost = [smtp.example.net]:587 with smtp_sasl_auth_enable = yes and smtp_tls_security_level = encrypt).";
            }
            else
            {
                Verdict = "Unreachable";
                Message = targets.Count == 0 ? "No target could be tested." : "No target answered on any port: this machine's outbound connections fail in general, so port 25 cannot be judged.";
                Remedy = "Check this machine's network connection, outbound firewall and DNS, then run again.";
            }
        }

        /// <summary>Open, Blocked, Intercepted or Unreachable.</summary>
        public string Verdict { get; }
        public string Message { get; }
        public string? Remedy { get; }
        public int OpenCount { get; }
        public int BlockedCount { get; }
        public int InterceptedCount { get; }
        public int UnreachableCount { get; }
        public ResultList<Port25EgressTarget> Targets { get; }
        public int ElapsedMs { get; }

        public override string ToString() => $"Port 25 egress: {Verdict}. {Message}";
    }

    /// <summary>How Test-Port25Egress runs.</summary>
    public sealed class EgressOptions
    {
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Ports tried on the same host when port 25 fails, to tell "blocked" from "down".</summary>
        public IReadOnlyList<int> ControlPorts { get; set; } = new[] { 443, 587 };

        /// <summary>Also check that the STARTTLS certificate names the target (a proxy shows its own).</summary>
        public bool CheckCertificate { get; set; } = true;
    }

    public static class Port25Egress
    {
        /// <summary>Large mailbox providers whose MX hosts are the default targets, with the domains their banners and certificates use.</summary>
        public static IReadOnlyList<(string Domain, string[] Expected)> Providers { get; } = new[]
        {
            ("gmail.com", new[] { "google.com", "gmail.com" }),
            ("outlook.com", new[] { "outlook.com", "office365.com", "microsoft.com" }),
            ("yahoo.com", new[] { "yahoo.com", "yahoodns.net" }),
        };

        /// <summary>The best MX host of each provider, resolved now. Unanswered MX questions come back in <paramref name="unanswered"/>.</summary>
        public static async Task<IReadOnlyList<EgressTarget>> DefaultTargetsAsync(IDnsResolver dns, List<DnsQueryResult> unanswered, CancellationToken ct)
        {
            var tasks = Providers.Select(async p =>
            {
                var mx = await dns.QueryAsync(p.Domain, DnsRecordType.MX, ct).ConfigureAwait(false);
                if (mx.IsError) { lock (unanswered) unanswered.Add(mx); return null; }
                var best = mx.RecordsOf<MxRecord>().Where(r => r.Exchange != ".").OrderBy(r => r.Preference).FirstOrDefault();
                return best == null ? null : new EgressTarget(best.Exchange, 25, p.Domain, p.Expected.Concat(new EgressTarget(best.Exchange).ExpectedDomains).Distinct());
            }).ToList();
            return (await Task.WhenAll(tasks).ConfigureAwait(false)).OfType<EgressTarget>().ToList();
        }

        /// <summary>
        /// Tests every target, <paramref name="throttleLimit"/> at a time, and sums them up in the order given (Test-Port25Egress
        /// and Test-MailServer -Local: the one way to run the egress check). Each finished target is a verbose note and a step of
        /// progress on <paramref name="sink"/>; the targets left out (their name unanswered, DnsQueryFailedException, or no
        /// connection, MailConnectionException) come back in <see cref="Port25EgressRun.Failures"/>, in the order given.
        /// </summary>
        public static async Task<Port25EgressRun> CheckAsync(IDnsResolver dns, IReadOnlyList<EgressTarget> targets, EgressOptions options, int throttleLimit,
            ICheckSink? sink, CancellationToken ct)
        {
            sink = sink.OrNone();
            var clock = Stopwatch.StartNew();
            var results = new Port25EgressTarget[targets.Count];
            var failures = new Port25EgressFailure[targets.Count];
            var progress = sink.Counter("Port 25 targets tried", targets.Count);
            var lanes = new WorkLanes(Math.Max(1, throttleLimit));
            await Task.WhenAll(targets.Select((t, i) => lanes.Run(async () =>
            {
                try
                {
                    var r = results[i] = await ProbeAsync(dns, t, options, ct).ConfigureAwait(false);
                    sink.Verbose($"{r.Target}: {r.Verdict} - {r.Detail} ({r.ElapsedMs} ms)");
                }
                catch (Exception ex) when (ex is DnsQueryFailedException || ex is MailConnectionException)
                {
                    failures[i] = new Port25EgressFailure(t, ex);
                }
                finally
                {
                    progress.Step(t.ToString());
                }
            }, ct))).ConfigureAwait(false);
            return new Port25EgressRun(new Port25EgressResult(results.Where(r => r != null).ToList(), (int)clock.ElapsedMilliseconds),
                failures.Where(f => f != null).ToList());
        }

        /// <summary>Tests one target. Throws <see cref="DnsQueryFailedException"/> when its name cannot be resolved.</summary>
        public static async Task<Port25EgressTarget> ProbeAsync(IDnsResolver dns, EgressTarget target, EgressOptions options, CancellationToken ct)
        {
            options = options ?? new EgressOptions();
            var clock = Stopwatch.StartNew();
            var r = new Port25EgressTarget { Target = target.ToString(), Provider = target.Provider, Port = target.Port, ControlResult = "NotTried" };
            var addresses = await DaneCheck.ResolveAsync(dns, target.HostName, target.Port, ct).ConfigureAwait(false);
            r.Address = addresses[0].ToString();
            var one = new[] { addresses[0] };

            string smtpDetail;
            try
            {
                using (var s = await MailSession.ConnectAsync(target.HostName, one, target.Port, options.Timeout, ct).ConfigureAwait(false))
                {
                    SmtpReply? banner = null;
                    string? garbage = null;
                    try
                    {
                        banner = await s.ReadReplyAsync(options.Timeout, ct).ConfigureAwait(false);
                    }
                    catch (TimeoutException) { }
                    catch (IOException ex) { garbage = ex.Message; }
                    if (garbage != null)
                    {
                        r.SmtpResult = "Banner";
                        r.Verdict = "Intercepted";
                        r.Detail = $"port {target.Port} answered, but not with SMTP ({garbage}).";
                    }
                    else if (banner == null)
                    {
                        r.SmtpResult = "NoBanner";
                        smtpDetail = $"port {target.Port} accepted the connection but no greeting came within {options.Timeout.TotalSeconds:0.#} s (a firewall or proxy holding it)";
                        r.Detail = smtpDetail;
                    }
                    else
                    {
                        r.SmtpResult = "Banner";
                        r.Banner = $"{banner.Code} {banner.Lines[0]}";
                        var word = banner.Lines[0].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
                        if (word.Contains(".") && DnsName.ValidateDomainName(word) == null) r.BannerHostName = DnsName.Normalize(word).ToLowerInvariant();
                        var foreign = target.ExpectedDomains.Count > 0 && r.BannerHostName != null
                            && !target.ExpectedDomains.Any(d => DnsName.IsAtOrBelow(r.BannerHostName, d));
                        if (foreign)
                        {
                            r.Verdict = "Intercepted";
                            r.Detail = $"the greeting names {r.BannerHostName}, not a host of {string.Join("/", target.ExpectedDomains)}: something else answers port {target.Port}.";
                        }
                        else if (banner.Code != 220 && (r.BannerHostName == null || target.ExpectedDomains.Count == 0))
                        {
                            r.Verdict = "Intercepted";
                            r.Detail = $"port {target.Port} answered '{MailSession.Truncate(r.Banner)}', a refusal that does not name the target.";
                        }
                        else
                        {
                            r.Verdict = "Open";
                            r.Detail = banner.Code == 220 ? $"greeted by {r.BannerHostName ?? "the target"}." : $"reached {r.BannerHostName}, which refused this client ({banner.Code}): port 25 is open, but this address has a reputation problem.";
                            if (banner.Code == 220 && options.CheckCertificate && target.ExpectedDomains.Count > 0)
                                await CheckCertificateAsync(s, target, r, options, ct).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (MailConnectionException ex)
            {
                r.SmtpResult = ex.Failure == MailConnectionFailure.Refused ? "Refused" : ex.Failure == MailConnectionFailure.Timeout ? "Timeout" : "Error";
                r.Detail = ex.Failure == MailConnectionFailure.Refused ? $"port {target.Port} refused the connection"
                    : ex.Failure == MailConnectionFailure.Timeout ? $"port {target.Port} timed out after {options.Timeout.TotalSeconds:0.#} s" : ex.Message;
            }

            if (r.Verdict == null)
            {
                foreach (var port in options.ControlPorts)
                {
                    try
                    {
                        using (await MailSession.ConnectAsync(target.HostName, one, port, options.Timeout, ct).ConfigureAwait(false)) { }
                        r.ControlPort = port;
                        r.ControlResult = "Connected";
                        break;
                    }
                    catch (MailConnectionException ex)
                    {
                        r.ControlResult = ex.Failure == MailConnectionFailure.Refused ? "Refused" : ex.Failure == MailConnectionFailure.Timeout ? "Timeout" : "Error";
                    }
                }
                if (r.ControlResult == "Connected")
                {
                    r.Verdict = "Blocked";
                    r.Detail = $"{r.Detail}, while port {r.ControlPort} of the same host connected: port 25 is filtered on the way out.";
                }
                else
                {
                    r.Verdict = "Unreachable";
                    r.Detail = $"{r.Detail}, and the control port(s) {string.Join(", ", options.ControlPorts)} did not connect either: the host is down or unreachable from here.";
                }
            }
            r.ElapsedMs = (int)clock.ElapsedMilliseconds;
            return r;
        }

        private static async Task CheckCertificateAsync(MailSession s, EgressTarget target, Port25EgressTarget r, EgressOptions options, CancellationToken ct)
        {
            try
            {
                var ehlo = await s.CommandAsync("EHLO " + (s.LocalAddress == null ? "[127.0.0.1]" : $"[{s.LocalAddress}]"), options.Timeout, ct).ConfigureAwait(false);
                if (ehlo == null || ehlo.Code != 250) return;
                if (!ehlo.Lines.Skip(1).Any(l => l.Trim().Equals("STARTTLS", StringComparison.OrdinalIgnoreCase)))
                {
                    r.Detail += " (no STARTTLS offered)";
                    return;
                }
                var reply = await s.CommandAsync("STARTTLS", options.Timeout, ct).ConfigureAwait(false);
                if (reply == null || reply.Code != 220) return;
                var tls = await s.StartTlsAsync(target.HostName, options.Timeout, ct).ConfigureAwait(false);
                if (tls.Leaf == null) return;
                var names = CertificateJudge.GetDnsNames(tls.Leaf);
                var ours = names.Any(n => target.ExpectedDomains.Any(d => DnsName.IsAtOrBelow(n.TrimStart('*', '.'), d)))
                    || CertificateJudge.MatchesHostName(tls.Leaf, target.HostName);
                if (!ours)
                {
                    r.Verdict = "Intercepted";
                    r.Detail = $"the greeting looks right, but the STARTTLS certificate is for {CertificateJudge.Describe(names)}, not {string.Join("/", target.ExpectedDomains)}: a TLS-intercepting proxy.";
                }
                try { await s.CommandAsync("QUIT", TimeSpan.FromSeconds(2), ct).ConfigureAwait(false); } catch (Exception ex) when (!(ex is OperationCanceledException)) { }
            }
            catch (Exception ex) when (ex is TimeoutException || ex is IOException || ex is System.Security.Authentication.AuthenticationException || ex is ObjectDisposedException)
            {
                // The greeting already decided the verdict; a failed certificate look is not an interception by itself.
                r.Detail += $" (the certificate could not be read: {ex.Message})";
            }
        }
    }
}
