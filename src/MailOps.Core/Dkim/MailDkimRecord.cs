using System.Linq;

namespace MailOps.Dkim
{
    /// <summary>One DKIM key record (selector._domainkey.domain TXT) as published, parsed, with findings.
    /// Written by Test-MailDkim and, for the selectors it finds, by Find-DkimSelector.</summary>
    public sealed class MailDkimRecord
    {
        internal MailDkimRecord(string domain, string selector, bool found, string? record, string? cnameTarget,
            string? version, string? keyType, int? keySize, ResultList<string> hashAlgorithms, ResultList<string> serviceTypes,
            ResultList<string> flags, string? notes, string? publicKey, string? privateKeyPath, bool? privateKeyMatches,
            string? source, ResultList<Finding> findings)
        {
            Domain = domain;
            Selector = selector;
            Found = found;
            _record = record;
            CnameTarget = cnameTarget;
            Version = version;
            KeyType = keyType;
            KeySize = keySize;
            HashAlgorithms = hashAlgorithms;
            ServiceTypes = serviceTypes;
            Flags = flags;
            Notes = notes;
            PublicKey = publicKey;
            PrivateKeyPath = privateKeyPath;
            PrivateKeyMatches = privateKeyMatches;
            Source = source;
            Findings = findings;
        }

        public string Domain { get; }

        public string Selector { get; }

        /// <summary>The name looked up: selector._domainkey.domain.</summary>
        public string DnsName => $"{Selector}._domainkey.{Domain}";

        /// <summary>True when a DKIM key record was published at <see cref="DnsName"/>.</summary>
        public bool Found { get; }

        /// <summary>The record text (character-strings joined), as published.
        /// Control characters (NUL, ESC, ...) are written as escapes (<see cref="TextSafety"/>) so that no view, CSV or
        /// report writes them to a terminal; <see cref="GetRawRecord"/> returns the text exactly as published.</summary>
        public string? Record => TextSafety.Escape(_record);

        /// <summary>The record exactly as published, control characters included. A method, so that views and
        /// Export-Csv never print it.</summary>
        public string? GetRawRecord() => _record;

        private readonly string? _record;

        /// <summary>Where the selector's CNAME (chain) ends, when the selector is an alias (common with ESPs and Microsoft 365).</summary>
        public string? CnameTarget { get; }

        /// <summary>v= (DKIM1), when present.</summary>
        public string? Version { get; }

        /// <summary>k=: rsa (the default) or ed25519.</summary>
        public string? KeyType { get; }

        /// <summary>Bits of the public key (256 for Ed25519); empty when p= is empty or unreadable.</summary>
        public int? KeySize { get; }

        /// <summary>h=: hash algorithms the key may be used with; empty means all.</summary>
        public ResultList<string> HashAlgorithms { get; }

        /// <summary>s=: service types; empty means * (all).</summary>
        public ResultList<string> ServiceTypes { get; }

        /// <summary>t=: flags (y = testing, s = strict identity).</summary>
        public ResultList<string> Flags { get; }

        /// <summary>True when t=y: the domain is testing DKIM, and verifiers may treat failures as unsigned.</summary>
        public bool Testing => Flags.Any(f => f == "y");

        /// <summary>n=: notes for humans.</summary>
        public string? Notes { get; }

        /// <summary>p=: the base64 public key (empty for a revoked key).</summary>
        public string? PublicKey { get; }

        /// <summary>The private key compared with the published key (-PrivateKeyPath).</summary>
        public string? PrivateKeyPath { get; }

        /// <summary>True when the private key at <see cref="PrivateKeyPath"/> is the pair of the published key,
        /// false when it is not, empty when no private key was given.</summary>
        public bool? PrivateKeyMatches { get; }

        /// <summary>Find-DkimSelector: who is known to use this selector (e.g. "Google Workspace"), or "-Selector".</summary>
        public string? Source { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        internal MailDkimRecord WithSource(string? source) =>
            new MailDkimRecord(Domain, Selector, Found, Record, CnameTarget, Version, KeyType, KeySize, HashAlgorithms, ServiceTypes,
                Flags, Notes, PublicKey, PrivateKeyPath, PrivateKeyMatches, source, Findings);

        public override string ToString() =>
            TextSafety.Escape(Found ? $"{DnsName}: {KeyType} {KeySize?.ToString() ?? "-"} bits, {Status}" : $"{DnsName}: no DKIM record");
    }
}
