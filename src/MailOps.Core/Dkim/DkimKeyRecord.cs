using System;
using System.Collections.Generic;
using System.Linq;
using Org.BouncyCastle.Crypto;

namespace MailOps.Dkim
{
    /// <summary>A parsed DKIM key record (RFC 6376 §3.6.1, RFC 8463 §4.2), with what is wrong with it.</summary>
    internal sealed class DkimKeyRecord
    {
        public string? Text;
        public Dictionary<string, string>? Tags;
        public List<string> SyntaxProblems = new List<string>();
        public string? Version;
        public string KeyType = "rsa";
        public List<string> HashAlgorithms = new List<string>();
        public List<string> ServiceTypes = new List<string>();
        public List<string> Flags = new List<string>();
        public string? Notes;
        public string? PublicKeyBase64;
        public AsymmetricKeyParameter? PublicKey;
        public string? KeyProblem;
        /// <summary>The finding code for <see cref="KeyProblem"/>: DkimKeyInvalid, DkimKeyTooLong or DkimKeyBadExponent.</summary>
        public string? KeyProblemCode;
        /// <summary>The modulus size of a key that was read but refused.</summary>
        public int? RejectedKeyBits;

        public bool IsRevoked => PublicKeyBase64 != null && PublicKeyBase64.Length == 0;
        public bool KnownKeyType => KeyType == "rsa" || KeyType == "ed25519";
        public int? KeySize => PublicKey == null ? RejectedKeyBits : DkimKeyMaterial.KeySize(PublicKey);

        /// <summary>True when the text looks like a DKIM key record at all (and not, say, an SPF record or a site
        /// verification token published at the same name).</summary>
        public static bool LooksLikeKeyRecord(string text)
        {
            var t = text.TrimStart();
            if (t.StartsWith("v=DKIM1", StringComparison.Ordinal)) return true;
            if (t.StartsWith("v=", StringComparison.Ordinal)) return false;
            var problems = new List<string>();
            return DkimTagList.Parse(t, problems).ContainsKey("p");
        }

        public static DkimKeyRecord Parse(string text)
        {
            var r = new DkimKeyRecord { Text = text };
            r.Tags = DkimTagList.Parse(text, r.SyntaxProblems);
            if (r.Tags.TryGetValue("v", out var v))
            {
                r.Version = v;
                if (v != "DKIM1") r.SyntaxProblems.Add($"v={v}: the version must be DKIM1");
                else if (!text.TrimStart().StartsWith("v", StringComparison.Ordinal)) r.SyntaxProblems.Add("v=DKIM1 must be the first tag (RFC 6376 §3.6.1)");
            }
            if (r.Tags.TryGetValue("k", out var k)) r.KeyType = k.Trim().ToLowerInvariant();
            if (r.Tags.TryGetValue("h", out var h)) r.HashAlgorithms = DkimTagList.SplitList(h).Select(x => x.ToLowerInvariant()).ToList();
            if (r.Tags.TryGetValue("s", out var s)) r.ServiceTypes = DkimTagList.SplitList(s).Select(x => x.ToLowerInvariant()).ToList();
            if (r.Tags.TryGetValue("t", out var t)) r.Flags = DkimTagList.SplitList(t).Select(x => x.ToLowerInvariant()).ToList();
            if (r.Tags.TryGetValue("n", out var n)) r.Notes = n;
            if (!r.Tags.TryGetValue("p", out var p))
            {
                r.SyntaxProblems.Add("the required p= tag (the public key) is missing");
                return r;
            }
            r.PublicKeyBase64 = DkimTagList.StripWhiteSpace(p);
            if (r.PublicKeyBase64.Length == 0 || !r.KnownKeyType) return r;
            if (r.PublicKeyBase64.Length > DkimKeyMaterial.MaxPublicKeyBase64Length)
            {
                r.KeyProblemCode = "DkimKeyTooLong";
                r.KeyProblem = $"p= is {r.PublicKeyBase64.Length} characters, longer than any key MailOps reads (an {DkimKeyMaterial.MaxRsaKeyBits}-bit RSA key is about 1,400)";
                return r;
            }
            byte[] der;
            try
            {
                der = Convert.FromBase64String(r.PublicKeyBase64);
            }
            catch (FormatException)
            {
                r.KeyProblemCode = "DkimKeyInvalid";
                r.KeyProblem = "p= is not valid base64";
                return r;
            }
            try
            {
                r.PublicKey = DkimKeyMaterial.ParsePublicKey(r.KeyType, der);
            }
            catch (DkimKeyRejectedException ex)
            {
                r.KeyProblemCode = ex.Code;
                r.KeyProblem = ex.Message;
                r.RejectedKeyBits = ex.KeyBits;
            }
            return r;
        }

        /// <summary>True when the key may be used with SHA-256 (h= absent or listing sha256).</summary>
        public bool AllowsSha256 => HashAlgorithms.Count == 0 || HashAlgorithms.Contains("sha256");

        public bool AllowsEmail => ServiceTypes.Count == 0 || ServiceTypes.Contains("*") || ServiceTypes.Contains("email");
    }
}
