using System.Linq;
using MailOps.Dns;
using MailOps.Dnsbl;
using MailOps.Reports;

namespace MailOps.Commands
{
    /// <summary>
    /// The one table of what a user can do in PowerShell about something the engine reports: which cmdlet or parameter to
    /// reach for. The engine (MailOps.Core) says what happened in its own terms and exposes a kind (a
    /// <see cref="DnsOutcome"/>, a <see cref="DnsblErrorKind"/>, a <see cref="DnsblZoneProblem"/>...); this table turns the
    /// kind into advice, and <see cref="ErrorRecords"/> puts it in ErrorDetails.RecommendedAction (or a cmdlet appends it to
    /// its warning). A DNS failure gets the same words whichever cmdlet met it, blocklist or not.
    /// </summary>
    internal static class Advice
    {
        /// <summary>What to do about a DNS question that went unanswered; null for a failure the user cannot act on.</summary>
        public static string? ForDns(DnsOutcome outcome)
        {
            switch (outcome)
            {
                case DnsOutcome.Timeout:
                    return "Check that the DNS server answers (or try another with -Server), or raise -TimeoutSec.";
                case DnsOutcome.ServerFailure:
                    return "SERVFAIL: the authoritative servers failed or refused this resolver, or DNSSEC did not validate; check the delegation "
                        + "and DNSSEC, retry later, or use another resolver (your own recursive one) with -Server.";
                case DnsOutcome.Refused:
                    return "The DNS server will not resolve for this client; use a resolver that serves you, with -Server.";
                case DnsOutcome.NetworkError:
                    return "Check the network path to the DNS server and the -Server value (pass -Server when this machine has no resolver configured).";
                default:
                    return null;
            }
        }

        /// <summary>What to do about a mail service that could not be probed.</summary>
        public static string ForMailConnection(MailOps.Smtp.MailConnectionFailure failure)
        {
            switch (failure)
            {
                case MailOps.Smtp.MailConnectionFailure.Refused:
                    return "Check that the service runs and listens on this port (ss -ltn), and that no firewall rejects the connection.";
                case MailOps.Smtp.MailConnectionFailure.Timeout:
                    return "Check that the host is up and that no firewall drops the connection (outbound port 25 is blocked by many providers: Test-Port25Egress tells); or raise -TimeoutSec.";
                case MailOps.Smtp.MailConnectionFailure.NoBanner:
                    return "Check the server's load and its greeting delay, and whether a proxy or firewall sits in front of it; or raise -TimeoutSec.";
                case MailOps.Smtp.MailConnectionFailure.Closed:
                    return "The server dropped the connection before greeting: check its client restrictions and log.";
                default:
                    return "Check the host name and the network path to it.";
            }
        }

        /// <summary>What to do about an MTA-STS policy that could not be fetched.</summary>
        public static string ForPolicyFetch(MailOps.MtaSts.PolicyFetchFailure failure)
        {
            switch (failure)
            {
                case MailOps.MtaSts.PolicyFetchFailure.Timeout:
                    return "Check that the policy web server is up and reachable from here on port 443 (or raise -TimeoutSec). Senders that cannot fetch a new policy keep a cached one until max_age runs out.";
                case MailOps.MtaSts.PolicyFetchFailure.ConnectionRefused:
                    return "Nothing listens for HTTPS at the policy host's address: start the web server (port 443) or fix the A/AAAA record of the mta-sts host.";
                case MailOps.MtaSts.PolicyFetchFailure.TlsFailed:
                    return "The TLS handshake failed before any certificate could be judged: check that the web server speaks TLS 1.2 or later on port 443 for the mta-sts host name (SNI).";
                case MailOps.MtaSts.PolicyFetchFailure.InvalidResponse:
                    return "The server did not answer with a well-formed HTTP/1.1 response; check the web server or proxy in front of the mta-sts host.";
                default:
                    return "Check the network path to the policy host (routing, firewall, IPv6 reachability).";
            }
        }

        /// <summary>What to do about a blocklist result with Status Error. DNS failures get <see cref="ForDns"/>'s words; a list's
        /// own error code gets the action the catalogue gives for it (<see cref="DnsblCode.Action"/>), else the table's.</summary>
        public static string? ForDnsbl(DnsblErrorKind kind, DnsblZone? zone)
        {
            switch (kind)
            {
                case DnsblErrorKind.Timeout: return ForDns(DnsOutcome.Timeout);
                case DnsblErrorKind.ServerFailure: return ForDns(DnsOutcome.ServerFailure);
                case DnsblErrorKind.Refused: return ForDns(DnsOutcome.Refused);
                case DnsblErrorKind.NetworkError: return ForDns(DnsOutcome.NetworkError);
                case DnsblErrorKind.DnsError: return ForDns(DnsOutcome.OtherError);
            }
            var catalogued = zone?.ErrorCodes?.FirstOrDefault(c => c.Kind == kind && !Strings.IsNullOrEmpty(c.Action))?.Action;
            if (catalogued != null) return catalogued;
            var refuses = zone != null && zone.RefusesPublicResolvers;
            var dqs = zone != null && zone.SupportsDqs;
            switch (kind)
            {
                case DnsblErrorKind.ZoneTestFailed:
                    return refuses
                        ? "This zone refuses public resolvers (or needs your resolver registered): query through your own recursive resolver with -Server"
                          + (dqs ? ", or pass a Spamhaus DQS key with -DqsKey." : ".")
                        : zone != null && zone.InCatalogue ? "Check the zone's status with its operator, or drop the zone from -Zone."
                        : "Check the zone name given with -Zone and that the zone is still operated.";
                case DnsblErrorKind.ZoneListsEverything:
                    return refuses
                        ? "This zone refuses public resolvers: query through your own recursive resolver with -Server" + (dqs ? ", or pass a Spamhaus DQS key with -DqsKey." : ".")
                        : "Drop the zone from -Zone.";
                case DnsblErrorKind.AnswerOutsideLoopback:
                    return "Drop the zone from -Zone, or query through a resolver that does not rewrite answers.";
                case DnsblErrorKind.PublicResolverRefused:
                    return "Use your own recursive resolver with -Server" + (dqs ? ", or a Spamhaus DQS key with -DqsKey." : ".");
                case DnsblErrorKind.QuotaExceeded:
                    return dqs ? "Use a Spamhaus DQS key with -DqsKey, or a resolver of your own under the free-use limit."
                        : "Use a resolver of your own under the free-use limit (-Server), or check fewer addresses.";
                default:
                    return "Check the zone name given with -Zone and its key.";
            }
        }

        /// <summary>Which importer reads a report of another kind than the one asked for (<see cref="ReportFormatException.LooksLike"/>).</summary>
        public static string ForOtherReport(ReportType type)
        {
            switch (type)
            {
                case ReportType.TlsRpt: return "Import-TlsRptReport reads SMTP TLS reports.";
                case ReportType.DmarcFailure: return "Import-DmarcFailureReport reads DMARC failure reports.";
                default: return "Import-DmarcReport reads DMARC aggregate reports.";
            }
        }

        /// <summary><see cref="ForOtherReport"/> for a report problem whose content looked like another kind; else null.</summary>
        public static string? ForOtherReport(ReportImportProblem p) =>
            p.Exception is ReportFormatException rf && rf.LooksLike.HasValue ? ForOtherReport(rf.LooksLike.Value) : null;

        /// <summary>What to do when a -Path/-Recurse walk met one of its limits (files, folders, depth).</summary>
        public const string ForWalkLimit = "Name fewer or deeper folders, or pipe Get-ChildItem output in batches.";

        /// <summary>What to do about an IMAP mailbox that could not be read; null when the user cannot act.</summary>
        public static string? ForImap(ImapFailure failure, ImapSecurity security)
        {
            switch (failure)
            {
                case ImapFailure.Timeout:
                    return "Check the server name and port, and that a firewall lets IMAP (993, or 143 with -ImapSecurity StartTls) through.";
                case ImapFailure.TlsUnavailable:
                    return "Enable TLS on the IMAP server, or connect to its IMAPS port (993) with -ImapSecurity Implicit.";
                case ImapFailure.CertificateRejected:
                    return "Connect by the name the certificate carries; for a private CA, pass its certificate with -TrustedCertificatePath."
                        + (security == ImapSecurity.Implicit ? " If the port speaks STARTTLS (usually 143), add -ImapSecurity StartTls." : "");
                case ImapFailure.AuthenticationFailed:
                    return "Check the user name and password given with -Credential.";
                case ImapFailure.FolderNotFound:
                    return "Check the folder name (-Folder, -ArchiveFolder); sub-folders use the server's separator (INBOX/Reports or INBOX.Reports).";
                case ImapFailure.ConnectionLost:
                    return "Run the import again: messages not yet imported were left as they were.";
                case ImapFailure.CommandFailed:
                    return null;
                default:
                    return "Check the server name and port, and that the IMAP server is running.";
            }
        }

        /// <summary>The MailOps cmdlet or parameter that does a finding's fix, appended to the engine's remedy
        /// (<see cref="Finding.CommandAdvice"/>); null for a finding whose fix is outside MailOps.</summary>
        public static string? ForFinding(string code, string? subject)
        {
            switch (code)
            {
                // DMARC
                case "NoAggregateReports": return "Import the reports with Import-DmarcReport.";
                case "UnauthenticatedSource": return "Once it is authorised, check with Test-MailSpf and Test-MailDkim.";
                case "DkimNotAligned": return $"Find-DkimSelector -Domain {subject ?? "<domain>"} lists the selectors it publishes.";
                // DKIM
                case "NoDkimRecord": return "New-DkimKey writes a key and its <selector>.txt; Find-DkimSelector finds the selectors a domain publishes.";
                case "DkimKeyTooLong":
                case "DkimKeyTooShort":
                case "DkimKeyWeak": return "New-DkimKey -KeySize 2048 generates one.";
                case "DkimKeyBadExponent": return "New-DkimKey generates one.";
                case "DkimPrivateKeyMismatch": return "New-DkimKey writes the public key of the keys it makes to <selector>.txt.";
                case "NoDkimSelectorFound":
                    return $"New-DkimKey -Domain {subject} -Selector s{System.DateTime.UtcNow:yyyy} writes the key and the record; for mail signed already, pass its selector with -DkimSelector.";
                case "RelayProviderUnknown": return "Pass its DKIM selectors with -DkimSelector.";
                case "DkimRelaySelectorUnknown": return "Pass them with -DkimSelector.";
                // MTA-STS
                case "MtaStsRecordInvalidId": return "New-MtaStsPolicy makes one.";
                case "PolicySyntax": return "New-MtaStsPolicy produces a valid file.";
                case "NoMtaStsRecord":
                    var domain = subject != null && subject.StartsWith("_mta-sts.", System.StringComparison.OrdinalIgnoreCase) ? subject.Substring(9) : "<domain>";
                    return $"New-MtaStsPolicy -Domain {domain} -MxHost <your MX hosts> writes both.";
                case "PolicyNotFound": return "New-MtaStsPolicy -Path writes it.";
                case "PolicyCertificateUntrusted": return "For a private CA that only your own senders trust, pass it with -TrustedCertificatePath when testing.";
                // Certificates and DANE
                case "CertificateUntrusted": return "For a private CA, pass it with -TrustedCertificate when checking.";
                case "NoTlsa": return subject == null ? "New-TlsaRecord -HostName <host> prints it." : $"New-TlsaRecord -HostName {subject} prints it.";
                case "MxNotDnssecValidated": return "Name a validating resolver with -Server.";
                case "DnssecNotChecked": return "Name it with -Server.";
                case "TlsaNotDnssecValidated": return "Name one with -Server (-Server 127.0.0.1 for a local unbound, or 1.1.1.1).";
                case "RolloverNotReady": return "New-TlsaRecord -CertificatePath next.pem prints the next key's record.";
                // Blocklists: an MX address of a domain (Test-MailDomain); Test-MailServer's own finding has the zone as subject.
                case "Blocklisted":
                    return System.Net.IPAddress.TryParse(subject ?? "", out _) ? $"Test-MailServer {subject} checks its PTR, HELO, /24 neighbourhood and AS too." : null;
                default: return null;
            }
        }

        /// <summary>What to do about a -Zone or -DqsKey the blocklist check refused.</summary>
        public static string ForDnsblZone(DnsblZoneProblem problem, string? zone)
        {
            switch (problem)
            {
                case DnsblZoneProblem.Retired:
                    return "Remove it from -Zone; Get-DnsblZone lists the live zones.";
                case DnsblZoneProblem.NeedsDqsKey:
                    return "Pass your Spamhaus DQS key with -DqsKey (free for non-commercial use), or leave the zone out of -Zone.";
                case DnsblZoneProblem.NeedsAbusixKey:
                    return $"Name the keyed zone with -Zone <key>.{zone}.";
                default:
                    return "Run Get-DnsblZone to see the catalogue; zones that need a key are named in it.";
            }
        }
    }
}
