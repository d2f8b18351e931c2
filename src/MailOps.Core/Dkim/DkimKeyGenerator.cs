using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;

namespace MailOps.Dkim
{
    /// <summary>A DKIM key pair written by New-DkimKey: where the files are and what to publish.</summary>
    public sealed class DkimKey
    {
        internal DkimKey(string selector, string domain, string algorithm, int keySize, string txtValue, ResultList<string> txtStrings,
            string zoneFileLine, string privateKeyPath, string? seedPath, string txtPath)
        {
            Selector = selector;
            Domain = domain;
            Algorithm = algorithm;
            KeySize = keySize;
            TxtValue = txtValue;
            TxtStrings = txtStrings;
            ZoneFileLine = zoneFileLine;
            PrivateKeyPath = privateKeyPath;
            SeedPath = seedPath;
            TxtPath = txtPath;
        }

        public string Selector { get; }

        public string Domain { get; }

        /// <summary>Rsa or Ed25519.</summary>
        public string Algorithm { get; }

        /// <summary>Bits (256 for Ed25519).</summary>
        public int KeySize { get; }

        /// <summary>Where the record goes: selector._domainkey.domain.</summary>
        public string DnsName => $"{Selector}._domainkey.{Domain}";

        /// <summary>The TXT record value, as one string.</summary>
        public string TxtValue { get; }

        /// <summary>The value split into character-strings of at most 255 bytes, as DNS carries it.</summary>
        public ResultList<string> TxtStrings { get; }

        /// <summary>The master-file line, in the layout opendkim-genkey writes to &lt;selector&gt;.txt.</summary>
        public string ZoneFileLine { get; }

        /// <summary>&lt;selector&gt;.private: PEM (PKCS#1 for RSA, PKCS#8 for Ed25519), mode 0600.</summary>
        public string PrivateKeyPath { get; }

        /// <summary>Ed25519 only: &lt;selector&gt;.seed, the base64 32-byte seed that dkimpy and rspamd read, mode 0600.</summary>
        public string? SeedPath { get; }

        /// <summary>&lt;selector&gt;.txt: the zone-file line.</summary>
        public string TxtPath { get; }

        public override string ToString() => $"{DnsName} {Algorithm} {KeySize}";
    }

    /// <summary>A generated key, not yet written.</summary>
    internal sealed class GeneratedDkimKey
    {
        public required string Selector, Domain, Algorithm, TxtValue, ZoneFileLine, PrivatePem;
        public string? Seed;
        public int KeySize;
        public required List<string> TxtStrings;
    }

    /// <summary>Generates DKIM keys and writes them as opendkim-genkey lays them out.</summary>
    public static class DkimKeyGenerator
    {
        /// <summary>The RSA sizes New-DkimKey offers.</summary>
        public static readonly int[] RsaSizes = { 1024, 2048, 3072, 4096 };

        internal static GeneratedDkimKey Generate(string selector, string domain, string algorithm, int keySize)
        {
            var ed = string.Equals(algorithm, "Ed25519", StringComparison.OrdinalIgnoreCase);
            if (!ed && !RsaSizes.Contains(keySize)) throw new ArgumentOutOfRangeException(nameof(keySize), $"RSA keys are {string.Join(", ", RsaSizes)} bits.");
            var pair = ed ? DkimKeyMaterial.GenerateEd25519() : DkimKeyMaterial.GenerateRsa(keySize);
            var p = DkimKeyMaterial.PublicKeyBase64(pair.Public);
            var head = ed ? "v=DKIM1; k=ed25519; " : "v=DKIM1; h=sha256; k=rsa; ";
            var strings = SplitTxt(head, "p=" + p);
            return new GeneratedDkimKey
            {
                Selector = selector,
                Domain = domain,
                Algorithm = ed ? "Ed25519" : "Rsa",
                KeySize = ed ? 256 : keySize,
                TxtValue = head + "p=" + p,
                TxtStrings = strings,
                ZoneFileLine = ZoneFileLine(selector, domain, strings),
                PrivatePem = DkimKeyMaterial.ToPem(pair.Private),
                Seed = ed ? DkimKeyMaterial.Ed25519SeedBase64((Ed25519PrivateKeyParameters)pair.Private) + "\n" : null,
            };
        }

        /// <summary>The tags, then p= cut into character-strings of at most 255 bytes (RFC 1035 §3.3; RFC 6376
        /// §3.6.2.2 says verifiers join them with nothing between).</summary>
        internal static List<string> SplitTxt(string head, string keyTag)
        {
            var list = new List<string> { head };
            for (int i = 0; i < keyTag.Length; i += 255)
                list.Add(keyTag.Substring(i, Math.Min(255, keyTag.Length - i)));
            return list;
        }

        internal static string ZoneFileLine(string selector, string domain, IList<string> strings)
        {
            var sb = new StringBuilder();
            sb.Append(Dns.DnsName.Absolute(DkimRecordCheck.KeyName(selector, domain))).Append("\tIN\tTXT\t( \"").Append(strings[0]).Append('"');
            for (int i = 1; i < strings.Count; i++) sb.Append("\n\t  \"").Append(strings[i]).Append('"');
            sb.Append(" )  ; ----- DKIM key ").Append(selector).Append(" for ").Append(domain).Append('\n');
            return sb.ToString();
        }

        /// <summary>The files New-DkimKey writes for a selector in a directory.</summary>
        public static IReadOnlyList<string> FilesFor(string directory, string selector, bool ed25519)
        {
            var list = new List<string> { Path.Combine(directory, selector + ".private"), Path.Combine(directory, selector + ".txt") };
            if (ed25519) list.Insert(1, Path.Combine(directory, selector + ".seed"));
            return list;
        }

        /// <summary>Generates and writes a key. Private files are owner-only from creation. Without
        /// <paramref name="force"/> nothing is written when any of the files exists (<see cref="FileExistsException"/>).</summary>
        public static DkimKey Create(string directory, string selector, string domain, string algorithm, int keySize, bool force)
        {
            var ed = string.Equals(algorithm, "Ed25519", StringComparison.OrdinalIgnoreCase);
            var files = FilesFor(directory, selector, ed);
            if (!force)
                foreach (var f in files)
                    if (File.Exists(f) || Directory.Exists(f)) throw new FileExistsException(Path.GetFullPath(f));
            var key = Generate(selector, domain, algorithm, keySize);
            var privatePath = files[0];
            var seedPath = ed ? files[1] : null;
            var txtPath = files[files.Count - 1];
            OwnerOnlyFile.Write(privatePath, DkimKeyMaterial.Ascii(key.PrivatePem), force);
            if (seedPath != null) OwnerOnlyFile.Write(seedPath, DkimKeyMaterial.Ascii(key.Seed), force);
            // The public half is not secret; still, write it the same careful way (no overwrite without -Force).
            OwnerOnlyFile.Write(txtPath, DkimKeyMaterial.Ascii(key.ZoneFileLine), force);
            return new DkimKey(key.Selector, key.Domain, key.Algorithm, key.KeySize, key.TxtValue, new ResultList<string>(key.TxtStrings),
                key.ZoneFileLine, Path.GetFullPath(privatePath), seedPath == null ? null : Path.GetFullPath(seedPath), Path.GetFullPath(txtPath));
        }
    }
}
