using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Testing;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using ArRecordType = ARSoft.Tools.Net.Dns.RecordType;

namespace MailOps.Tests.Dkim
{
    /// <summary>Key records built to cost time or to pass when they must not: refused early, as findings.</summary>
    public sealed class DkimHostileKeyTests : IDisposable
    {
        private readonly FixtureDnsServer _server = FixtureDnsServer.Start();

        public void Dispose() => _server.Dispose();

        /// <summary>A SubjectPublicKeyInfo (base64) with a random odd modulus of <paramref name="bits"/> bits.</summary>
        private static string Spki(int bits, long exponent)
        {
            // Random, odd and composite, with no prime factor under 2000: BouncyCastle refuses a modulus with a small factor,
            // and one that is prime (which a random odd number with no small factor is, one time in about 25 at 1024 bits:
            // this made the tests that parse such keys fail at random).
            var small = Enumerable.Range(3, 2000).Where(n => Enumerable.Range(2, (int)Math.Sqrt(n)).All(d => d == n || n % d != 0))
                .Aggregate(BigInteger.One, (acc, n) => acc.Multiply(BigInteger.ValueOf(n)));
            var random = new SecureRandom();
            BigInteger modulus;
            do modulus = new BigInteger(bits, random).SetBit(bits - 1).SetBit(0);
            while (!modulus.Gcd(small).Equals(BigInteger.One) || modulus.IsProbablePrime(20));
            var spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(PkcsObjectIdentifiers.RsaEncryption, Org.BouncyCastle.Asn1.DerNull.Instance),
                new RsaPublicKeyStructure(modulus, BigInteger.ValueOf(exponent)));
            return Convert.ToBase64String(spki.GetDerEncoded());
        }

        private void Publish(string name, string record)
        {
            var bytes = Encoding.ASCII.GetBytes(record);
            _server.AddRawText(name, ArRecordType.Txt, 300,
                Enumerable.Range(0, (bytes.Length + 254) / 255).Select(i => bytes.Skip(i * 255).Take(255).ToArray()));
        }

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(3), 0));

        [Fact]
        public async Task A_key_over_8192_bits_is_a_finding_and_costs_no_validation()
        {
            Publish("huge._domainkey.hostile.example", "v=DKIM1; k=rsa; p=" + Spki(16384, 65537));
            var sw = Stopwatch.StartNew();
            var r = await DkimRecordCheck.RunAsync(Dns(), "hostile.example", "huge", null, CancellationToken.None);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}"); // BouncyCastle's validation alone takes ~8 s
            Assert.Equal("Fail", r.Status);
            Assert.Equal(16384, r.KeySize);
            var f = Assert.Single(r.Findings, x => x.Code == "DkimKeyTooLong");
            Assert.Contains("8192", f.Message);
        }

        [Theory]
        [InlineData(1L)]
        [InlineData(2L)]
        [InlineData(65536L)]
        public async Task An_exponent_that_is_not_odd_and_at_least_3_fails(long exponent)
        {
            Publish($"e{exponent}._domainkey.hostile.example", "v=DKIM1; k=rsa; p=" + Spki(2048, exponent));
            var r = await DkimRecordCheck.RunAsync(Dns(), "hostile.example", $"e{exponent}", null, CancellationToken.None);
            Assert.Equal("Fail", r.Status);
            Assert.Equal(2048, r.KeySize);
            var f = Assert.Single(r.Findings, x => x.Code == "DkimKeyBadExponent");
            Assert.Contains(exponent.ToString(), f.Message);
        }

        [Fact]
        public void A_megabyte_p_is_refused_before_decoding()
        {
            var text = "v=DKIM1; k=rsa; p=" + new string('A', 1 << 20);
            var sw = Stopwatch.StartNew();
            var rec = DkimKeyRecord.Parse(text);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
            Assert.Equal("DkimKeyTooLong", rec.KeyProblemCode);
            Assert.Null(rec.PublicKey);
        }

        [Fact]
        public void Each_distinct_key_is_parsed_once()
        {
            // A cache of its own: the shared one is bounded and shared by every test running in parallel, which may fill
            // and restart it between the two parses (this test failed that way in CI).
            var cache = new DkimKeyMaterial.ParsedKeyCache(limit: 4);
            var der = Convert.FromBase64String(Spki(2048, 3));
            var a = DkimKeyMaterial.ParsePublicKey("rsa", der, cache);
            var b = DkimKeyMaterial.ParsePublicKey("RSA", (byte[])der.Clone(), cache);
            Assert.NotNull(a);
            Assert.Same(a, b);
            // Bounded: past its limit the cache starts over rather than growing.
            for (int e = 5; e < 25; e += 2) DkimKeyMaterial.ParsePublicKey("rsa", Convert.FromBase64String(Spki(1024, e)), cache);
            Assert.InRange(cache.Count, 1, 5);
            // The records use the shared cache: the same p= in two records gives one key object there too.
            var p = Spki(2048, 3);
            Assert.NotNull(DkimKeyRecord.Parse("v=DKIM1; k=rsa; p=" + p).PublicKey);
        }

        [Fact]
        public async Task A_wildcard_of_huge_keys_makes_the_selector_search_no_slower()
        {
            var record = "v=DKIM1; k=rsa; p=" + Spki(16384, 65537);
            _server.LoadMasterFile("*._domainkey.wild.example. 300 IN TXT "
                + string.Join(" ", Enumerable.Range(0, (record.Length + 249) / 250).Select(i => "\"" + record.Substring(i * 250, Math.Min(250, record.Length - i * 250)) + "\"")) + "\n");
            var candidates = Enumerable.Range(0, 40).Select(i => new DkimSelectorInfo($"s{i}", "test", "test")).ToList();
            var sw = Stopwatch.StartNew();
            var found = (await DkimSelectorSearch.RunAsync(Dns(), "wild.example", candidates, 8, null, CancellationToken.None)).Found;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
            Assert.Equal(40, found.Count);
            Assert.All(found, r => Assert.Contains(r.Findings, f => f.Code == "DkimKeyTooLong"));
            Assert.All(found, r => Assert.Contains(r.Findings, f => f.Code == "DkimWildcardRecord"));
        }

        [Fact]
        public async Task Nul_and_escape_bytes_in_a_key_record_are_a_finding_and_never_displayed_raw()
        {
            Publish("nul._domainkey.hostile.example", "v=DKIM1; k=rsa\0; x\u001b[31m=1; p=" + Spki(2048, 65537));
            var r = await DkimRecordCheck.RunAsync(Dns(), "hostile.example", "nul", null, CancellationToken.None);
            Assert.Equal("Fail", r.Status);
            Assert.Contains("\0", r.Record);                                   // the value as published
            Assert.All(r.Findings, f => Assert.False(TextSafety.HasControlCharacters(f.Message), f.Message));
            Assert.False(TextSafety.HasControlCharacters(r.ToString()));
        }
    }
}
