using System;
using System.IO;
using System.Linq;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MailOps.Dkim
{
    /// <summary>A private key read from a file, with the public half derived from it.</summary>
    internal sealed class DkimPrivateKey
    {
        public DkimPrivateKey(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey, string format)
        {
            Private = privateKey;
            Public = publicKey;
            Format = format;
        }

        public AsymmetricKeyParameter Private { get; }
        public AsymmetricKeyParameter Public { get; }

        /// <summary>"rsa" or "ed25519", as k= names it.</summary>
        public string KeyType => Public is Ed25519PublicKeyParameters ? "ed25519" : "rsa";

        /// <summary>How the file was written (for messages).</summary>
        public string Format { get; }

        public int KeySize => DkimKeyMaterial.KeySize(Public);
    }

    /// <summary>Key generation, encoding and parsing for DKIM (RFC 6376 §3.6.1, RFC 8463 §4), on BouncyCastle so
    /// it works on netstandard2.0 (Windows PowerShell 5.1 included).</summary>
    internal static class DkimKeyMaterial
    {
        private static readonly SecureRandom Random = new SecureRandom();

        public static AsymmetricCipherKeyPair GenerateRsa(int bits)
        {
            var gen = new RsaKeyPairGenerator();
            gen.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), Random, bits, 100));
            return gen.GenerateKeyPair();
        }

        public static AsymmetricCipherKeyPair GenerateEd25519()
        {
            var gen = new Ed25519KeyPairGenerator();
            gen.Init(new Ed25519KeyGenerationParameters(Random));
            return gen.GenerateKeyPair();
        }

        /// <summary>The p= value: for RSA the DER SubjectPublicKeyInfo (what opendkim-genkey and every signer's
        /// tooling publish), for Ed25519 the raw 32-byte public key (RFC 8463 §4.2).</summary>
        public static string PublicKeyBase64(AsymmetricKeyParameter publicKey)
        {
            if (publicKey is Ed25519PublicKeyParameters ed) return Convert.ToBase64String(ed.GetEncoded());
            var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey);
            return Convert.ToBase64String(spki.GetDerEncoded());
        }

        public static int KeySize(AsymmetricKeyParameter publicKey) =>
            publicKey is RsaKeyParameters rsa ? rsa.Modulus.BitLength : publicKey is Ed25519PublicKeyParameters ? 256 : 0;

        /// <summary>PEM: RSA as PKCS#1 "RSA PRIVATE KEY" (read by OpenDKIM, rspamd, dkimpy, Exim, Postfix milters of
        /// every age); Ed25519 as PKCS#8 "PRIVATE KEY" (what OpenSSL 1.1.1+ writes and OpenDKIM 2.11 reads).</summary>
        public static string ToPem(AsymmetricKeyParameter privateKey)
        {
            using (var sw = new StringWriter())
            {
                var pem = new PemWriter(sw);
                if (privateKey is Ed25519PrivateKeyParameters)
                    pem.WriteObject(new Pkcs8Generator(privateKey));
                else
                    pem.WriteObject(privateKey);
                pem.Writer.Flush();
                return sw.ToString().Replace("\r\n", "\n");
            }
        }

        /// <summary>The Ed25519 private key as dkimpy and rspamd read it: the base64 of the raw 32-byte seed.</summary>
        public static string Ed25519SeedBase64(Ed25519PrivateKeyParameters key) => Convert.ToBase64String(key.GetEncoded());

        /// <summary>Reads a private key file: PEM (PKCS#1 RSA, PKCS#8 RSA or Ed25519), base64 DER without PEM
        /// markers, or the base64 of a raw Ed25519 seed (32 bytes, dkimpy/rspamd) or libsodium secret key (64 bytes).
        /// Throws <see cref="FormatException"/> saying what it is not.</summary>
        public static DkimPrivateKey ReadPrivateKey(string text)
        {
            if (text == null) throw new FormatException("the file is empty");
            var trimmed = text.Trim();
            if (trimmed.Length == 0) throw new FormatException("the file is empty");
            if (trimmed.Contains("-----BEGIN"))
            {
                if (trimmed.Contains("ENCRYPTED")) throw new FormatException("the key is encrypted with a passphrase; DKIM signers need an unencrypted key");
                object obj;
                try
                {
                    obj = new PemReader(new StringReader(trimmed)).ReadObject();
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    throw new FormatException("the PEM data could not be read: " + ex.Message, ex);
                }
                switch (obj)
                {
                    case AsymmetricCipherKeyPair pair:
                        return FromPrivate(pair.Private, "PEM (PKCS#1)");
                    case AsymmetricKeyParameter key when key.IsPrivate:
                        return FromPrivate(key, "PEM (PKCS#8)");
                    case null:
                        throw new FormatException("no key was found in the PEM data");
                    default:
                        throw new FormatException($"the PEM data holds a {obj.GetType().Name}, not a private key");
                }
            }
            byte[] raw;
            try
            {
                raw = Convert.FromBase64String(DkimTagList.StripWhiteSpace(trimmed));
            }
            catch (FormatException)
            {
                throw new FormatException("it is neither PEM nor base64");
            }
            if (raw.Length == 32) return FromPrivate(new Ed25519PrivateKeyParameters(raw, 0), "base64 Ed25519 seed");
            if (raw.Length == 64)
            {
                var seed = new Ed25519PrivateKeyParameters(raw, 0);
                var pub = seed.GeneratePublicKey();
                if (!pub.GetEncoded().SequenceEqual(raw.Skip(32))) throw new FormatException("the 64 bytes are not an Ed25519 seed followed by its public key");
                return new DkimPrivateKey(seed, pub, "base64 Ed25519 secret key (seed and public key)");
            }
            try
            {
                var seq = Asn1Sequence.GetInstance(raw);
                if (seq.Count == 9) return FromPrivate(FromRsaStructure(RsaPrivateKeyStructure.GetInstance(seq)), "base64 DER (PKCS#1)");
                return FromPrivate(PrivateKeyFactory.CreateKey(PrivateKeyInfo.GetInstance(seq)), "base64 DER (PKCS#8)");
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException) && !(ex is FormatException))
            {
                throw new FormatException("the base64 data is not an RSA or Ed25519 private key", ex);
            }
        }

        private static RsaPrivateCrtKeyParameters FromRsaStructure(RsaPrivateKeyStructure s) =>
            new RsaPrivateCrtKeyParameters(s.Modulus, s.PublicExponent, s.PrivateExponent, s.Prime1, s.Prime2, s.Exponent1, s.Exponent2, s.Coefficient);

        private static DkimPrivateKey FromPrivate(AsymmetricKeyParameter key, string format)
        {
            switch (key)
            {
                case RsaPrivateCrtKeyParameters rsa:
                    return new DkimPrivateKey(rsa, new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent), format);
                case Ed25519PrivateKeyParameters ed:
                    return new DkimPrivateKey(ed, ed.GeneratePublicKey(), format);
                default:
                    throw new FormatException($"the key is a {key.GetType().Name.Replace("PrivateKeyParameters", "")} key; DKIM uses RSA or Ed25519");
            }
        }

        /// <summary>The largest RSA key MailOps reads: RFC 8301 §3.2 asks verifiers to handle 1024 to 4096 bits; 8192
        /// leaves room. A larger modulus is refused before BouncyCastle validates it, which costs seconds of CPU.</summary>
        public const int MaxRsaKeyBits = 8192;

        /// <summary>The longest p= value read: an 8192-bit SubjectPublicKeyInfo is about 1,400 base64 characters.</summary>
        public const int MaxPublicKeyBase64Length = 4096;

        /// <summary>Keys already parsed, by type and bytes, up to a bound: past it the cache starts over (a wildcard
        /// domain serves one key for every selector; a flood of distinct keys must not grow memory).</summary>
        internal sealed class ParsedKeyCache
        {
            private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<ParsedKey>> _keys =
                new System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<ParsedKey>>(StringComparer.Ordinal);
            private readonly int _limit;

            internal ParsedKeyCache(int limit) => _limit = limit;

            internal int Count => _keys.Count;

            internal ParsedKey GetOrParse(string keyType, byte[] data)
            {
                var cacheKey = (keyType ?? "").ToLowerInvariant() + ":" + Convert.ToBase64String(data);
                if (_keys.Count > _limit) _keys.Clear();
                return _keys.GetOrAdd(cacheKey, _ => new Lazy<ParsedKey>(() =>
                {
                    try { return new ParsedKey { Key = ParsePublicKeyOnce(keyType, data) }; }
                    catch (DkimKeyRejectedException ex) { return new ParsedKey { Error = ex }; }
                })).Value;
            }
        }

        private static readonly ParsedKeyCache SharedKeys = new ParsedKeyCache(256);

        internal sealed class ParsedKey
        {
            public AsymmetricKeyParameter? Key;
            public DkimKeyRejectedException? Error;
        }

        /// <summary>Parses a p= value for a key type. RSA accepts a SubjectPublicKeyInfo (what everyone publishes)
        /// or a bare PKCS#1 RSAPublicKey; Ed25519 wants exactly 32 bytes (RFC 8463 §4.2). An RSA modulus over
        /// <see cref="MaxRsaKeyBits"/> bits, or an exponent that is not an odd number of at least 3, is refused before
        /// any expensive step. Each distinct key is parsed once (a wildcard domain serves the same key for every
        /// selector). Throws <see cref="DkimKeyRejectedException"/> (a <see cref="FormatException"/>).</summary>
        public static AsymmetricKeyParameter? ParsePublicKey(string keyType, byte[] data) => ParsePublicKey(keyType, data, SharedKeys);

        /// <summary>As <see cref="ParsePublicKey(string, byte[])"/>, with the parsed keys kept in <paramref name="cache"/>.</summary>
        internal static AsymmetricKeyParameter? ParsePublicKey(string keyType, byte[] data, ParsedKeyCache cache)
        {
            var parsed = cache.GetOrParse(keyType, data);
            if (parsed.Error != null) throw new DkimKeyRejectedException(parsed.Error.Code, parsed.Error.Message, parsed.Error.KeyBits);
            return parsed.Key;
        }

        private static AsymmetricKeyParameter ParsePublicKeyOnce(string? keyType, byte[] data)
        {
            if (string.Equals(keyType, "ed25519", StringComparison.OrdinalIgnoreCase))
            {
                if (data.Length != 32) throw new DkimKeyRejectedException("DkimKeyInvalid", $"an Ed25519 key is 32 bytes; p= holds {data.Length}");
                return new Ed25519PublicKeyParameters(data, 0);
            }
            RsaPublicKeyStructure rsa;
            try
            {
                var seq = Asn1Sequence.GetInstance(data);
                if (seq.Count == 2 && seq[0] is DerInteger)
                    rsa = RsaPublicKeyStructure.GetInstance(seq);
                else
                {
                    var spki = SubjectPublicKeyInfo.GetInstance(seq);
                    if (!PkcsObjectIdentifiers.RsaEncryption.Equals(spki.Algorithm.Algorithm))
                        throw new DkimKeyRejectedException("DkimKeyInvalid", $"p= holds a key of algorithm {spki.Algorithm.Algorithm.Id}, not RSA");
                    rsa = RsaPublicKeyStructure.GetInstance(spki.ParsePublicKey());
                }
            }
            catch (Exception ex) when (!(ex is DkimKeyRejectedException) && !(ex is OutOfMemoryException))
            {
                throw new DkimKeyRejectedException("DkimKeyInvalid", "p= is not a DER-encoded RSA public key", inner: ex);
            }
            int bits = rsa.Modulus.BitLength;
            if (bits > MaxRsaKeyBits)
                throw new DkimKeyRejectedException("DkimKeyTooLong",
                    $"the RSA key is {bits} bits, more than the {MaxRsaKeyBits} MailOps reads (RFC 8301 §3.2 asks verifiers for 1024 to 4096); verifiers may refuse it", bits);
            var e = rsa.PublicExponent;
            if (e.SignValue <= 0 || e.CompareTo(BigInteger.Three) < 0 || !e.TestBit(0) || e.CompareTo(rsa.Modulus) >= 0)
                throw new DkimKeyRejectedException("DkimKeyBadExponent",
                    $"the RSA public exponent is {(e.BitLength <= 64 ? e.ToString() : e.BitLength + "-bit")}; it must be an odd number of at least 3 (65537 in practice), "
                    + "and with this one signatures prove nothing", bits);
            try
            {
                return new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent);
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                throw new DkimKeyRejectedException("DkimKeyInvalid", "p= is not a usable RSA public key: " + ex.Message, bits, ex);
            }
        }

        public static bool SamePublicKey(AsymmetricKeyParameter a, AsymmetricKeyParameter b)
        {
            if (a is RsaKeyParameters ra && b is RsaKeyParameters rb)
                return ra.Modulus.Equals(rb.Modulus) && ra.Exponent.Equals(rb.Exponent);
            if (a is Ed25519PublicKeyParameters ea && b is Ed25519PublicKeyParameters eb)
                return ea.GetEncoded().SequenceEqual(eb.GetEncoded());
            return false;
        }

        internal static byte[] Ascii(string? s) => Encoding.ASCII.GetBytes(s);
    }

    /// <summary>A published key MailOps will not use, with the finding code that says why.</summary>
    internal sealed class DkimKeyRejectedException : FormatException
    {
        public DkimKeyRejectedException(string code, string message, int? keyBits = null, Exception? inner = null) : base(message, inner)
        {
            Code = code;
            KeyBits = keyBits;
        }

        /// <summary>DkimKeyInvalid, DkimKeyTooLong or DkimKeyBadExponent.</summary>
        public string Code { get; }

        /// <summary>The modulus size when it could be read.</summary>
        public int? KeyBits { get; }
    }
}
