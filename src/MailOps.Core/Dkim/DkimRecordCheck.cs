using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;

namespace MailOps.Dkim
{
    /// <summary>Looks up and checks one DKIM key record (Test-MailDkim): RFC 6376 §3.6, RFC 8301, RFC 8463.</summary>
    public static class DkimRecordCheck
    {
        /// <summary>The owner name of a selector's key record.</summary>
        public static string KeyName(string selector, string domain) => $"{selector}._domainkey.{domain}";

        /// <summary>Checks a selector's syntax (RFC 6376 §3.1: one or more DNS labels). Null when valid, else what is wrong.</summary>
        public static string? ValidateSelector(string selector)
        {
            if (Strings.IsNullOrWhiteSpace(selector)) return "the selector is empty";
            if (selector.IndexOfAny(new[] { '/', '\\', ' ', '\t', ';', '"' }) >= 0) return $"the selector '{selector}' contains a character DNS labels cannot carry";
            return DnsName.ValidateDomainName(selector + "._domainkey.example");
        }

        /// <summary>Checks a selector of a domain. With <paramref name="privateKeyPath"/>, also whether the published key is
        /// its pair. Throws <see cref="DnsQueryFailedException"/> when the TXT question goes unanswered.</summary>
        public static async Task<MailDkimRecord> RunAsync(IDnsResolver dns, string domain, string selector,
            string? privateKeyPath, CancellationToken ct) =>
            await RunAsync(dns, domain, selector, privateKeyPath == null ? null : ReadPrivateKeyFile(privateKeyPath), privateKeyPath, ct).ConfigureAwait(false);

        /// <summary>Reads a private key file (at most 64 KiB, regular files only); throws <see cref="FormatException"/> or an IO exception.</summary>
        internal static DkimPrivateKey ReadPrivateKeyFile(string path) => DkimKeyMaterial.ReadPrivateKey(InputFile.ReadAllText(path, InputFile.MaxPrivateKeyBytes, "DKIM private key file"));

        internal static async Task<MailDkimRecord> RunAsync(IDnsResolver dns, string domain, string selector,
            DkimPrivateKey? privateKey, string? privateKeyPath, CancellationToken ct)
        {
            var name = KeyName(selector, domain);
            var answer = await dns.QueryAsync(name, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (answer.IsError) throw new DnsQueryFailedException(answer);
            var findings = new List<Finding>();
            var chain = answer.CnameChain;
            var cnameTarget = chain.Count > 0 ? chain[chain.Count - 1].Target : null;

            var texts = answer.RecordsOf<TxtRecord>().Select(r => r.Text).ToList();
            var dkimTexts = texts.Where(DkimKeyRecord.LooksLikeKeyRecord).ToList();
            if (dkimTexts.Count == 0)
            {
                string why;
                if (answer.Outcome == DnsOutcome.NxDomain) why = $"{name} does not exist (NXDOMAIN)";
                else if (texts.Count == 0) why = $"{name} has no TXT record";
                else why = $"the TXT record at {name} is not a DKIM key record (\"{Shorten(texts[0])}\")";
                findings.Add(new Finding("NoDkimRecord", FindingSeverity.Fail,
                    $"No DKIM key is published for selector '{selector}': {why}. Mail signed with s={selector} d={domain} fails DKIM (permerror, no key).",
                    $"Publish the TXT record from your signer's <selector>.txt at {name}, or check which selector your signer uses.", name));
                if (cnameTarget != null)
                    findings.Add(CnameFinding(name, cnameTarget));
                return new MailDkimRecord(domain, selector, false, texts.FirstOrDefault(), cnameTarget, null, null, null,
                    ResultList<string>.Empty, ResultList<string>.Empty, ResultList<string>.Empty, null, null, privateKeyPath, null, null,
                    new ResultList<Finding>(findings));
            }

            if (cnameTarget != null) findings.Add(CnameFinding(name, cnameTarget));
            if (dkimTexts.Count > 1)
                findings.Add(new Finding("MultipleDkimRecords", FindingSeverity.Fail,
                    $"{name} publishes {dkimTexts.Count} DKIM key records; a verifier uses whichever it reads first (RFC 6376 §3.6.2.2), so signatures pass or fail at random.",
                    "Keep exactly one TXT record per selector; rotate keys by publishing the new key under a new selector.", name));

            var rec = DkimKeyRecord.Parse(dkimTexts[0]);
            foreach (var problem in rec.SyntaxProblems)
                findings.Add(new Finding("DkimSyntaxError", FindingSeverity.Fail,
                    $"The DKIM record at {name} is malformed: {problem}. Verifiers reject the key (permerror).",
                    "Republish the record exactly as your signer generated it: \"v=DKIM1; k=rsa; p=<base64>\".", name));

            if (rec.IsRevoked)
                findings.Add(new Finding("DkimKeyRevoked", FindingSeverity.Fail,
                    $"The key for selector '{selector}' is revoked (p= is empty): every signature made with it fails.",
                    "If the selector is still in use, publish its current public key; if it was retired on purpose, make sure no server signs with it any more.", name));
            else if (!rec.KnownKeyType)
                findings.Add(new Finding("DkimUnknownKeyType", FindingSeverity.Fail,
                    $"k={rec.KeyType} is not a DKIM key type verifiers know (rsa, ed25519): signatures with this key cannot be verified.",
                    "Publish k=rsa (or k=ed25519 for an RFC 8463 key).", name));
            else if (rec.KeyProblemCode == "DkimKeyTooLong")
                findings.Add(new Finding("DkimKeyTooLong", FindingSeverity.Fail,
                    $"The public key in {name} is not used: {rec.KeyProblem}.",
                    "Generate a 2048-bit key under a new selector, publish it, then switch the signer.", name));
            else if (rec.KeyProblemCode == "DkimKeyBadExponent")
                findings.Add(new Finding("DkimKeyBadExponent", FindingSeverity.Fail,
                    $"The public key in {name} is unsafe: {rec.KeyProblem}. Verifiers that accept it accept forged signatures.",
                    "Generate a new key under a new selector, publish it, then switch the signer.", name));
            else if (rec.KeyProblem != null)
                findings.Add(new Finding("DkimKeyInvalid", FindingSeverity.Fail,
                    $"The public key in {name} cannot be read: {rec.KeyProblem}. Verifiers treat this as a permanent error.",
                    "Copy p= again from the signer's public key without line breaks, quotes or spaces inside the base64 (split long values into several quoted strings instead).", name));

            if (rec.KeyType == "rsa" && rec.PublicKey != null && rec.KeySize.HasValue)
            {
                if (rec.KeySize < 1024)
                    findings.Add(new Finding("DkimKeyTooShort", FindingSeverity.Fail,
                        $"The RSA key is {rec.KeySize} bits; RFC 8301 §3.2 says verifiers must not accept keys shorter than 1024 bits, so signatures fail.",
                        "Generate a 2048-bit key under a new selector, publish it, then switch the signer.", name));
                else if (rec.KeySize < 2048)
                    findings.Add(new Finding("DkimKeyWeak", FindingSeverity.Warning,
                        $"The RSA key is {rec.KeySize} bits; RFC 8301 asks signers for at least 2048, and 1024-bit keys are within reach of attackers.",
                        "Generate a 2048-bit key under a new selector, publish it, then switch the signer.", name));
            }
            if (rec.KeyType == "ed25519" && rec.PublicKey != null)
                findings.Add(new Finding("DkimEd25519Only", FindingSeverity.Info,
                    "This is an Ed25519 key (RFC 8463). Many receivers do not verify Ed25519 signatures yet and treat them as absent.",
                    "Sign every message with an RSA key too (two DKIM-Signature fields, two selectors), as RFC 8463 expects during the transition.", name));

            if (rec.HashAlgorithms.Count > 0 && !rec.AllowsSha256)
                findings.Add(new Finding("DkimSha1Only", FindingSeverity.Fail,
                    $"h={string.Join(":", rec.HashAlgorithms)} does not allow SHA-256; rsa-sha1 signatures must not be accepted (RFC 8301 §3.1), so nothing made with this key verifies.",
                    "Publish h=sha256 (or leave h= out) and sign with rsa-sha256.", name));

            if (!rec.AllowsEmail)
                findings.Add(new Finding("DkimServiceTypeExcludesEmail", FindingSeverity.Fail,
                    $"s={string.Join(":", rec.ServiceTypes)} does not include email or *: the key may not be used to verify mail.",
                    "Remove s= or publish s=email.", name));

            if (rec.Flags.Contains("y"))
                findings.Add(new Finding("DkimTestingMode", FindingSeverity.Warning,
                    "t=y: the domain says it is testing DKIM, so verifiers may treat failed signatures as unsigned and give the domain no reputation for passing ones.",
                    "Remove t=y once signing works.", name));

            bool? matches = null;
            if (privateKey != null && rec.PublicKey != null)
            {
                matches = DkimKeyMaterial.SamePublicKey(privateKey.Public, rec.PublicKey);
                if (matches == true)
                    findings.Add(new Finding("DkimPrivateKeyMatches", FindingSeverity.Info,
                        $"The private key {privateKeyPath} ({privateKey.Format}) is the pair of the key published at {name}.", null, privateKeyPath));
                else
                    findings.Add(new Finding("DkimPrivateKeyMismatch", FindingSeverity.Fail,
                        privateKey.KeyType != rec.KeyType
                            ? $"The private key {privateKeyPath} is an {privateKey.KeyType} key but {name} publishes k={rec.KeyType}: signatures made with it fail."
                            : $"The private key {privateKeyPath} is not the pair of the key published at {name}: every signature made with it fails.",
                        $"Publish the public key derived from {privateKeyPath}, or point the signer at the private key that belongs to the published record.", privateKeyPath));
            }
            else if (privateKey != null)
            {
                matches = false;
                findings.Add(new Finding("DkimPrivateKeyMismatch", FindingSeverity.Fail,
                    $"The private key {privateKeyPath} cannot match: {name} publishes no usable public key.",
                    "Publish the public key that belongs to the private key.", privateKeyPath));
            }

            return new MailDkimRecord(domain, selector, true, rec.Text, cnameTarget, rec.Version, rec.KeyType, rec.KeySize,
                new ResultList<string>(rec.HashAlgorithms), new ResultList<string>(rec.ServiceTypes), new ResultList<string>(rec.Flags),
                rec.Notes, rec.PublicKeyBase64, privateKeyPath, matches, null, new ResultList<Finding>(findings));
        }

        private static Finding CnameFinding(string name, string target) =>
            new Finding("DkimSelectorIsCname", FindingSeverity.Info,
                $"{name} is a CNAME to {target}: the key is published (and rotated) by whoever runs {target}, as Microsoft 365 and many ESPs do.",
                null, name);

        private static string Shorten(string s) => s.Length <= 60 ? s : s.Substring(0, 57) + "...";
    }
}
