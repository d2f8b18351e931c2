using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Mx
{
    /// <summary>Looks up a domain's MX records and checks every exchanger (RFC 5321 §5.1, RFC 7505, RFC 2181 §10.3).</summary>
    public static class MxCheck
    {
        /// <summary>Checks one domain: one entry per MX host, in preference order; the outcome's Unanswered holds the address and PTR questions that went unanswered (degraded, not wrong). Throws <see cref="DnsQueryFailedException"/> when the MX question itself goes unanswered.</summary>
        public static async Task<CheckOutcome<IReadOnlyList<MailMxHost>>> RunAsync(IDnsResolver dns, string domain, CancellationToken ct)
        {
            domain = DnsName.Normalize(domain.Trim());
            var unanswered = new List<DnsQueryResult>();
            var mx = await dns.QueryAsync(domain, DnsRecordType.MX, ct).ConfigureAwait(false);
            if (mx.IsError) throw new DnsQueryFailedException(mx);

            if (mx.Outcome == DnsOutcome.NxDomain)
            {
                return CheckOutcome.Of<IReadOnlyList<MailMxHost>>(new[]
                {
                    new MailMxHost(domain, null, null, false, false, ResultList<string>.Empty, ResultList<string>.Empty, ResultList<string>.Empty,
                        new ResultList<Finding>(new[] { new Finding("DomainNotFound", FindingSeverity.Fail,
                            $"{domain} does not exist in DNS (NXDOMAIN): no mail can be delivered to it.",
                            "Check the spelling; if the domain is new, check that its delegation (NS records at the registrar) is in place.", domain) }))
                }, unanswered);
            }

            var records = mx.RecordsOf<MxRecord>().OrderBy(r => r.Preference).ThenBy(r => r.Exchange, StringComparer.OrdinalIgnoreCase).ToList();
            if (records.Count == 0)
            {
                var host = await CheckHostAsync(dns, domain, null, domain, isImplicit: true, unanswered, ct).ConfigureAwait(false);
                return CheckOutcome.Of<IReadOnlyList<MailMxHost>>(new[] { host }, unanswered);
            }

            var nullMx = records.Where(r => r.Exchange == ".").ToList();
            var hosts = new List<MailMxHost>();
            if (nullMx.Count > 0)
            {
                var findings = new List<Finding>
                {
                    new Finding("NullMx", FindingSeverity.Info,
                        $"{domain} publishes a null MX (RFC 7505): it accepts no mail, and senders bounce mail to it at once.",
                        "If the domain should receive mail, replace the '0 .' record with MX records naming your mail servers.", domain),
                };
                if (records.Count > nullMx.Count)
                    findings.Add(new Finding("NullMxWithOtherMx", FindingSeverity.Fail,
                        $"{domain} has a null MX and other MX records; RFC 7505 §3 says a null MX must be the only one, so senders may treat the domain either way.",
                        "Remove the '0 .' record if the domain receives mail, or remove the other MX records if it does not.", domain));
                if (nullMx[0].Preference != 0)
                    findings.Add(new Finding("NullMxPreference", FindingSeverity.Warning,
                        $"The null MX of {domain} has preference {nullMx[0].Preference}; RFC 7505 says it is published with preference 0.",
                        "Publish it as '0 .'.", domain));
                hosts.Add(new MailMxHost(domain, nullMx[0].Preference, ".", true, false, ResultList<string>.Empty, ResultList<string>.Empty, ResultList<string>.Empty,
                    new ResultList<Finding>(findings)));
            }

            var checks = records.Where(r => r.Exchange != ".")
                .Select(r => CheckHostAsync(dns, domain, r.Preference, r.Exchange, isImplicit: false, unanswered, ct)).ToList();
            hosts.AddRange(await Task.WhenAll(checks).ConfigureAwait(false));
            return CheckOutcome.Of<IReadOnlyList<MailMxHost>>(hosts, unanswered);
        }

        private static async Task<MailMxHost> CheckHostAsync(IDnsResolver dns, string domain, int? preference, string host, bool isImplicit,
            List<DnsQueryResult> unanswered, CancellationToken ct)
        {
            var findings = new List<Finding>();
            if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
            {
                findings.Add(new Finding("MxTargetIsIpLiteral", FindingSeverity.Fail,
                    $"The MX of {domain} points at the IP literal {host}, not a host name; senders look it up as a name and find nothing.",
                    $"Publish an A/AAAA record for a host name (e.g. mail.{domain} A {literal}) and point the MX at that name.", host));
                return new MailMxHost(domain, preference, host, false, isImplicit, ResultList<string>.Empty, ResultList<string>.Empty, ResultList<string>.Empty,
                    new ResultList<Finding>(findings));
            }

            var aTask = dns.QueryAsync(host, DnsRecordType.A, ct);
            var aaaaTask = dns.QueryAsync(host, DnsRecordType.AAAA, ct);
            var a = await aTask.ConfigureAwait(false);
            var aaaa = await aaaaTask.ConfigureAwait(false);
            lock (unanswered)
            {
                if (a.IsError) unanswered.Add(a);
                if (aaaa.IsError) unanswered.Add(aaaa);
            }

            var v4 = a.RecordsOf<AddressRecord>().Select(r => r.Address).ToList();
            var v6 = aaaa.RecordsOf<AddressRecord>().Select(r => r.Address).ToList();

            if (isImplicit)
            {
                if (v4.Count + v6.Count > 0)
                    findings.Add(new Finding("ImplicitMx", FindingSeverity.Warning,
                        $"{domain} has no MX record; senders fall back to its A/AAAA records (RFC 5321 §5.1), so mail goes to whatever serves the web site.",
                        $"Publish an MX record for your mail server (e.g. '{domain}. IN MX 10 mail.{domain}.'), or a null MX ('0 .') if the domain receives no mail.", domain));
                else if (!a.IsError || !aaaa.IsError)
                    findings.Add(new Finding("NoMx", FindingSeverity.Fail,
                        $"{domain} has no MX record and no A/AAAA record: no mail can be delivered to it.",
                        $"Publish an MX record for your mail server, or a null MX ('{domain}. IN MX 0 .') to say the domain receives no mail.", domain));
            }
            else
            {
                var chain = a.CnameChain.Count > 0 ? a.CnameChain : aaaa.CnameChain;
                if (chain.Count > 0)
                    findings.Add(new Finding("MxTargetIsCname", FindingSeverity.Warning,
                        $"The MX target {host} is a CNAME (to {chain[chain.Count - 1].Target}); RFC 2181 §10.3 and RFC 5321 §5.1 forbid it, and some senders refuse such MX.",
                        $"Point the MX directly at the canonical name {chain[chain.Count - 1].Target}, or give {host} its own A/AAAA records.", host));
                if (v4.Count + v6.Count == 0 && !(a.IsError && aaaa.IsError))
                {
                    var why = a.Outcome == DnsOutcome.NxDomain ? "does not exist (NXDOMAIN)" : "has no A or AAAA record";
                    findings.Add(new Finding("MxHostNoAddress", FindingSeverity.Fail,
                        $"The MX host {host} {why}: senders cannot reach it.",
                        $"Publish an A (and AAAA) record for {host}, or point the MX at a host that has one.", host));
                }
            }

            foreach (var ip in v4.Concat(v6).Where(IsNonPublic))
                findings.Add(new Finding("MxHostNonPublicAddress", FindingSeverity.Fail,
                    $"The mail host {host} resolves to {ip}, an address not reachable from the internet.",
                    $"Publish the public address of the mail server for {host}.", host));

            // The PTR questions go out together (a dead server costs one timeout, not one per address); results are
            // read in address order.
            var ptrNames = new List<string>();
            var ptrs = await Task.WhenAll(v4.Concat(v6).Select(ip => dns.QueryAsync(DnsName.ReverseName(ip), DnsRecordType.PTR, ct))).ConfigureAwait(false);
            foreach (var ptr in ptrs)
            {
                if (ptr.IsError) { lock (unanswered) unanswered.Add(ptr); continue; }
                ptrNames.AddRange(ptr.RecordsOf<NameRecord>().Select(r => r.Target));
            }

            return new MailMxHost(domain, preference, host, false, isImplicit,
                new ResultList<string>(v4.Select(x => x.ToString())),
                new ResultList<string>(v6.Select(x => x.ToString())),
                new ResultList<string>(ptrNames.Distinct(StringComparer.OrdinalIgnoreCase)),
                new ResultList<Finding>(findings));
        }

        /// <summary>Loopback, private (RFC 1918, ULA), link-local, unspecified or CGNAT: not a public mail address.</summary>
        internal static bool IsNonPublic(IPAddress ip)
        {
            if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) return true;
            if (ip.AddressFamily == AddressFamily.InterNetwork)
            {
                var b = ip.GetAddressBytes();
                return b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                    || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] == 0;
            }
            if (ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal) return true;
            var v6 = ip.GetAddressBytes();
            return (v6[0] & 0xfe) == 0xfc;
        }
    }
}
