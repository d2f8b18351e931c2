using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Asn;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Ptr;
using MailOps.Smtp;

namespace MailOps.Server
{
    /// <summary>How many addresses of an IPv4 /24 are listed (-Neighborhood): the "guilt by association" some receivers apply.</summary>
    public sealed class MailServerNeighborhood
    {
        internal MailServerNeighborhood(string prefix, int checkedCount, IEnumerable<string> listed, IEnumerable<string> perZone, int errors)
        {
            Prefix = prefix;
            Checked = checkedCount;
            ListedAddress = new ResultList<string>(listed);
            ListedPerZone = new ResultList<string>(perZone);
            Errors = errors;
        }

        public string Prefix { get; }
        /// <summary>Addresses checked (the /24 without the network and broadcast addresses).</summary>
        public int Checked { get; }
        /// <summary>The addresses listed on at least one zone (the server's own included).</summary>
        public ResultList<string> ListedAddress { get; }
        public int ListedCount => ListedAddress.Count;
        /// <summary>"zone: n" per zone with listings.</summary>
        public ResultList<string> ListedPerZone { get; }
        /// <summary>Lookups that could not be answered: the count is a lower bound when this is not 0.</summary>
        public int Errors { get; }

        public override string ToString() => $"{Prefix}: {ListedCount} of {Checked} listed";
    }

    /// <summary>The sending side of one outbound server: PTR/FCrDNS and HELO, blocklists, the /24 neighbourhood, the origin AS.</summary>
    public sealed class MailServerResult
    {
        internal MailServerResult() { }

        public string? IPAddress { get; internal set; }
        public string? HeloName { get; internal set; }
        /// <summary>Pass, Warning, Fail, or Incomplete when a check could not run.</summary>
        public string? Status { get; internal set; }
        public MailPtrResult? Ptr { get; internal set; }
        /// <summary>One result per blocklist zone (Get-DnsblListing's objects).</summary>
        public ResultList<DnsblResult> Blocklists { get; internal set; } = ResultList<DnsblResult>.Empty;
        /// <summary>The zones that list the address.</summary>
        public ResultList<string> ListedOn { get; internal set; } = ResultList<string>.Empty;
        public AsnInfo? Asn { get; internal set; }
        public MailServerNeighborhood? Neighborhood { get; internal set; }
        /// <summary>-Service: one Test-SmtpService object per port probed (25, 465, 587, 993 by default); empty without -Service.</summary>
        public ResultList<MailServiceResult> Services { get; internal set; } = ResultList<MailServiceResult>.Empty;
        /// <summary>-Local: outbound port 25 from the machine running the check (Test-Port25Egress's object, the same for every address).</summary>
        public Port25EgressResult? Port25Egress { get; internal set; }
        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;
        public ResultList<string> CouldNotCheck { get; internal set; } = ResultList<string>.Empty;

        public override string ToString() => $"{IPAddress}: {Status}";
    }

    public sealed class MailServerOptions
    {
        public string? HeloName { get; set; }
        /// <summary>Check the /24 of a public IPv4 address on the same zones.</summary>
        public bool Neighborhood { get; set; }
        public bool Asn { get; set; } = true;
        /// <summary>Neighbourhood listings at or above which the finding is a Warning (else Info).</summary>
        public int NeighborhoodWarningThreshold { get; set; } = 8;
        /// <summary>Mail services to probe on the address (-Service): protocol and port; empty: none.</summary>
        public IReadOnlyList<(MailProtocol Protocol, int Port)> Services { get; set; } = new (MailProtocol, int)[0];
        /// <summary>How the services are probed (timeout, trusted CAs); the host name for certificate matching is <see cref="HeloName"/>.</summary>
        public MailServiceOptions? ServiceOptions { get; set; }
        /// <summary>-Local: the one egress check of the invocation (shared by every address); null: not run.</summary>
        public Func<CancellationToken, Task<Port25EgressResult>>? Port25Egress { get; set; }

        /// <summary>The default services of -Service: SMTP with STARTTLS on 25, SMTPS on 465, submission on 587, IMAPS on 993.</summary>
        public static IReadOnlyList<(MailProtocol Protocol, int Port)> DefaultServices { get; } = new[]
        {
            (MailProtocol.Smtp, 25), (MailProtocol.Smtps, 465), (MailProtocol.Submission, 587), (MailProtocol.Imaps, 993),
        };
    }

    public sealed class MailServerCheckOutcome
    {
        internal MailServerCheckOutcome(MailServerResult result, IReadOnlyList<(string Area, Exception Error)> failures, IReadOnlyList<DnsblResult> blocklistErrors,
            IReadOnlyList<MailConnectionException>? serviceFailures = null)
        {
            ServiceFailures = serviceFailures ?? new MailConnectionException[0];
            Result = result;
            Failures = failures;
            BlocklistErrors = blocklistErrors;
        }

        public MailServerResult Result { get; }
        /// <summary>PTR or ASN questions that went unanswered (DnsQueryFailedException).</summary>
        public IReadOnlyList<(string Area, Exception Error)> Failures { get; }
        /// <summary>Blocklist results with Status Error (the list could not be asked).</summary>
        public IReadOnlyList<DnsblResult> BlocklistErrors { get; }
        /// <summary>Service probes (-Service) that could not run: each also has a row (Status Unreachable or Error) in Services.</summary>
        public IReadOnlyList<MailConnectionException> ServiceFailures { get; }
    }

    /// <summary>Test-MailServer's engine: composes PtrCheck, DnsblCheck and AsnLookup for one address.</summary>
    public static class MailServerCheck
    {
        public static async Task<MailServerCheckOutcome> RunAsync(IDnsResolver dns, DnsblCheck? dnsbl, IPAddress ip, MailServerOptions options, CancellationToken ct)
        {
            options = options ?? new MailServerOptions();
            var failures = new List<(string, Exception)>();
            var r = new MailServerResult { IPAddress = ip.ToString(), HeloName = options.HeloName };
            var findings = new List<Finding>();
            var couldNot = new List<string>();

            var ptrTask = Guard("Ptr", () => PtrCheck.RunAsync(dns, ip, options.HeloName, ct));
            var asnTask = options.Asn ? Guard("Asn", () => AsnLookup.LookupAsync(dns, ip, ct)) : Task.FromResult<AsnInfo?>(null);
            var blTask = dnsbl == null ? Task.FromResult<IReadOnlyList<DnsblResult>>(new DnsblResult[0]) : dnsbl.CheckAsync(DnsblTarget.ForAddress(ip), ct);
            var serviceTask = ProbeServicesAsync(ip, options, ct);
            var egressTask = Egress();
            var hoodTask = options.Neighborhood && dnsbl != null && IsPublicIPv4(ip) ? NeighborhoodAsync(dnsbl, ip, ct) : Task.FromResult<MailServerNeighborhood?>(null);

            async Task<Port25EgressResult?> Egress() => options.Port25Egress == null ? null : await options.Port25Egress(ct).ConfigureAwait(false);

            async Task<T?> Guard<T>(string area, Func<Task<T>> run) where T : class?
            {
                try { return await run().ConfigureAwait(false); }
                catch (DnsQueryFailedException ex) { lock (failures) failures.Add((area, ex)); return null; }
            }

            var ptr = await ptrTask.ConfigureAwait(false);
            r.Asn = await asnTask.ConfigureAwait(false);
            var listed = await blTask.ConfigureAwait(false);
            r.Neighborhood = await hoodTask.ConfigureAwait(false);
            var services = await serviceTask.ConfigureAwait(false);
            r.Port25Egress = await egressTask.ConfigureAwait(false);

            if (ptr != null)
            {
                r.Ptr = ptr.Result;
                findings.AddRange(ptr.Result.Findings);
                foreach (var u in ptr.Unanswered) couldNot.Add($"Ptr: {new DnsQueryFailedException(u).Message}");
            }
            var ordered = listed.OrderBy(x => x.Zone, StringComparer.OrdinalIgnoreCase).ToList();
            r.Blocklists = new ResultList<DnsblResult>(ordered);
            r.ListedOn = new ResultList<string>(ordered.Where(x => x.IsListed).Select(x => x.Zone));
            foreach (var x in ordered.Where(x => x.IsListed))
                findings.Add(new Finding("Blocklisted", FindingSeverity.Fail,
                    $"{ip} is listed on {x.Zone} ({x.Meaning}){(Strings.IsNullOrEmpty(x.Reason) ? "" : ": " + x.Reason)}. Receivers that use this list reject or junk its mail.",
                    Strings.IsNullOrEmpty(x.DelistUrl) ? "Find and stop what sent the spam (a compromised account, an open relay, a form), then ask the list to delist the address." : $"Find and stop what sent the spam, then request delisting at {x.DelistUrl}.",
                    x.Zone));
            foreach (var x in ordered.Where(x => x.Status == DnsblStatus.Error)) couldNot.Add($"Dnsbl {x.Zone}: {x.Message}");

            if (r.Asn != null)
            {
                var hint = AsnLookup.ResidentialHint(r.Asn.AsName);
                findings.Add(new Finding("OriginAs", FindingSeverity.Info, $"{ip} is announced by {r.Asn}.", null, r.Asn.Prefix));
                if (hint != null)
                    findings.Add(new Finding("ResidentialNetwork", FindingSeverity.Warning,
                        $"{ip} belongs to AS{r.Asn.Asn} ({r.Asn.AsName}), which looks like an access network ('{hint}'): many receivers treat mail from such ranges as coming from home connections and reject or junk it.",
                        "Send through a server in a hosting or business range with a static address and matching PTR, or relay through your provider's smarthost or an email service on port 587.", r.Asn.Prefix));
            }
            if (r.Neighborhood != null && r.Neighborhood.ListedCount > 0)
            {
                var others = r.Neighborhood.ListedAddress.Count(a => a != ip.ToString());
                if (others > 0)
                    findings.Add(new Finding("NeighborhoodListed", others >= options.NeighborhoodWarningThreshold ? FindingSeverity.Warning : FindingSeverity.Info,
                        $"{others} other address(es) of {r.Neighborhood.Prefix} are listed ({r.Neighborhood.ListedPerZone}): some receivers and lists (e.g. UCEPROTECT level 2) penalise a whole range for its neighbours.",
                        "Ask your provider about the range's reputation, or move sending to an address in a cleaner range.", r.Neighborhood.Prefix));
                if (r.Neighborhood.Errors > 0) couldNot.Add($"Neighborhood: {r.Neighborhood.Errors} lookup(s) of {r.Neighborhood.Prefix} could not be answered; the count is a lower bound.");
            }
            JudgeServices(ip, services, r, findings, couldNot);
            JudgeEgress(r.Port25Egress, findings, couldNot);
            foreach (var (area, e) in failures) couldNot.Add($"{area}: {e.Message}");

            r.Findings = new ResultList<Finding>(findings);
            r.CouldNotCheck = new ResultList<string>(couldNot);
            r.Status = couldNot.Count > 0 ? "Incomplete" : Finding.StatusOf(findings);
            return new MailServerCheckOutcome(r, failures, ordered.Where(x => x.Status == DnsblStatus.Error).ToList(),
                services.Select(x => x.Failure).OfType<MailConnectionException>().ToList());
        }

        /// <summary>-Service: each port through <see cref="MailServiceCheck"/> (Test-SmtpService's engine), connecting to the
        /// address itself and matching certificates against the HELO name (or the address when there is none).</summary>
        private static async Task<List<(MailServiceResult Result, MailConnectionException? Failure)>> ProbeServicesAsync(IPAddress ip, MailServerOptions options, CancellationToken ct)
        {
            var list = new List<(MailServiceResult, MailConnectionException?)>();
            if (options.Services == null || options.Services.Count == 0) return list;
            var host = options.HeloName ?? ip.ToString();
            var tasks = options.Services.Select(async svc =>
            {
                var b = options.ServiceOptions ?? new MailServiceOptions();
                var o = new MailServiceOptions
                {
                    Timeout = b.Timeout, SessionLimit = b.SessionLimit, HeloName = b.HeloName, SlowBanner = b.SlowBanner, ExpiryWarningDays = b.ExpiryWarningDays,
                    TrustedCertificates = b.TrustedCertificates, UtcNow = b.UtcNow, Protocol = svc.Protocol,
                    Resolve = (h, t) => Task.FromResult<IReadOnlyList<IPAddress>>(new[] { ip }),
                };
                try { return (await MailServiceCheck.RunAsync(host, svc.Port, o, ct).ConfigureAwait(false), (MailConnectionException?)null); }
                catch (MailConnectionException ex) { return (MailServiceResult.NotProbed(host, svc.Port, svc.Protocol, ex), ex); }
            }).ToList();
            foreach (var t in tasks) list.Add(await t.ConfigureAwait(false));
            return list;
        }

        private static void JudgeServices(IPAddress ip, List<(MailServiceResult Result, MailConnectionException? Failure)> services, MailServerResult r, List<Finding> findings, List<string> couldNot)
        {
            r.Services = new ResultList<MailServiceResult>(services.Select(x => x.Result));
            foreach (var (s, failure) in services)
            {
                findings.AddRange(s.Findings);
                if (failure == null) continue;
                var where = $"{ip} port {s.Port}";
                var smtp = s.Protocol == "SMTP";
                if (failure.Failure == MailConnectionFailure.Refused)
                {
                    if (smtp)
                        findings.Add(new Finding("SmtpPortClosed", FindingSeverity.Fail,
                            $"{where} refuses connections: nothing accepts mail there, so bounces, replies and other servers' mail to this host cannot come in, and some receivers call back to check a sender.",
                            "Start the SMTP service (Postfix: systemctl start postfix; master.cf 'smtp inet') and open port 25 in the firewall, or, for a send-only host, make sure the domain's MX points elsewhere.",
                            $"{ip}:{s.Port}"));
                    else
                        findings.Add(new Finding("ServiceNotOffered", FindingSeverity.Info,
                            $"{where} ({s.Protocol}) refuses connections: the service is not offered on this address.",
                            "Nothing to do if clients do not use this service here; otherwise enable it and open the port.", $"{ip}:{s.Port}"));
                }
                else
                    couldNot.Add($"Service {s.Protocol} port {s.Port}: {s.CouldNotCheck}{(smtp && failure.Failure == MailConnectionFailure.Timeout ? " (outbound port 25 may be blocked where this runs: try -Local)" : "")}");
            }
        }

        private static void JudgeEgress(Port25EgressResult? e, List<Finding> findings, List<string> couldNot)
        {
            if (e == null) return;
            switch (e.Verdict)
            {
                case "Blocked":
                    findings.Add(new Finding("Port25Blocked", FindingSeverity.Fail, e.Message, e.Remedy, "port 25"));
                    break;
                case "Intercepted":
                    findings.Add(new Finding("Port25Intercepted", FindingSeverity.Fail, e.Message, e.Remedy, "port 25"));
                    break;
                case "Unreachable":
                    couldNot.Add($"Port25Egress: {e.Message}");
                    break;
            }
        }

        /// <summary>Public unicast IPv4 only: neighbourhoods of private, loopback or CGNAT ranges mean nothing to receivers.</summary>
        public static bool IsPublicIPv4(IPAddress ip) =>
            ip.AddressFamily == AddressFamily.InterNetwork && !Mx.MxCheck.IsNonPublic(ip) && ip.GetAddressBytes()[0] < 224;

        /// <summary>The /24 of an address on the same zones as the address itself, through the same throttle (DnsblCheck's).</summary>
        private static async Task<MailServerNeighborhood?> NeighborhoodAsync(DnsblCheck dnsbl, IPAddress ip, CancellationToken ct)
        {
            var b = ip.GetAddressBytes();
            var prefix = $"{b[0]}.{b[1]}.{b[2]}.0/24";
            var tasks = Enumerable.Range(1, 254).Select(i => dnsbl.CheckAsync(DnsblTarget.ForAddress(new IPAddress(new[] { b[0], b[1], b[2], (byte)i })), ct));
            var results = (await Task.WhenAll(tasks).ConfigureAwait(false)).SelectMany(r => r).ToList();
            var listed = results.Where(x => x.IsListed).ToList();
            var addresses = listed.Select(x => x.Target).Distinct().OrderBy(a => IPAddress.Parse(a).GetAddressBytes()[3]).ToList();
            var perZone = listed.GroupBy(x => x.Zone).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase).Select(g => $"{g.Key}: {g.Count()}");
            return new MailServerNeighborhood(prefix, 254, addresses, perZone, results.Count(x => x.Status == DnsblStatus.Error));
        }
    }
}
