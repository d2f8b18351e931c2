using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>How Test-MailDane runs.</summary>
    public sealed class DaneOptions
    {
        /// <summary>Where to connect; the TLSA name always uses port 25 (RFC 7672 §2.2.1: SMTP to an MX host is on port 25).</summary>
        public int Port { get; set; } = 25;

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        public string? HeloName { get; set; }

        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;
    }

    /// <summary>One MX host of a domain, as Test-MailDane sees it.</summary>
    public sealed class DaneTarget
    {
        internal DaneTarget(string domain, string host, bool? mxDnssecValidated, Finding? finding = null)
        {
            Domain = domain;
            HostName = host;
            MxDnssecValidated = mxDnssecValidated;
            Finding = finding;
        }

        public string Domain { get; }
        public string HostName { get; }
        public bool? MxDnssecValidated { get; }
        /// <summary>Set when the host cannot be checked (null MX): the result is this finding alone.</summary>
        public Finding? Finding { get; }
    }

    /// <summary>DANE for SMTP (RFC 7672) on one MX host: the TLSA records, their DNSSEC status, and how they match the live certificate.</summary>
    public sealed class MailDaneResult
    {
        internal MailDaneResult() { }

        public string Domain { get; internal set; } = "";
        public string HostName { get; internal set; } = "";
        public int Port { get; internal set; }

        /// <summary>The TLSA owner name, _25._tcp.&lt;host&gt;.</summary>
        public string? TlsaName { get; internal set; }

        public ResultList<TlsaRecordMatch> TlsaRecords { get; internal set; } = ResultList<TlsaRecordMatch>.Empty;

        /// <summary>True when the resolver set the AD bit on the TLSA answer (it validated it with DNSSEC).</summary>
        public bool DnssecValidated { get; internal set; }

        /// <summary>For -Domain: whether the MX answer was DNSSEC-validated (RFC 7672 §2.2.1 needs a secure MX RRset).</summary>
        public bool? MxDnssecValidated { get; internal set; }

        public bool TlsEstablished { get; internal set; }
        public string? TlsVersion { get; internal set; }
        public string? CertificateSubject { get; internal set; }

        /// <summary>Subjects of the certificates the server sent, leaf first.</summary>
        public ResultList<string> Chain { get; internal set; } = ResultList<string>.Empty;

        /// <summary>The first record that matched ("3 1 1 ..."), if any.</summary>
        public string? MatchedRecord { get; internal set; }

        /// <summary>Valid, NoMatch, NoUsableRecords, NoTlsa, NoTls or NotChecked (null MX, no address).</summary>
        public string? DaneStatus { get; internal set; }

        /// <summary>StandbyRecord, TaAndEe, TaOnly, SingleKey or None: how a certificate change would go.</summary>
        public string? Rollover { get; internal set; }

        public bool RolloverReady { get; internal set; }

        /// <summary>The "3 1 1" record line for the live certificate (what New-TlsaRecord -HostName prints).</summary>
        public string? SuggestedRecord { get; internal set; }

        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;

        public string Status => Finding.StatusOf(Findings);

        public override string ToString() => $"{HostName} DANE {DaneStatus} ({Status})";
    }

    public static class DaneCheck
    {
        /// <summary>The MX hosts of a domain (the domain itself when it has no MX). Throws <see cref="DnsQueryFailedException"/> when the MX question goes unanswered.</summary>
        public static async Task<IReadOnlyList<DaneTarget>> GetTargetsAsync(IDnsResolver dns, string domain, CancellationToken ct)
        {
            domain = DnsName.Normalize(domain).ToLowerInvariant();
            var mx = await dns.QueryAsync(domain, DnsRecordType.MX, ct).ConfigureAwait(false);
            if (mx.IsError) throw new DnsQueryFailedException(mx);
            var secure = IsFromZoneFile(mx) ? (bool?)null : mx.AuthenticData;
            if (mx.Outcome == DnsOutcome.NxDomain)
                return new[] { new DaneTarget(domain, domain, secure, new Finding("DomainNotFound", FindingSeverity.Fail, $"{domain} does not exist (NXDOMAIN).", "Check the spelling.", domain)) };
            var records = mx.RecordsOf<MxRecord>().OrderBy(r => r.Preference).ThenBy(r => r.Exchange, StringComparer.OrdinalIgnoreCase).ToList();
            if (records.Count == 0) return new[] { new DaneTarget(domain, domain, secure) };
            if (records.All(r => r.Exchange == "."))
                return new[] { new DaneTarget(domain, ".", secure, new Finding("NullMx", FindingSeverity.Info, $"{domain} publishes a null MX: it receives no mail, so DANE does not apply.", null, domain)) };
            return records.Where(r => r.Exchange != ".").Select(r => new DaneTarget(domain, r.Exchange.ToLowerInvariant(), secure)).ToList();
        }

        internal static bool IsFromZoneFile(DnsQueryResult r) => r.Server != null && r.Server.StartsWith("zonefile:", StringComparison.OrdinalIgnoreCase);

        /// <summary>Checks one host. Throws <see cref="DnsQueryFailedException"/> when the TLSA or address question goes unanswered,
        /// <see cref="MailConnectionException"/> when the host cannot be reached.</summary>
        public static async Task<MailDaneResult> CheckHostAsync(IDnsResolver dns, DaneTarget target, DaneOptions options, CancellationToken ct)
        {
            options = options ?? new DaneOptions();
            var host = DnsName.Normalize(target.HostName).ToLowerInvariant();
            var r = new MailDaneResult
            {
                Domain = target.Domain,
                HostName = host,
                Port = options.Port,
                TlsaName = host == "." ? null : $"_25._tcp.{host}",
                MxDnssecValidated = target.MxDnssecValidated,
                DaneStatus = "NotChecked",
                Rollover = "None",
            };
            var findings = new List<Finding>();
            void Add(string code, FindingSeverity sev, string msg, string remedy) => findings.Add(new Finding(code, sev, msg, remedy, host));
            if (target.Finding != null)
            {
                r.Findings = new ResultList<Finding>(new[] { target.Finding });
                return r;
            }

            var tlsa = await dns.QueryAsync(r.TlsaName ?? host, DnsRecordType.TLSA, ct).ConfigureAwait(false);
            if (tlsa.IsError) throw new DnsQueryFailedException(tlsa);
            var records = tlsa.RecordsOf<TlsaRecord>().ToList();
            var fromZoneFile = IsFromZoneFile(tlsa);
            r.DnssecValidated = tlsa.AuthenticData;
            if (records.Count == 0)
            {
                r.DaneStatus = "NoTlsa";
                Add("NoTlsa", FindingSeverity.Info,
                    $"{host} publishes no TLSA record at {r.TlsaName} ({tlsa.Outcome}): senders use opportunistic TLS without authentication.",
                    $"To deploy DANE, sign the zone with DNSSEC and publish '{r.TlsaName}. IN TLSA 3 1 1 <hash>'.");
                r.Findings = new ResultList<Finding>(findings);
                return r;
            }

            if (target.MxDnssecValidated == false && target.Domain != host)
                Add("MxNotDnssecValidated", FindingSeverity.Fail,
                    $"The MX records of {target.Domain} were not DNSSEC-validated (no AD bit): RFC 7672 §2.2.1 senders use the TLSA records of {host} only through a secure MX answer.",
                    $"Sign {target.Domain} with DNSSEC (and publish the DS at the registrar), or check with a validating resolver.");
            if (fromZoneFile)
                Add("DnssecNotChecked", FindingSeverity.Info,
                    $"The TLSA records of {host} came from a zone file: their DNSSEC status cannot be known offline.",
                    "Check again against a validating resolver once the records are published.");
            else if (!tlsa.AuthenticData)
                Add("TlsaNotDnssecValidated", FindingSeverity.Fail,
                    $"The TLSA answer for {r.TlsaName} from {tlsa.Server} was not DNSSEC-validated (no AD bit): senders ignore TLSA records that are not secure.",
                    "Sign the zone with DNSSEC and publish its DS record; if the zone is signed, ask a validating resolver (a local unbound, or 1.1.1.1) - this one may not validate.");

            // Connect: addresses from the same resolver as the TLSA records.
            TlsHandshake? handshake = null;
            var svc = new MailServiceOptions
            {
                Protocol = MailProtocol.Smtp,
                Timeout = options.Timeout,
                HeloName = options.HeloName,
                UtcNow = options.UtcNow,
                OnHandshake = h => handshake = h,
                Resolve = (h, t) => ResolveAsync(dns, h, options.Port, t),
            };
            var service = await MailServiceCheck.RunAsync(host, options.Port, svc, ct).ConfigureAwait(false);
            r.TlsEstablished = service.TlsEstablished;
            r.TlsVersion = service.TlsVersion;

            if (handshake == null || handshake.Leaf == null)
            {
                r.DaneStatus = "NoTls";
                var why = service.Findings.FirstOrDefault(f => f.Code == "NoStartTls" || f.Code == "StartTlsRefused" || f.Code == "TlsHandshakeFailed" || f.Code == "BannerRejected" || f.Code == "ConnectionDropped");
                Add("DaneNoTls", FindingSeverity.Fail,
                    $"{host} publishes TLSA records but no TLS session could be established ({why?.Message ?? "no certificate"}): DANE senders defer all mail to it.",
                    why?.Remedy ?? "Enable STARTTLS with the certificate the TLSA records describe.");
                r.TlsaRecords = new ResultList<TlsaRecordMatch>(records.Select(t => new TlsaRecordMatch(t, "NotChecked", null, "no TLS session")));
                r.Findings = new ResultList<Finding>(findings);
                return r;
            }

            var leaf = handshake.Leaf;
            var sent = handshake.Sent.Count > 0 ? handshake.Sent : handshake.Presented;
            if (!sent.Any(c => c.Thumbprint == leaf.Thumbprint)) sent = new[] { leaf }.Concat(sent).ToList();
            r.CertificateSubject = leaf.Subject;
            r.Chain = new ResultList<string>(sent.Select(c => c.Subject));
            r.SuggestedRecord = TlsaRecordBuilder.Line(host, 25, 3, 1, 1, Tlsa.ToHex(Tlsa.AssociationData(leaf, 1, 1)!));
            var now = options.UtcNow();
            var names = new[] { host, target.Domain }.Distinct(StringComparer.OrdinalIgnoreCase).ToList();

            var matches = records.Select(t => Match(t, leaf, sent, names, now)).ToList();
            r.TlsaRecords = new ResultList<TlsaRecordMatch>(matches);
            var usable = matches.Where(m => m.Result != "Unusable").ToList();
            var matched = matches.Where(m => m.IsMatch).ToList();
            r.MatchedRecord = matched.FirstOrDefault()?.Record;

            foreach (var m in matches.Where(m => m.Result == "Unusable"))
                Add("TlsaRecordUnusable", FindingSeverity.Warning, $"The TLSA record '{Short(m.Record)}' is unusable for SMTP: {m.Detail}.",
                    "Publish DANE-EE (3) or DANE-TA (2) records with selector 0/1 and matching type 1 or 2, e.g. '3 1 1'.");
            if (usable.Count == 0)
            {
                r.DaneStatus = "NoUsableRecords";
                Add("NoUsableTlsa", FindingSeverity.Fail,
                    $"None of the {records.Count} TLSA record(s) of {host} is usable: DANE senders still insist on TLS but cannot authenticate the server.",
                    $"Replace them with '{r.SuggestedRecord}'.");
            }
            else if (matched.Count == 0)
            {
                r.DaneStatus = "NoMatch";
                var named = matches.FirstOrDefault(m => m.Result == "NameMismatch" || m.Result == "Expired");
                Add("TlsaNoMatch", FindingSeverity.Fail,
                    $"No TLSA record of {host} matches the certificate it presents ({leaf.Subject}){(named != null ? $": {named.Detail}" : "")}. DANE senders will not deliver mail to it until this is fixed.",
                    $"Publish the record for the live certificate ({r.SuggestedRecord}) - keep the old one until the old certificate is gone - or put back the certificate the records describe.");
            }
            else
            {
                r.DaneStatus = "Valid";
                foreach (var m in matches.Where(m => m.Result == "NoMatch" && m.Usage >= 2))
                    Add("TlsaRecordNotMatching", FindingSeverity.Info,
                        $"The TLSA record '{Short(m.Record)}' does not match the live certificate: fine if it is the next key, published ahead of a rollover; stale if it describes an old one.",
                        "Remove records of keys that are no longer in use.");
            }

            foreach (var m in usable.Where(m => m.Usage == 3 && m.Selector == 0))
                Add("TlsaFullCertificate", FindingSeverity.Info, $"The record '{Short(m.Record)}' hashes the whole certificate: it changes at every renewal, even when the key stays.",
                    "Prefer '3 1 1' (the public key), which survives renewals that reuse the key.");

            // Rollover readiness (RFC 7671 §8.1, "current + next"; or a DANE-TA record that keeps matching across leaf changes).
            var eeMatch = matched.Any(m => m.Usage == 3);
            var taMatch = matched.Any(m => m.Usage == 2);
            var standby = usable.Any(m => !m.IsMatch && m.Result == "NoMatch" && m.Usage == 3);
            if (matched.Count == 0) { r.Rollover = "None"; r.RolloverReady = false; }
            else if (eeMatch && taMatch) { r.Rollover = "TaAndEe"; r.RolloverReady = true; }
            else if (standby) { r.Rollover = "StandbyRecord"; r.RolloverReady = true; }
            else if (taMatch) { r.Rollover = "TaOnly"; r.RolloverReady = true; }
            else
            {
                r.Rollover = "SingleKey";
                r.RolloverReady = false;
                Add("RolloverNotReady", FindingSeverity.Warning,
                    $"{host} publishes TLSA only for its current key: the next certificate with a new key breaks delivery from DANE senders until DNS catches up.",
                    "Before changing the key, publish the next key's '3 1 1' record beside the current one and wait two TTLs; or add a '2 1 1' record for the issuing CA so renewals from it keep matching.");
            }
            r.Findings = new ResultList<Finding>(findings);
            return r;
        }

        private static string Short(string record) => record.Length > 30 ? record.Substring(0, 30) + "..." : record;

        private static TlsaRecordMatch Match(TlsaRecord t, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> sent, IReadOnlyList<string> names, DateTime now)
        {
            if (t.CertificateUsage == 0 || t.CertificateUsage == 1)
                return new TlsaRecordMatch(t, "Unusable", null, $"usage {t.CertificateUsage} ({Tlsa.UsageName(t.CertificateUsage)}) is not used for SMTP (RFC 7672 §3.1.3)");
            if (t.CertificateUsage > 3)
                return new TlsaRecordMatch(t, "Unusable", null, $"usage {t.CertificateUsage} is not defined");
            if (t.Selector > 1) return new TlsaRecordMatch(t, "Unusable", null, $"selector {t.Selector} is not defined");
            if (t.MatchingType > 2) return new TlsaRecordMatch(t, "Unusable", null, $"matching type {t.MatchingType} is not defined");
            var len = t.GetAssociationData().Length;
            if ((t.MatchingType == 1 && len != 32) || (t.MatchingType == 2 && len != 64))
                return new TlsaRecordMatch(t, "Unusable", null, $"a {Tlsa.MatchingName(t.MatchingType)} digest is {(t.MatchingType == 1 ? 32 : 64)} bytes, this one {len}");

            if (t.CertificateUsage == 3)
            {
                // DANE-EE: the leaf only; names and validity dates are ignored (RFC 7672 §3.1.1).
                return Tlsa.Matches(t, leaf)
                    ? new TlsaRecordMatch(t, "Match", leaf.Subject, $"matches the server certificate's {(t.Selector == 1 ? "public key" : "certificate")}")
                    : new TlsaRecordMatch(t, "NoMatch", null, "does not match the server certificate");
            }

            // DANE-TA: a certificate the server sent (not the leaf, unless self-signed) is the trust anchor; the leaf must chain to it,
            // be in date, and name the host (RFC 7672 §3.1.2).
            foreach (var ta in sent)
            {
                var isLeaf = ta.Thumbprint == leaf.Thumbprint;
                if (isLeaf && !ta.SubjectName.RawData.SequenceEqual(ta.IssuerName.RawData)) continue;
                if (!Tlsa.Matches(t, ta)) continue;
                if (!ChainsTo(leaf, ta, sent, now, out var chainProblem))
                    return new TlsaRecordMatch(t, "NoMatch", ta.Subject, $"matches {ta.Subject}, but the server certificate does not chain to it ({chainProblem})");
                if (leaf.NotAfter.ToUniversalTime() < now || leaf.NotBefore.ToUniversalTime() > now)
                    return new TlsaRecordMatch(t, "Expired", ta.Subject, $"matches the trust anchor {ta.Subject}, but the server certificate is outside its validity ({leaf.NotBefore:yyyy-MM-dd} to {leaf.NotAfter:yyyy-MM-dd})");
                if (!names.Any(n => CertificateJudge.MatchesHostName(leaf, n)))
                    return new TlsaRecordMatch(t, "NameMismatch", ta.Subject,
                        $"matches the trust anchor {ta.Subject}, but the server certificate names {CertificateJudge.Describe(CertificateJudge.GetDnsNames(leaf))}, not {string.Join(" or ", names)}");
                return new TlsaRecordMatch(t, "Match", ta.Subject, $"matches the trust anchor {ta.Subject}, and the server certificate chains to it");
            }
            return new TlsaRecordMatch(t, "NoMatch", null, "matches no certificate the server sent (DANE-TA servers must send the trust anchor, RFC 7671 §5.2.2)");
        }

        /// <summary>True when the leaf's chain, built from the certificates the server sent, passes through <paramref name="ta"/>
        /// with valid signatures up to it (whatever lies above it is not consulted: the TA is trusted by the TLSA record).</summary>
        private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 ta, IReadOnlyList<X509Certificate2> sent, DateTime now, out string? problem)
        {
            problem = null;
            if (leaf.Thumbprint == ta.Thumbprint) return true;
            using (var chain = CertificateJudge.CreateChain(now, sent, X509VerificationFlags.AllowUnknownCertificateAuthority | X509VerificationFlags.IgnoreNotTimeValid))
            {
                chain.Build(leaf);
                var elements = chain.ChainElements.Cast<X509ChainElement>().ToList();
                var index = elements.FindIndex(e => e.Certificate.Thumbprint == ta.Thumbprint);
                if (index < 1)
                {
                    problem = "the trust anchor is not in the chain";
                    return false;
                }
                var bad = X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.InvalidBasicConstraints | X509ChainStatusFlags.HasNotPermittedNameConstraint
                    | X509ChainStatusFlags.HasExcludedNameConstraint | X509ChainStatusFlags.Cyclic | X509ChainStatusFlags.NotValidForUsage;
                for (int i = 0; i <= index; i++)
                {
                    var flags = elements[i].ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
                    if ((flags & bad) != 0)
                    {
                        problem = $"{elements[i].Certificate.Subject}: {flags & bad}";
                        return false;
                    }
                }
                return true;
            }
        }

        /// <summary>A host's addresses through the resolver (A, then AAAA). Throws when both questions go unanswered.</summary>
        internal static async Task<IReadOnlyList<IPAddress>> ResolveAsync(IDnsResolver dns, string host, int port, CancellationToken ct)
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return new[] { ip };
            var a = await dns.QueryAsync(host, DnsRecordType.A, ct).ConfigureAwait(false);
            var aaaa = await dns.QueryAsync(host, DnsRecordType.AAAA, ct).ConfigureAwait(false);
            var list = a.RecordsOf<AddressRecord>().Concat(aaaa.RecordsOf<AddressRecord>()).Select(x => x.Address).ToList();
            if (list.Count > 0) return list;
            if (a.IsError) throw new DnsQueryFailedException(a);
            if (aaaa.IsError) throw new DnsQueryFailedException(aaaa);
            throw new MailConnectionException(host, port, MailConnectionFailure.NetworkError,
                $"{host} has no A or AAAA record ({a.Outcome}): there is nothing to connect to.");
        }
    }
}
