using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.MtaSts
{
    /// <summary>How Test-MtaSts fetches policies.</summary>
    public sealed class MtaStsOptions
    {
        /// <summary>The HTTPS port of the policy host. 443 in real use; tests and private setups use another.</summary>
        public int Port { get; set; } = 443;

        /// <summary>The limit for the whole fetch: connect, TLS handshake and response.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>CA (or server) certificates trusted in addition to the system roots: for private PKI and tests.</summary>
        public IReadOnlyList<X509Certificate2> TrustedCertificates { get; set; } = new X509Certificate2[0];

        /// <summary>The largest policy body accepted (RFC 8461 §3.3 suggests senders stop at 64 KiB).</summary>
        public int MaxPolicyBytes { get; set; } = MtaStsRules.DefaultMaxPolicyBytes;

        /// <summary>The clock certificates are judged by (UTC; tests set it).</summary>
        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

        /// <summary>Told of each policy fetch (URL, status, size, time) as a verbose note. Null: nobody is told.</summary>
        public ICheckSink? Sink { get; set; }
    }

    /// <summary>The MTA-STS state of one domain: the _mta-sts record, the policy as served, and how the live MX hosts
    /// fare against it.</summary>
    public sealed class MtaStsResult
    {
        internal MtaStsResult(string domain) => Domain = domain;

        public string Domain { get; }

        /// <summary>The v=STSv1 TXT record at _mta-sts.&lt;domain&gt; (the first one when there are several).
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record { get => TextSafety.Escape(_record); internal set => _record = value; }

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string? GetRawRecord() => _record;

        private string? _record;

        /// <summary>The policy id from the record.</summary>
        public string? Id { get; internal set; }

        /// <summary>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</summary>
        public string? PolicyUrl { get; internal set; }

        /// <summary>The address:port the policy was fetched from.</summary>
        public string? PolicyEndpoint { get; internal set; }

        /// <summary>The HTTP status code of the policy fetch (no redirect is followed).</summary>
        public int? HttpStatus { get; internal set; }

        public string? ContentType { get; internal set; }

        /// <summary>enforce, testing or none, as the policy says.</summary>
        public string? Mode { get; internal set; }

        /// <summary>The policy's max_age in seconds.</summary>
        public long? MaxAge { get; internal set; }

        /// <summary>The policy's mx patterns.</summary>
        public ResultList<string> MxPattern { get; internal set; } = ResultList<string>.Empty;

        /// <summary>The domain's MX hosts, as DNS has them now.</summary>
        public ResultList<string> MxHost { get; internal set; } = ResultList<string>.Empty;

        /// <summary>MX hosts no pattern covers: senders that enforce the policy will not deliver to them.</summary>
        public ResultList<string> UnmatchedMxHost { get; internal set; } = ResultList<string>.Empty;

        public string? CertificateSubject { get; internal set; }

        public string? CertificateIssuer { get; internal set; }

        /// <summary>When the policy server's certificate expires (UTC).</summary>
        public DateTime? CertificateNotAfter { get; internal set; }

        /// <summary>The policy text as served (when it was read in full).</summary>
        public string? Policy { get; internal set; }

        /// <summary>True when a sender would find one valid record and fetch a usable policy.</summary>
        public bool PolicyValid { get; internal set; }

        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;

        /// <summary>Why the check could not finish (the policy server refused the connection, timed out or broke off);
        /// null when it ran. The same failure is also written as an error record.</summary>
        public string? CouldNotCheck { get; internal set; }

        internal string? StatusOverride { get; set; }

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass). Unreachable when the policy
        /// server could not be connected to (refused, timed out), Error when it was reached but the fetch failed (TLS, not HTTP).</summary>
        public string Status => StatusOverride ?? Finding.StatusOf(Findings);

        public override string ToString() =>
            Record == null ? $"{Domain}: no MTA-STS record" : $"{Domain}: MTA-STS {Mode ?? "(no policy)"} id={Id} {Status}{(CouldNotCheck != null ? ": " + CouldNotCheck : "")}";
    }

    /// <summary>Checks a domain's MTA-STS deployment (RFC 8461).</summary>
    public static class MtaStsCheck
    {
        /// <summary>
        /// Checks one domain; the outcome's Unanswered holds the MX lookup when it went unanswered (the MX match could not be made). Throws <see cref="DnsQueryFailedException"/> when the _mta-sts TXT or the policy host's
        /// addresses go unanswered, and <see cref="PolicyFetchException"/> when the policy server cannot be reached
        /// (refused, timeout, TLS failure other than the certificate). A certificate senders would reject, a redirect,
        /// a wrong content type, an oversized or missing policy are findings.
        /// </summary>
        public static async Task<CheckOutcome<MtaStsResult>> RunAsync(IDnsResolver dns, string domain, MtaStsOptions options, CancellationToken ct)
        {
            options = options ?? new MtaStsOptions();
            domain = DnsName.Normalize(domain.Trim()).ToLowerInvariant();
            var result = new MtaStsResult(domain);
            var findings = new List<Finding>();
            var unanswered = new List<DnsQueryResult>();
            var owner = "_mta-sts." + domain;
            var policyHost = "mta-sts." + domain;
            result.PolicyUrl = $"https://{policyHost}/.well-known/mta-sts.txt";

            var mxTask = dns.QueryAsync(domain, DnsRecordType.MX, ct);
            var txt = await dns.QueryAsync(owner, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (txt.IsError) throw new DnsQueryFailedException(txt);

            var texts = txt.RecordsOf<TxtRecord>().Select(r => r.Text).ToList();
            var candidates = texts.Where(t => t.StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
            if (candidates.Count == 0)
            {
                var nearMiss = texts.FirstOrDefault(t => t.TrimStart().StartsWith("v=sts", StringComparison.OrdinalIgnoreCase));
                if (nearMiss != null)
                    findings.Add(new Finding("MtaStsRecordSyntax", FindingSeverity.Fail,
                        $"The TXT record at {owner} (\"{nearMiss}\") does not begin with 'v=STSv1' exactly (case-sensitive, no leading space); senders discard it.",
                        $"Publish {owner}. IN TXT \"v=STSv1; id=<timestamp>;\"", owner));
                else
                    findings.Add(new Finding("NoMtaStsRecord", FindingSeverity.Warning,
                        $"{domain} publishes no MTA-STS record at {owner}: senders deliver over opportunistic TLS that an attacker can strip.",
                        $"Publish a policy at {result.PolicyUrl} and the record at {owner}.", owner));
                result.Findings = new ResultList<Finding>(findings);
                await AddMxHostsAsync(result, mxTask, unanswered).ConfigureAwait(false);
                return CheckOutcome.Of(result, unanswered);
            }

            result.Record = candidates[0];
            var recordFindings = new List<Finding>();
            result.Id = MtaStsRules.ParseStsRecord(candidates[0], owner, recordFindings);
            findings.AddRange(recordFindings);
            if (candidates.Count > 1)
                findings.Add(new Finding("MultipleMtaStsRecords", FindingSeverity.Fail,
                    $"{owner} has {candidates.Count} records starting with v=STSv1; RFC 8461 §3.1 says senders then assume there is no policy.",
                    "Delete all but one record (keep the one with the current id).", owner));
            var recordOk = candidates.Count == 1 && !recordFindings.Any(f => f.Level == FindingSeverity.Fail);

            // The policy host: resolved through MailOps' DNS layer, then fetched over HTTPS.
            var a = dns.QueryAsync(policyHost, DnsRecordType.A, ct);
            var aaaa = dns.QueryAsync(policyHost, DnsRecordType.AAAA, ct);
            var ra = await a.ConfigureAwait(false);
            var raaaa = await aaaa.ConfigureAwait(false);
            if (ra.IsError && raaaa.IsError) throw new DnsQueryFailedException(ra);
            if (ra.IsError) unanswered.Add(ra);
            if (raaaa.IsError) unanswered.Add(raaaa);
            var addresses = ra.RecordsOf<AddressRecord>().Concat(raaaa.RecordsOf<AddressRecord>()).Select(r => r.Address).ToList();

            ParsedPolicy? policy = null;
            if (addresses.Count == 0)
            {
                var why = ra.Outcome == DnsOutcome.NxDomain ? "does not exist (NXDOMAIN)" : "has no A or AAAA record";
                findings.Add(new Finding("PolicyHostNotFound", FindingSeverity.Fail,
                    $"The policy host {policyHost} {why}: senders cannot fetch the policy, so the _mta-sts record has no effect.",
                    $"Publish an A/AAAA record (or CNAME) for {policyHost} pointing at a web server that serves {result.PolicyUrl} with a valid certificate.", policyHost));
            }
            else
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                PolicyResponse response;
                try
                {
                    response = await PolicyFetcher.FetchAsync(policyHost, addresses, options, ct).ConfigureAwait(false);
                }
                catch (PolicyFetchException ex)
                {
                    // The row is kept (record, id, what could not be fetched) so that callers can show it beside the error.
                    result.Findings = new ResultList<Finding>(findings);
                    result.CouldNotCheck = TextSafety.Escape(ex.Message);
                    result.StatusOverride = ex.Failure == PolicyFetchFailure.Timeout || ex.Failure == PolicyFetchFailure.ConnectionRefused
                        || ex.Failure == PolicyFetchFailure.ConnectionFailed ? "Unreachable" : "Error";
                    ex.Result = result;
                    throw;
                }
                options.Sink?.Verbose(Describe(result.PolicyUrl, response, sw.Elapsed));
                policy = Evaluate(result, response, options, findings, policyHost);
            }

            if (policy != null)
            {
                result.Mode = policy.Mode;
                result.MaxAge = policy.MaxAge;
                result.MxPattern = new ResultList<string>(policy.Mx);
                findings.AddRange(policy.Findings);
            }
            await AddMxHostsAsync(result, mxTask, unanswered).ConfigureAwait(false);
            if (policy != null && policy.Mx.Count > 0 && result.MxHost.Count > 0)
                MatchMx(result, policy, findings);
            else if (policy != null && policy.IsUsable && result.MxHost.Count == 0 && !unanswered.Any(u => u.Type == DnsRecordType.MX) && policy.Mode != "none")
                findings.Add(new Finding("NoMxHosts", FindingSeverity.Warning,
                    $"{domain} has no MX hosts to match against the policy; MTA-STS applies to MX hosts only.",
                    "Publish MX records for the mail servers the policy lists.", domain));

            result.PolicyValid = recordOk && policy != null && policy.IsUsable && !findings.Any(f => f.Level == FindingSeverity.Fail && IsFetchProblem(f.Code));
            result.Findings = new ResultList<Finding>(findings);
            return CheckOutcome.Of(result, unanswered);
        }

        private static string Describe(string url, PolicyResponse r, TimeSpan elapsed)
        {
            var cert = r.CertificateSubject == null ? "no certificate" : $"certificate {r.CertificateSubject} from {r.CertificateIssuer}, expires {r.CertificateNotAfter:yyyy-MM-dd}";
            string outcome;
            if (r.CertificateProblems.Count > 0) outcome = "certificate rejected (" + string.Join(", ", r.CertificateProblems.Select(p => p.Code)) + "), request not sent";
            else if (r.TooLarge) outcome = $"{r.StatusCode}, body over the size limit, not read further";
            else outcome = $"{r.StatusCode} {r.ContentType}{(r.Body != null ? $", {r.Body.Length} chars" : "")}{(r.Location != null ? ", Location: " + r.Location : "")}";
            return $"HTTPS GET {url} via {r.Endpoint}: {cert}; {outcome} ({elapsed.TotalMilliseconds:0} ms)";
        }

        private static bool IsFetchProblem(string code) => code.StartsWith("PolicyCertificate", StringComparison.Ordinal)
            || code == "PolicyRedirect" || code == "PolicyHttpStatus" || code == "PolicyNotFound" || code == "PolicyTooLarge"
            || code == "PolicyContentType" || code == "PolicyHostNotFound";

        private static ParsedPolicy? Evaluate(MtaStsResult result, PolicyResponse response, MtaStsOptions options, List<Finding> findings, string host)
        {
            result.PolicyEndpoint = response.Endpoint;
            result.CertificateSubject = response.CertificateSubject;
            result.CertificateIssuer = response.CertificateIssuer;
            result.CertificateNotAfter = response.CertificateNotAfter;
            if (response.CertificateProblems.Count > 0)
            {
                foreach (var p in response.CertificateProblems)
                    findings.Add(new Finding(p.Code, FindingSeverity.Fail, p.Message, p.Remedy, host));
                return null;
            }
            if (response.CertificateNotAfter.HasValue)
            {
                var days = (response.CertificateNotAfter.Value - options.UtcNow()).TotalDays;
                if (days < 14)
                    findings.Add(new Finding("PolicyCertificateExpiresSoon", FindingSeverity.Warning,
                        $"The certificate for {host} expires in {Math.Max(0, (int)days)} day(s) ({response.CertificateNotAfter:yyyy-MM-dd} UTC).",
                        $"Renew the certificate for {host} now and check that renewal is automated.", host));
            }

            result.HttpStatus = response.StatusCode;
            result.ContentType = response.ContentType;
            var status = response.StatusCode ?? 0;
            if (status >= 300 && status < 400)
            {
                findings.Add(new Finding("PolicyRedirect", FindingSeverity.Fail,
                    $"{result.PolicyUrl} answers {status} {response.ReasonPhrase} redirecting to {response.Location ?? "(no Location)"}; RFC 8461 §3.3 forbids senders to follow redirects, so they get no policy.",
                    $"Serve the policy file itself at {result.PolicyUrl} with status 200 (exempt /.well-known/mta-sts.txt from any HTTP-to-HTTPS or www redirect).", result.PolicyUrl));
                return null;
            }
            if (status == 404)
            {
                findings.Add(new Finding("PolicyNotFound", FindingSeverity.Fail,
                    $"{result.PolicyUrl} answers 404 Not Found: senders get no policy, so the _mta-sts record has no effect.",
                    $"Put the policy file at /.well-known/mta-sts.txt on {host}.", result.PolicyUrl));
                return null;
            }
            if (status != 200)
            {
                findings.Add(new Finding("PolicyHttpStatus", FindingSeverity.Fail,
                    $"{result.PolicyUrl} answers {status} {response.ReasonPhrase}; only 200 delivers a policy (RFC 8461 §3.3).",
                    "Make the web server answer 200 with the policy file.", result.PolicyUrl));
                return null;
            }
            if (response.TooLarge)
            {
                var size = response.DeclaredLength.HasValue ? $"{response.DeclaredLength} bytes" : $"more than {options.MaxPolicyBytes} bytes";
                findings.Add(new Finding("PolicyTooLarge", FindingSeverity.Fail,
                    $"The policy at {result.PolicyUrl} is {size}; senders stop reading at {options.MaxPolicyBytes / 1024} KiB (RFC 8461 §3.3), so they reject it. The body was not read further.",
                    "Serve the small policy text file itself (a few lines: version, mode, mx, max_age), not a web page.", result.PolicyUrl));
                return null;
            }
            var mediaType = (response.ContentType ?? "").Split(';')[0].Trim();
            var contentTypeOk = string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase);
            if (!contentTypeOk)
                findings.Add(new Finding("PolicyContentType", FindingSeverity.Fail,
                    $"The policy is served as '{(Strings.IsNullOrEmpty(response.ContentType) ? "(no Content-Type)" : response.ContentType)}'; RFC 8461 §3.2 requires text/plain, and senders that check it reject the policy.",
                    "Serve mta-sts.txt with 'Content-Type: text/plain' (nginx: default_type text/plain; in the location block; Apache: AddType text/plain .txt).", result.PolicyUrl));
            result.Policy = response.Body;
            return MtaStsRules.ParsePolicy(response.Body ?? "", result.PolicyUrl);
        }

        private static async Task AddMxHostsAsync(MtaStsResult result, Task<DnsQueryResult> mxTask, List<DnsQueryResult> unanswered)
        {
            var mx = await mxTask.ConfigureAwait(false);
            if (mx.IsError) { unanswered.Add(mx); return; }
            result.MxHost = new ResultList<string>(mx.RecordsOf<MxRecord>().Where(r => r.Exchange != ".")
                .OrderBy(r => r.Preference).Select(r => r.Exchange.ToLowerInvariant()).Distinct());
        }

        private static void MatchMx(MtaStsResult result, ParsedPolicy policy, List<Finding> findings)
        {
            var unmatched = result.MxHost.Where(h => !policy.Mx.Any(p => MtaStsRules.MxMatches(p, h))).ToList();
            result.UnmatchedMxHost = new ResultList<string>(unmatched);
            var severity = policy.Mode == "enforce" ? FindingSeverity.Fail : policy.Mode == "testing" ? FindingSeverity.Warning : FindingSeverity.Info;
            var effect = policy.Mode == "enforce" ? "senders that enforce MTA-STS will not deliver to it"
                : policy.Mode == "testing" ? "senders report a failure for it (and will refuse it once the mode is enforce)"
                : "this would matter if the policy were enforced";
            foreach (var host in unmatched)
            {
                var nearWildcard = policy.Mx.FirstOrDefault(p => p.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(p.Substring(1), StringComparison.OrdinalIgnoreCase));
                var hint = nearWildcard != null
                    ? $" ('{nearWildcard}' covers exactly one label, so it does not match {host})"
                    : "";
                findings.Add(new Finding("MxNotInPolicy", severity,
                    $"The MX host {host} matches no mx pattern in the policy{hint}: {effect}.",
                    $"Add 'mx: {host}' to the policy and change the id in the _mta-sts record, or point the MX at a host the policy lists.", host));
            }
            foreach (var pattern in policy.Mx.Where(p => MtaStsRules.ValidateMxPattern(p) == null && !result.MxHost.Any(h => MtaStsRules.MxMatches(p, h))))
                findings.Add(new Finding("PolicyMxUnused", FindingSeverity.Info,
                    $"The policy pattern '{pattern}' matches none of the current MX hosts.",
                    "Remove it if that host is retired (a stale pattern allows delivery to a host you may no longer control).", pattern));
        }
    }
}
