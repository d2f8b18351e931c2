using System;
using System.Linq;

namespace MailOps.Dkim
{
    /// <summary>The verification of one DKIM-Signature field of a message (Test-DkimSignature).</summary>
    public sealed class DkimSignatureResult
    {
        internal DkimSignatureResult(string path, int index, string? domain, string? selector, string? algorithm, string? canonicalization,
            ResultList<string> signedHeaders, string? identity, long? bodyLengthTag, DateTime? signedAt, DateTime? expiresAt,
            string? keyType, int? keySize, bool testing, string result, string? reason, ResultList<Finding> findings)
        {
            Path = path;
            Index = index;
            Domain = domain;
            Selector = selector;
            Algorithm = algorithm;
            Canonicalization = canonicalization;
            SignedHeaders = signedHeaders;
            Identity = identity;
            BodyLengthTag = bodyLengthTag;
            SignedAt = signedAt;
            ExpiresAt = expiresAt;
            KeyType = keyType;
            KeySize = keySize;
            Testing = testing;
            Result = result;
            Reason = reason;
            Findings = findings;
        }

        /// <summary>The message file.</summary>
        public string Path { get; }

        /// <summary>1 for the topmost DKIM-Signature field, 2 for the next...; 0 when the message has none.</summary>
        public int Index { get; }

        /// <summary>d=: the signing domain.</summary>
        public string? Domain { get; }

        /// <summary>s=: the selector.</summary>
        public string? Selector { get; }

        /// <summary>a=: rsa-sha256, ed25519-sha256 or rsa-sha1.</summary>
        public string? Algorithm { get; }

        /// <summary>c=: header/body canonicalization, e.g. relaxed/relaxed (simple/simple when c= is absent).</summary>
        public string? Canonicalization { get; }

        /// <summary>h=: the signed header fields, in order.</summary>
        public ResultList<string> SignedHeaders { get; }

        /// <summary>True when From is among the signed header fields (RFC 6376 §5.4 requires it).</summary>
        public bool FromSigned => SignedHeaders.Any(h => string.Equals(h, "from", StringComparison.OrdinalIgnoreCase));

        /// <summary>i=: the agent or user identifier, when given.</summary>
        public string? Identity { get; }

        /// <summary>l=: how many body bytes the signature covers; empty when the whole body is signed. Content
        /// appended after l= bytes is not covered, so l= is a warning.</summary>
        public long? BodyLengthTag { get; }

        /// <summary>t=, in UTC.</summary>
        public DateTime? SignedAt { get; }

        /// <summary>x=, in UTC.</summary>
        public DateTime? ExpiresAt { get; }

        /// <summary>k= of the published key (rsa, ed25519), when it was fetched.</summary>
        public string? KeyType { get; }

        /// <summary>Bits of the published key, when it was fetched.</summary>
        public int? KeySize { get; }

        /// <summary>True when the key record says t=y (testing).</summary>
        public bool Testing { get; }

        /// <summary>pass, fail, neutral, temperror, permerror (RFC 8601 §2.7.1), or none when the message is unsigned.</summary>
        public string Result { get; }

        /// <summary>Why, in words.</summary>
        public string? Reason { get; }

        public ResultList<Finding> Findings { get; }

        public override string ToString() =>
            Index == 0 ? $"{Path}: none" : $"{Result} d={Domain} s={Selector} ({Algorithm}){(Reason == null ? "" : ": " + Reason)}";
    }

    /// <summary>The validation of a message's ARC chain (RFC 8617), as MimeKit's ArcVerifier sees it.</summary>
    public sealed class DkimArcResult
    {
        internal DkimArcResult(string path, string result, int instances, string? messageSignature, ResultList<string> seals,
            ResultList<string> errors, string? reason)
        {
            Path = path;
            Result = result;
            Instances = instances;
            MessageSignature = messageSignature;
            Seals = seals;
            Errors = errors;
            Reason = reason;
        }

        public string Path { get; }

        /// <summary>pass, fail, none or temperror (a key could not be fetched).</summary>
        public string Result { get; }

        /// <summary>How many ARC sets (hops) the message carries.</summary>
        public int Instances { get; }

        /// <summary>The newest ARC-Message-Signature: pass or fail.</summary>
        public string? MessageSignature { get; }

        /// <summary>Each ARC-Seal, oldest first: "i=1 d=... s=...: pass".</summary>
        public ResultList<string> Seals { get; }

        /// <summary>Chain problems MimeKit reported (missing or duplicate headers, bad cv=, failed signatures).</summary>
        public ResultList<string> Errors { get; }

        public string? Reason { get; }

        public override string ToString() => $"ARC {Result} ({Instances} set(s)){(Reason == null ? "" : ": " + Reason)}";
    }
}
