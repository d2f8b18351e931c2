using System;
using System.Collections.Generic;
using System.Linq;

namespace MailOps.DomainHealth
{
    /// <summary>
    /// The fix-first order and the score rubric of Test-MailDomain (docs/domain.md says the same in prose):
    /// <list type="number">
    /// <item><b>Blocking</b>: mail is rejected, bounced or not delivered at all - the domain does not exist, no or unreachable MX,
    /// SPF permerror (several records, syntax, over 10 lookups or 2 void lookups) or no SPF, an MX address or the domain on a
    /// blocklist, no DMARC record (Gmail/Yahoo
    /// bulk-sender rules since 2024), DANE records that match nothing (DANE senders defer everything), MX hosts an enforced
    /// MTA-STS policy does not cover.</item>
    /// <item><b>Broken</b>: any other Fail finding (a record ignored, a key revoked, a certificate expired).</item>
    /// <item><b>Deliverability</b>: warnings about MX, SPF, DMARC and DKIM (mail lands in spam more often).</item>
    /// <item><b>Hardening</b>: warnings about transport security and client setup (MTA-STS, TLS-RPT, DANE, SMTP, client records).</item>
    /// <item><b>Info</b>: nothing to fix.</item>
    /// </list>
    /// Within a tier: MX, blocklists, SPF, DMARC, DKIM, DANE, MTA-STS, TLS-RPT, SMTP, client records; then Fail before Warning; then the code.
    /// Score: 100, minus 30 per Blocking, 15 per Broken, 5 per Deliverability and 2 per Hardening finding, never below 0.
    /// Grade: F with any Blocking finding; else A at 90 or more, B at 80, C at 70, D at 60, F below.
    /// </summary>
    public static class FindingPriority
    {
        public const string Blocking = "Blocking";
        public const string Broken = "Broken";
        public const string Deliverability = "Deliverability";
        public const string Hardening = "Hardening";
        public const string Info = "Info";

        private static readonly string[] Tiers = { Blocking, Broken, Deliverability, Hardening, Info };

        /// <summary>Area/Code pairs that stop mail, whatever else is right.</summary>
        private static readonly HashSet<string> BlockingCodes = new HashSet<string>(StringComparer.Ordinal)
        {
            "Mx/DomainNotFound", "Mx/NoMx", "Mx/MxHostNoAddress", "Mx/MxHostNonPublicAddress", "Mx/MxTargetIsIpLiteral", "Mx/NullMxWithOtherMx",
            "Spf/NoSpfRecord", "Spf/MultipleSpfRecords", "Spf/SyntaxError", "Spf/TooManyLookups", "Spf/TooManyVoidLookups", "Spf/TxtStringTooLong",
            "Dmarc/NoRecord", "Dmarc/MultipleRecords",
            "Blocklist/Blocklisted", "Blocklist/DomainBlocklisted",
            "Dane/TlsaNoMatch", "Dane/NoUsableTlsa", "Dane/DaneNoTls",
            "MtaSts/MxNotInPolicy",
        };

        private static readonly HashSet<string> DeliveryAreas = new HashSet<string>(StringComparer.Ordinal) { "Mx", "Blocklist", "Spf", "Dmarc", "Dkim" };

        /// <summary>The tier of a finding from a given area.</summary>
        public static string TierOf(string area, string code, string severity)
        {
            if (severity == "Info") return Info;
            if (BlockingCodes.Contains(area + "/" + code) && severity == "Fail") return Blocking;
            if (severity == "Fail") return Broken;
            return DeliveryAreas.Contains(area) ? Deliverability : Hardening;
        }

        internal static IReadOnlyList<MailDomainFinding> Rank(string? domain, IEnumerable<(string Area, Finding Finding)> raw, MailDomainResult r)
        {
            var areaOrder = MailDomainResult.Areas;
            var sorted = raw
                .Select(x => (x.Area, x.Finding, Tier: TierOf(x.Area, x.Finding.Code, x.Finding.Severity)))
                .OrderBy(x => Array.IndexOf(Tiers, x.Tier))
                .ThenBy(x => IndexOf(areaOrder, x.Area))
                .ThenByDescending(x => x.Finding.Level)
                .ThenBy(x => x.Finding.Code, StringComparer.Ordinal)
                .ThenBy(x => x.Finding.Subject, StringComparer.Ordinal)
                .ToList();
            return sorted.Select((x, i) => new MailDomainFinding(i + 1, x.Tier, x.Area, x.Finding, ProposedRecord(domain, x.Area, x.Finding, r))).ToList();
        }

        private static int IndexOf(IReadOnlyList<string> list, string item)
        {
            for (var i = 0; i < list.Count; i++) if (list[i] == item) return i;
            return list.Count;
        }

        /// <summary>Sets Status, Score, Grade and Summary from the ranked findings.</summary>
        internal static void Grade(MailDomainResult r, bool incomplete)
        {
            var counts = Tiers.ToDictionary(t => t, t => r.Findings.Count(f => f.Priority == t));
            r.Summary = string.Join("; ", Tiers.Where(t => t != Info && counts[t] > 0).Select(t => $"{counts[t]} {t}"));
            if (incomplete) r.Summary = r.Summary.Length == 0 ? "some checks could not run" : r.Summary + "; some checks could not run";
            else if (r.Summary.Length == 0) r.Summary = "nothing to fix";
            if (incomplete)
            {
                r.Status = "Incomplete";
                r.Score = null;
                r.Grade = "?";
                return;
            }
            r.Status = Finding.StatusOf(r.Findings.Count == 0 ? FindingSeverity.Info : r.Findings.Max(f => f.Level));
            var score = 100 - 30 * counts[Blocking] - 15 * counts[Broken] - 5 * counts[Deliverability] - 2 * counts[Hardening];
            r.Score = Math.Max(0, score);
            r.Grade = counts[Blocking] > 0 ? "F" : r.Score >= 90 ? "A" : r.Score >= 80 ? "B" : r.Score >= 70 ? "C" : r.Score >= 60 ? "D" : "F";
        }

        /// <summary>The record to publish for a finding, where one follows from what was found.</summary>
        internal static string? ProposedRecord(string? domain, string area, Finding f, MailDomainResult r)
        {
            switch (area + "/" + f.Code)
            {
                case "Spf/NoSpfRecord":
                    return r.Mx.Count > 0 && r.Mx.All(h => h.IsNullMx)
                        ? $"{domain}. IN TXT \"v=spf1 -all\""
                        : $"{domain}. IN TXT \"v=spf1 mx -all\"";
                case "Dmarc/NoRecord":
                    return $"_dmarc.{domain}. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}\"";
                case "Dmarc/MonitoringOnly":
                    var rec = r.Dmarc?.Record;
                    return rec != null && rec.Contains("p=none")
                        ? $"_dmarc.{r.Dmarc?.PolicyDomain ?? domain}. IN TXT \"{rec.Replace("p=none", "p=quarantine")}\""
                        : null;
                case "MtaSts/NoMtaStsRecord":
                    return $"_mta-sts.{domain}. IN TXT \"v=STSv1; id={DateTime.UtcNow:yyyyMMddHHmmss}\"";
                case "TlsRpt/NoTlsRptRecord":
                    return $"_smtp._tls.{domain}. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@{domain}\"";
                case "Dane/TlsaNoMatch":
                case "Dane/NoUsableTlsa":
                    return r.Dane.FirstOrDefault(d => d.HostName == f.Subject)?.SuggestedRecord;
                case "Client/ClientRecordMissing":
                    return r.ClientRecords.FirstOrDefault(c => c.Name == f.Subject)?.Expected;
                default:
                    return null;
            }
        }
    }
}
