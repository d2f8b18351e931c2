using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace MailOps.Dkim
{
    /// <summary>Everything Test-DkimSignature learned about one message file.</summary>
    public sealed class DkimMessageCheckResult
    {
        internal DkimMessageCheckResult(IReadOnlyList<DkimSignatureResult> signatures, DkimArcResult? arc)
        {
            Signatures = signatures;
            Arc = arc;
        }

        /// <summary>One per DKIM-Signature field, top first; one "none" entry for an unsigned message.</summary>
        public IReadOnlyList<DkimSignatureResult> Signatures { get; }

        /// <summary>The ARC chain result, or null when the message carries no ARC header fields.</summary>
        public DkimArcResult? Arc { get; }
    }

    /// <summary>Raised when a message file cannot be read or parsed as a message.</summary>
    public sealed class MessageFileException : Exception
    {
        public MessageFileException(string path, string message, Exception inner) : base(message, inner) => Path = path;

        public string Path { get; }
    }

    /// <summary>
    /// Verifies DKIM signatures (RFC 6376 §6, RFC 8301, RFC 8463) and the ARC chain (RFC 8617) of a message with
    /// MimeKit's canonicalization and crypto, fetching keys through MailOps' DNS layer so -Server and -ZoneFile apply.
    /// Results follow RFC 8601: pass, fail (the signature or body hash does not verify), neutral (the signature
    /// field is malformed), permerror (no usable key, or a signature that can never verify), temperror (the key
    /// could not be fetched: a DNS timeout is never a fail).
    /// </summary>
    public static class DkimSignatureCheck
    {
        /// <summary>Reads and checks a message file. Throws <see cref="MessageFileException"/> when the file cannot be
        /// read or parsed; DNS failures become temperror results, not exceptions.</summary>
        public static async Task<DkimMessageCheckResult> CheckFileAsync(IDnsResolver dns, string path, CancellationToken ct, DateTime? now = null)
        {
            MimeMessage message;
            try
            {
                using (var stream = InputFile.OpenRead(path, InputFile.MaxMessageBytes, "message file"))
                    message = await MimeMessage.LoadAsync(stream, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is FormatException)
            {
                throw new MessageFileException(path, $"{path} cannot be read as a message: {ex.Message}", ex);
            }
            return await CheckAsync(dns, message, path, ct, now).ConfigureAwait(false);
        }

        internal static async Task<DkimMessageCheckResult> CheckAsync(IDnsResolver dns, MimeMessage message, string path, CancellationToken ct, DateTime? now = null)
        {
            var locator = new DnsKeyLocator(dns);
            var verifier = new Verifier(locator);
            var results = new List<DkimSignatureResult>();
            var fields = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToList();
            if (fields.Count == 0)
            {
                results.Add(new DkimSignatureResult(path, 0, null, null, null, null, ResultList<string>.Empty, null, null, null, null, null, null, false,
                    "none", "the message has no DKIM-Signature header field", ResultList<Finding>.Empty));
            }
            for (int i = 0; i < fields.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                results.Add(await verifier.CheckAsync(dns, message, fields[i], i + 1, path, now ?? DateTime.UtcNow, ct).ConfigureAwait(false));
            }
            var arc = await CheckArcAsync(locator, message, path, ct).ConfigureAwait(false);
            return new DkimMessageCheckResult(results, arc);
        }

        private static async Task<DkimArcResult?> CheckArcAsync(DnsKeyLocator locator, MimeMessage message, string path, CancellationToken ct)
        {
            var arcHeaders = message.Headers.Where(h => h.Id == HeaderId.ArcSeal || h.Id == HeaderId.ArcMessageSignature || h.Id == HeaderId.ArcAuthenticationResults).ToList();
            if (arcHeaders.Count == 0) return null;
            locator.Failures.Clear();
            var verifier = new ArcVerifier(locator);
            var r = await verifier.VerifyAsync(message, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested(); // ArcVerifier turns every exception, cancellation included, into "fail"
            var seals = (r.Seals ?? new ArcHeaderValidationResult[0])
                .Select((s, i) => s == null ? $"i={i + 1}: missing" : $"i={i + 1} {Describe(s.Header)}: {s.Signature.ToString().ToLowerInvariant()}")
                .ToList();
            var errors = Enum.GetValues(typeof(ArcValidationErrors)).Cast<ArcValidationErrors>()
                .Where(e => e != ArcValidationErrors.None && (r.ChainErrors & e) == e).Select(e => e.ToString()).ToList();
            var instances = arcHeaders.Where(h => h.Id == HeaderId.ArcSeal).Count();
            string result = r.Chain.ToString().ToLowerInvariant();
            string? reason = null;
            if (locator.Failures.Count > 0 && r.Chain != ArcSignatureValidationResult.Pass)
            {
                result = "temperror";
                reason = "a key could not be fetched: " + locator.Failures[0].Message;
            }
            else if (r.Chain == ArcSignatureValidationResult.Fail)
                reason = errors.Count > 0 ? string.Join(", ", errors) : "the chain did not validate";
            return new DkimArcResult(path, result, instances, r.MessageSignature?.Signature.ToString().ToLowerInvariant(),
                new ResultList<string>(seals), new ResultList<string>(errors), reason);
        }

        private static string Describe(Header h)
        {
            var problems = new List<string>();
            var tags = DkimTagList.Parse(h.Value, problems);
            tags.TryGetValue("d", out var d);
            tags.TryGetValue("s", out var s);
            return $"d={d} s={s}";
        }

        /// <summary>MimeKit's verifier base, for its canonicalization and crypto; the decisions are ours.</summary>
        private sealed class Verifier : DkimVerifierBase
        {
            public Verifier(IDkimPublicKeyLocator locator) : base(locator) { }

            public async Task<DkimSignatureResult> CheckAsync(IDnsResolver dns, MimeMessage message, Header field, int index, string path, DateTime now, CancellationToken ct)
            {
                var problems = new List<string>();
                var tags = DkimTagList.Parse(field.Value, problems);
                tags.TryGetValue("d", out var d);
                tags.TryGetValue("s", out var s);
                tags.TryGetValue("a", out var a);
                tags.TryGetValue("i", out var identity);
                var canon = tags.TryGetValue("c", out var c) ? DkimTagList.StripWhiteSpace(c).ToLowerInvariant() : "simple/simple";
                if (!canon.Contains("/")) canon += "/simple";
                var headers = tags.TryGetValue("h", out var h) ? DkimTagList.SplitList(h) : new List<string>();
                var findings = new List<Finding>();
                long? l = null;
                DateTime? signedAt = null, expiresAt = null;
                string? keyType = null;
                int? keySize = null;
                bool testing = false;

                DkimSignatureResult Done(string result, string? reason) =>
                    new DkimSignatureResult(path, index, d, s, a?.ToLowerInvariant(), canon, new ResultList<string>(headers), identity, l, signedAt, expiresAt,
                        keyType, keySize, testing, result, reason, new ResultList<Finding>(findings));

                if (problems.Count > 0) return Done("neutral", "the DKIM-Signature field is malformed: " + problems[0]);
                foreach (var required in new[] { "v", "a", "b", "bh", "d", "h", "s" })
                    if (!tags.ContainsKey(required)) return Done("neutral", $"the required tag {required}= is missing (RFC 6376 §3.5)");
                if (tags["v"] != "1") return Done("neutral", $"v={tags["v"]} is not a DKIM-Signature version this verifier knows (1)");

                if (tags.TryGetValue("l", out var lText))
                {
                    if (!long.TryParse(lText, NumberStyles.None, CultureInfo.InvariantCulture, out var lv)) return Done("neutral", $"l={lText} is not a number");
                    l = lv;
                    findings.Add(new Finding("DkimBodyLengthTag", FindingSeverity.Warning,
                        $"The signature covers only the first {lv} bytes of the body (l={lv}); anyone can append content below it and the signature still passes.",
                        "Configure the signer to sign the whole body (drop l=; OpenDKIM: BodyLengths no).", d));
                }
                if (tags.TryGetValue("t", out var tText))
                {
                    if (!long.TryParse(tText, NumberStyles.None, CultureInfo.InvariantCulture, out var tv)) return Done("neutral", $"t={tText} is not a timestamp");
                    signedAt = FromUnix(tv);
                }
                if (tags.TryGetValue("x", out var xText))
                {
                    if (!long.TryParse(xText, NumberStyles.None, CultureInfo.InvariantCulture, out var xv)) return Done("neutral", $"x={xText} is not a timestamp");
                    expiresAt = FromUnix(xv);
                    if (signedAt.HasValue && expiresAt < signedAt) return Done("neutral", "x= is earlier than t= (RFC 6376 §3.5)");
                }

                DkimSignatureAlgorithm algorithm;
                switch (a.Trim().ToLowerInvariant())
                {
                    case "rsa-sha256": algorithm = DkimSignatureAlgorithm.RsaSha256; break;
                    case "ed25519-sha256": algorithm = DkimSignatureAlgorithm.Ed25519Sha256; break;
                    case "rsa-sha1":
                        return Done("permerror", "a=rsa-sha1: RFC 8301 §3.1 says verifiers must not accept SHA-1 signatures");
                    default:
                        return Done("permerror", $"a={a} is not a signing algorithm this verifier knows (rsa-sha256, ed25519-sha256)");
                }
                var parts = canon.Split('/');
                if (parts.Length != 2 || !TryCanon(parts[0], out var headerCanon) || !TryCanon(parts[1], out var bodyCanon))
                    return Done("neutral", $"c={c} is not a canonicalization (simple or relaxed, for header/body)");
                if (!headers.Any(x => string.Equals(x, "from", StringComparison.OrdinalIgnoreCase)))
                    return Done("permerror", "From is not among the signed header fields (h=); RFC 6376 §5.4 requires it");
                if (identity != null)
                {
                    var at = identity.LastIndexOf('@');
                    var idDomain = at < 0 ? null : identity.Substring(at + 1);
                    if (idDomain == null || !DnsName.IsAtOrBelow(idDomain, d))
                        return Done("permerror", $"i={identity} is not at or below d={d} (RFC 6376 §3.5)");
                }
                if (expiresAt.HasValue && expiresAt.Value < now)
                    return Done("permerror", $"the signature expired at {expiresAt.Value:u} (x=)");

                // RFC 6376 §6.1.2: fetch the key.
                var name = DkimRecordCheck.KeyName(s, d);
                var answer = await dns.QueryAsync(name, DnsRecordType.TXT, ct).ConfigureAwait(false);
                if (answer.IsError) return Done("temperror", new DnsQueryFailedException(answer).Message);
                var texts = answer.RecordsOf<TxtRecord>().Select(r => r.Text).Where(DkimKeyRecord.LooksLikeKeyRecord).ToList();
                if (texts.Count == 0)
                    return Done("permerror", $"no key: {name} {(answer.Outcome == DnsOutcome.NxDomain ? "does not exist" : "has no DKIM key record")}");
                var key = DkimKeyRecord.Parse(texts[0]);
                keyType = key.KeyType;
                keySize = key.KeySize;
                testing = key.Flags.Contains("y");
                if (testing)
                    findings.Add(new Finding("DkimTestingMode", FindingSeverity.Info,
                        $"The key record at {name} says t=y (testing): receivers may treat this signature as if it were absent.", "Remove t=y once signing works.", name));
                if (key.SyntaxProblems.Count > 0) return Done("permerror", $"the key record at {name} is malformed: {key.SyntaxProblems[0]}");
                if (key.IsRevoked) return Done("permerror", $"the key at {name} is revoked (p= is empty)");
                var wantType = algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";
                if (key.KeyType != wantType) return Done("permerror", $"a={a} needs a k={wantType} key but {name} publishes k={key.KeyType}");
                if (key.KeyProblem != null) return Done("permerror", $"the key at {name} cannot be read: {key.KeyProblem}");
                if (key.PublicKey == null) return Done("permerror", $"the key at {name} cannot be read");
                if (!key.AllowsSha256) return Done("permerror", $"the key at {name} does not allow sha256 (h={string.Join(":", key.HashAlgorithms)})");
                if (!key.AllowsEmail) return Done("permerror", $"the key at {name} is not for email (s={string.Join(":", key.ServiceTypes)})");
                if (key.PublicKey is RsaKeyParameters rsa && rsa.Modulus.BitLength < 1024)
                    return Done("permerror", $"the RSA key at {name} is {rsa.Modulus.BitLength} bits; RFC 8301 §3.2 forbids accepting keys under 1024 bits");
                if (key.Flags.Contains("s") && identity != null && !string.Equals(identity.Substring(identity.LastIndexOf('@') + 1), d, StringComparison.OrdinalIgnoreCase))
                    return Done("permerror", $"the key at {name} is strict (t=s) but i={identity} is a subdomain of d={d}");

                // RFC 6376 §6.1.3: body hash, then the header signature.
                var options = FormatOptions.Default.Clone();
                options.NewLineFormat = NewLineFormat.Dos;
                string bh = DkimTagList.StripWhiteSpace(tags["bh"]), b = DkimTagList.StripWhiteSpace(tags["b"]);
                bool bodyOk;
                try
                {
                    bodyOk = VerifyBodyHash(options, message, algorithm, bodyCanon, l.HasValue ? (int)Math.Min(l.Value, int.MaxValue) : -1, bh);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    return Done("permerror", "the body hash could not be computed: " + ex.Message);
                }
                if (!bodyOk)
                    return Done("fail", "body hash did not verify: the body was changed after signing (or by a mailing list, footer or content filter on the way)");
                bool sigOk;
                try
                {
                    sigOk = VerifySignature(options, message, field, algorithm, key.PublicKey, headers.ToArray(), headerCanon, b);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    return Done("permerror", "the signature could not be checked: " + ex.Message);
                }
                if (!sigOk)
                    return Done("fail", "signature did not verify: a signed header field was changed after signing, or the message was signed with another key than the one published");
                return Done("pass", null);
            }

            private static bool TryCanon(string text, out DkimCanonicalizationAlgorithm algorithm)
            {
                algorithm = DkimCanonicalizationAlgorithm.Simple;
                if (text == "simple") return true;
                if (text == "relaxed") { algorithm = DkimCanonicalizationAlgorithm.Relaxed; return true; }
                return false;
            }

            private static DateTime FromUnix(long seconds) =>
                new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(Math.Min(seconds, 253402300799L));
        }

        /// <summary>Fetches DKIM keys for MimeKit's ArcVerifier through MailOps' resolver, remembering unanswered
        /// questions so an ARC result can say temperror instead of fail.</summary>
        private sealed class DnsKeyLocator : DkimPublicKeyLocatorBase
        {
            private readonly IDnsResolver _dns;

            public DnsKeyLocator(IDnsResolver dns) => _dns = dns;

            public readonly List<DnsQueryFailedException> Failures = new List<DnsQueryFailedException>();

            public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
                LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

            public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
            {
                var answer = await _dns.QueryAsync(DkimRecordCheck.KeyName(selector, domain), DnsRecordType.TXT, cancellationToken).ConfigureAwait(false);
                if (answer.IsError)
                {
                    var ex = new DnsQueryFailedException(answer);
                    lock (Failures) Failures.Add(ex);
                    throw ex;
                }
                var text = answer.RecordsOf<TxtRecord>().Select(r => r.Text).FirstOrDefault(DkimKeyRecord.LooksLikeKeyRecord);
                if (text == null) throw new FormatException($"no DKIM key at {answer.Name}");
                var key = DkimKeyRecord.Parse(text);
                if (key.PublicKey == null) throw new FormatException($"no usable DKIM key at {answer.Name}");
                return key.PublicKey;
            }
        }
    }
}
