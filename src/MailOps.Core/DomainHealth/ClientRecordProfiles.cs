using System;
using System.Collections.Generic;

namespace MailOps.DomainHealth
{
    /// <summary>Which mail suite's client-configuration records Test-MailDomain checks.</summary>
    public enum MailDomainProfile
    {
        /// <summary>No client records.</summary>
        None = 0,
        /// <summary>RFC 6186 / RFC 8314 SRV records and the Thunderbird/Outlook autoconfiguration names.</summary>
        Generic,
        /// <summary>The records mailcow's "DNS" page and documentation list.</summary>
        Mailcow,
        /// <summary>The records Poste.io's documentation lists.</summary>
        PosteIo,
    }

    /// <summary>One client record a profile expects. Data, with where it comes from.</summary>
    public sealed class ClientRecordSpec
    {
        internal ClientRecordSpec(string label, string type, int port, string purpose, string source)
        {
            Label = label;
            Type = type;
            Port = port;
            Purpose = purpose;
            Source = source;
        }

        /// <summary>The owner relative to the domain, e.g. <c>_submission._tcp</c> or <c>autoconfig</c>.</summary>
        public string Label { get; }
        /// <summary>SRV or CNAME.</summary>
        public string Type { get; }
        /// <summary>The SRV port; 0 for CNAME.</summary>
        public int Port { get; }
        public string Purpose { get; }
        public string Source { get; }
    }

    /// <summary>The client records each profile asks for.</summary>
    public static class ClientRecordProfiles
    {
        private const string Rfc6186 = "RFC 6186 (SRV for mail submission and access)";
        private const string Rfc8314 = "RFC 8314 §5.1 (_submissions, _imaps)";
        private const string Mailcow = "docs.mailcow.email: Prerequisites / DNS setup";
        private const string Thunderbird = "Thunderbird autoconfig (autoconfig.<domain>); Outlook Autodiscover (autodiscover.<domain>)";
        private const string PosteIo = "poste.io documentation: DNS configuration (autoconfig/autodiscover host names) and RFC 6186 SRV";

        public static IReadOnlyList<ClientRecordSpec> For(MailDomainProfile profile)
        {
            switch (profile)
            {
                case MailDomainProfile.Generic:
                    return new[]
                    {
                        new ClientRecordSpec("_submission._tcp", "SRV", 587, "Mail submission (STARTTLS)", Rfc6186),
                        new ClientRecordSpec("_submissions._tcp", "SRV", 465, "Mail submission (implicit TLS)", Rfc8314),
                        new ClientRecordSpec("_imaps._tcp", "SRV", 993, "IMAP over TLS", Rfc8314),
                        new ClientRecordSpec("autoconfig", "CNAME", 0, "Thunderbird autoconfiguration", Thunderbird),
                        new ClientRecordSpec("autodiscover", "CNAME", 0, "Outlook Autodiscover", Thunderbird),
                    };
                case MailDomainProfile.Mailcow:
                    return new[]
                    {
                        new ClientRecordSpec("autodiscover", "CNAME", 0, "Outlook / ActiveSync Autodiscover", Mailcow),
                        new ClientRecordSpec("autoconfig", "CNAME", 0, "Thunderbird autoconfiguration", Mailcow),
                        new ClientRecordSpec("_autodiscover._tcp", "SRV", 443, "Autodiscover", Mailcow),
                        new ClientRecordSpec("_caldavs._tcp", "SRV", 443, "CalDAV (SOGo)", Mailcow),
                        new ClientRecordSpec("_carddavs._tcp", "SRV", 443, "CardDAV (SOGo)", Mailcow),
                        new ClientRecordSpec("_imap._tcp", "SRV", 143, "IMAP (STARTTLS)", Mailcow),
                        new ClientRecordSpec("_imaps._tcp", "SRV", 993, "IMAP over TLS", Mailcow),
                        new ClientRecordSpec("_pop3._tcp", "SRV", 110, "POP3 (STARTTLS)", Mailcow),
                        new ClientRecordSpec("_pop3s._tcp", "SRV", 995, "POP3 over TLS", Mailcow),
                        new ClientRecordSpec("_sieve._tcp", "SRV", 4190, "ManageSieve", Mailcow),
                        new ClientRecordSpec("_smtps._tcp", "SRV", 465, "Mail submission (implicit TLS)", Mailcow),
                        new ClientRecordSpec("_submission._tcp", "SRV", 587, "Mail submission (STARTTLS)", Mailcow),
                    };
                case MailDomainProfile.PosteIo:
                    return new[]
                    {
                        new ClientRecordSpec("autoconfig", "CNAME", 0, "Thunderbird autoconfiguration", PosteIo),
                        new ClientRecordSpec("autodiscover", "CNAME", 0, "Outlook Autodiscover", PosteIo),
                        new ClientRecordSpec("_submission._tcp", "SRV", 587, "Mail submission (STARTTLS)", PosteIo),
                        new ClientRecordSpec("_imaps._tcp", "SRV", 993, "IMAP over TLS", PosteIo),
                    };
                default:
                    return Array.Empty<ClientRecordSpec>();
            }
        }

        /// <summary>The DKIM selector the suite uses by default, probed in addition to the built-in list.</summary>
        public static string? DefaultDkimSelector(MailDomainProfile profile) =>
            profile == MailDomainProfile.Mailcow ? "dkim" : null;
    }
}
