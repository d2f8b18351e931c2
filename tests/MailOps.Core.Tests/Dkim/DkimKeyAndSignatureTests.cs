using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dkim;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dkim
{
    /// <summary>Temporary directory, removed after the test.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mailops-dkim-" + Guid.NewGuid().ToString("N")));

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, true); } catch (IOException) { }
        }
    }

    /// <summary>New-DkimKey's engine: formats, the zone-file line, file permissions and no silent overwrite.</summary>
    public sealed class DkimKeyGeneratorTests
    {
        [Fact]
        public void Rsa_key_files_opendkim_layout_pem_and_zone_line()
        {
            using var dir = new TempDir();
            var key = DkimKeyGenerator.Create(dir.Path, "mail", "example.com", "Rsa", 2048, force: false);
            Assert.Equal("mail._domainkey.example.com", key.DnsName);
            Assert.Equal(2048, key.KeySize);
            Assert.Equal("Rsa", key.Algorithm);
            Assert.Equal(dir.File("mail.private"), key.PrivateKeyPath);
            Assert.Equal(dir.File("mail.txt"), key.TxtPath);
            Assert.Null(key.SeedPath);
            Assert.StartsWith("v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", key.TxtValue);
            Assert.Equal(key.TxtValue, string.Concat(key.TxtStrings));
            Assert.All(key.TxtStrings, s => Assert.True(Encoding.ASCII.GetByteCount(s) <= 255));
            Assert.True(key.TxtStrings.Count >= 3);

            var pem = File.ReadAllText(key.PrivateKeyPath);
            Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", pem);
            Assert.Equal(key.ZoneFileLine, File.ReadAllText(key.TxtPath));
            Assert.StartsWith("mail._domainkey.example.com.\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n\t  \"p=", key.ZoneFileLine);
            Assert.EndsWith(" )  ; ----- DKIM key mail for example.com\n", key.ZoneFileLine);

            // The private key read back is the pair of the published key.
            var priv = DkimKeyMaterial.ReadPrivateKey(pem);
            Assert.Equal(key.TxtValue.Substring(key.TxtValue.IndexOf("p=", StringComparison.Ordinal) + 2), DkimKeyMaterial.PublicKeyBase64(priv.Public));
        }

        [Fact]
        public async Task Zone_line_is_read_the_same_by_MailOps_and_by_an_independent_parser()
        {
            using var dir = new TempDir();
            var key = DkimKeyGenerator.Create(dir.Path, "s2026", "example.org", "Rsa", 4096, force: false);
            var zone = "example.org. 3600 IN SOA ns.example.org. h.example.org. 1 2 3 4 5\n$TTL 3600\n" + File.ReadAllText(key.TxtPath);
            var parsed = MasterFileParser.Parse(zone, "test.zone");
            var txt = Assert.Single(parsed.Records.OfType<TxtRecord>());
            Assert.Equal(key.TxtValue, txt.Text);
            Assert.Equal(key.TxtStrings.ToArray(), txt.Strings.ToArray());

            using var server = FixtureDnsServer.StartWithZone(zone);
            var dns = new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(3), 0);
            var answer = await dns.QueryAsync("s2026._domainkey.example.org", DnsRecordType.TXT, CancellationToken.None);
            Assert.Equal(key.TxtValue, Assert.Single(answer.RecordsOf<TxtRecord>()).Text);
            Assert.Equal(4096, key.KeySize);
        }

        [Fact]
        public void Ed25519_key_writes_pkcs8_pem_and_the_dkimpy_rspamd_seed()
        {
            using var dir = new TempDir();
            var key = DkimKeyGenerator.Create(dir.Path, "ed", "example.com", "Ed25519", 0, force: false);
            Assert.Equal(256, key.KeySize);
            Assert.Equal("Ed25519", key.Algorithm);
            Assert.Matches("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$", key.TxtValue);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", File.ReadAllText(key.PrivateKeyPath));
            var seed = Convert.FromBase64String(File.ReadAllText(key.SeedPath!).Trim());
            Assert.Equal(32, seed.Length);
            var fromPem = DkimKeyMaterial.ReadPrivateKey(File.ReadAllText(key.PrivateKeyPath));
            var fromSeed = DkimKeyMaterial.ReadPrivateKey(File.ReadAllText(key.SeedPath!));
            Assert.True(DkimKeyMaterial.SamePublicKey(fromPem.Public, fromSeed.Public));
            Assert.EndsWith(DkimKeyMaterial.PublicKeyBase64(fromSeed.Public), key.TxtValue);
        }

        [Fact]
        public void Private_key_files_are_0600_on_unix()
        {
            if (OperatingSystem.IsWindows()) return; // Windows: owner-only DACL, set at creation (not testable here)
            using var dir = new TempDir();
            var rsa = DkimKeyGenerator.Create(dir.Path, "r", "example.com", "Rsa", 1024, force: false);
            var ed = DkimKeyGenerator.Create(dir.Path, "e", "example.com", "Ed25519", 0, force: false);
            foreach (var f in new[] { rsa.PrivateKeyPath, ed.PrivateKeyPath, ed.SeedPath! })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
            // No temporary files are left behind.
            Assert.Equal(5, Directory.GetFiles(dir.Path).Length);
        }

        [Fact]
        public void Second_key_to_the_same_path_without_force_fails_and_keeps_the_first()
        {
            using var dir = new TempDir();
            var first = DkimKeyGenerator.Create(dir.Path, "mail", "example.com", "Rsa", 1024, force: false);
            var before = File.ReadAllBytes(first.PrivateKeyPath);
            var txtBefore = File.ReadAllBytes(first.TxtPath);
            var ex = Assert.Throws<FileExistsException>(() => DkimKeyGenerator.Create(dir.Path, "mail", "example.com", "Rsa", 1024, force: false));
            Assert.Equal(first.PrivateKeyPath, ex.Path);
            Assert.Equal(before, File.ReadAllBytes(first.PrivateKeyPath));
            Assert.Equal(txtBefore, File.ReadAllBytes(first.TxtPath));

            // Only the .txt left over from an earlier run is enough to refuse, and nothing new is written.
            File.Delete(first.PrivateKeyPath);
            Assert.Throws<FileExistsException>(() => DkimKeyGenerator.Create(dir.Path, "mail", "example.com", "Rsa", 1024, force: false));
            Assert.False(File.Exists(first.PrivateKeyPath));

            var forced = DkimKeyGenerator.Create(dir.Path, "mail", "example.com", "Rsa", 1024, force: true);
            Assert.NotEqual(txtBefore, File.ReadAllBytes(forced.TxtPath));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(forced.PrivateKeyPath));
        }

        [Fact]
        public void Private_key_reader_takes_the_formats_signers_use_and_says_what_is_wrong()
        {
            // dkimpy's own test keys: PKCS#1 PEM, PKCS#8 PEM (OpenSSL 3), base64 without markers.
            var rfc = DkimKeyMaterial.ReadPrivateKey(File.ReadAllText(Paths.Fixture("dkim", "rfc8463-brisbane.seed")));
            Assert.Equal("ed25519", rfc.KeyType);
            Assert.Equal("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", DkimKeyMaterial.PublicKeyBase64(rfc.Public)); // RFC 8463 A.2
            Assert.Equal(2048, DkimKeyMaterial.ReadPrivateKey(File.ReadAllText(Paths.Fixture("dkim", "good.private"))).KeySize);
            Assert.Contains("neither PEM nor base64", Assert.Throws<FormatException>(() => DkimKeyMaterial.ReadPrivateKey("hello world!")).Message);
            Assert.Contains("empty", Assert.Throws<FormatException>(() => DkimKeyMaterial.ReadPrivateKey("  ")).Message);
            Assert.Contains("not a private key", Assert.Throws<FormatException>(() => DkimKeyMaterial.ReadPrivateKey(
                "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n")).Message);
        }
    }

    /// <summary>Test-DkimSignature's engine: RFC 8463's example, and interop both ways with dkimpy.</summary>
    public sealed class DkimSignatureCheckTests : IDisposable
    {
        private readonly FixtureDnsServer _server;
        private readonly TempDir _dir = new();

        private const string Message =
            "From: Joe <joe@example.com>\r\nTo: Sue <sue@example.net>\r\nSubject: Lunch\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n" +
            "Message-ID: <lunch-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nAre you hungry yet?\r\n\r\nJoe.\r\n";

        public DkimSignatureCheckTests()
        {
            _server = FixtureDnsServer.Start();
            foreach (var z in DkimRecordCheckTests.Zones) _server.LoadMasterFileFromPath(Paths.DnsFixture(z));
            _server.LoadMasterFile("example.com. 3600 IN SOA ns.example.com. h.example.com. 1 2 3 4 5\n");
        }

        public void Dispose()
        {
            _server.Dispose();
            _dir.Dispose();
        }

        private IDnsResolver Dns() => new CachingDnsResolver(new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), 0));

        private Task<DkimMessageCheckResult> Check(string path) => DkimSignatureCheck.CheckFileAsync(Dns(), path, CancellationToken.None);

        private string Write(string name, string text)
        {
            var p = _dir.File(name);
            File.WriteAllText(p, text);
            return p;
        }

        /// <summary>Publishes the .txt New-DkimKey wrote, as the fixture server's own parser reads it.</summary>
        private void Publish(DkimKey key) => _server.LoadMasterFile("$TTL 3600\n" + File.ReadAllText(key.TxtPath));

        [Theory, MemberData(nameof(DkimRecordCheckTests.Paths2), MemberType = typeof(DkimRecordCheckTests))]
        public async Task Rfc8463_example_message_passes_both_signatures(string path)
        {
            var dns = DkimRecordCheckTests.Resolver(path, _server);
            var r = await DkimSignatureCheck.CheckFileAsync(dns, Paths.Fixture("dkim", "rfc8463-a3.eml"), CancellationToken.None);
            Assert.Equal(2, r.Signatures.Count);
            var ed = r.Signatures[0];
            Assert.Equal(("pass", "ed25519-sha256", "brisbane", "football.example.com", "relaxed/relaxed"), (ed.Result, ed.Algorithm, ed.Selector, ed.Domain, ed.Canonicalization));
            Assert.Equal(new DateTime(2018, 6, 10, 13, 38, 29, DateTimeKind.Utc), ed.SignedAt);
            Assert.True(ed.FromSigned);
            Assert.Equal(new[] { "from", "to", "subject", "date", "message-id", "from", "subject", "date" }, ed.SignedHeaders);
            Assert.Equal("ed25519", ed.KeyType);
            var rsa = r.Signatures[1];
            Assert.Equal(("pass", "rsa-sha256", "test", 1024), (rsa.Result, rsa.Algorithm, rsa.Selector, rsa.KeySize));
            Assert.Null(r.Arc);
        }

        [DkimpyTheory]
        [InlineData("Rsa", 2048)]
        [InlineData("Ed25519", 0)]
        public async Task Key_from_New_DkimKey_signed_by_dkimpy_passes_with_the_published_txt(string algorithm, int size)
        {
            Dkimpy.Require();
            var key = DkimKeyGenerator.Create(_dir.Path, "s1", "example.com", algorithm, size, force: false);
            Publish(key);
            var signed = _dir.File("signed.eml");
            // dkimpy reads the PEM for RSA and the base64 seed for Ed25519.
            Dkimpy.Sign(Write("plain.eml", Message), signed, "s1", "example.com", algorithm == "Rsa" ? key.PrivateKeyPath : key.SeedPath!, algorithm.ToLowerInvariant());
            var r = Assert.Single((await Check(signed)).Signatures);
            Assert.Equal("pass", r.Result);
            Assert.Null(r.Reason);
            Assert.Equal(algorithm == "Rsa" ? "rsa-sha256" : "ed25519-sha256", r.Algorithm);
            Assert.Equal(algorithm == "Rsa" ? 2048 : 256, r.KeySize);
            Assert.Empty(r.Findings);

            // Tampered body, then tampered header.
            var text = File.ReadAllText(signed);
            var body = await Check(Write("body.eml", text.Replace("Are you hungry yet?", "Are you angry yet?")));
            Assert.Equal("fail", body.Signatures[0].Result);
            Assert.Contains("body hash", body.Signatures[0].Reason);
            var header = await Check(Write("header.eml", text.Replace("Subject: Lunch", "Subject: Lunch is cancelled")));
            Assert.Equal("fail", header.Signatures[0].Result);
            Assert.Contains("signature did not verify", header.Signatures[0].Reason);
        }

        [DkimpyTheory]
        [InlineData("rsa")]
        [InlineData("ed25519")]
        public async Task Message_signed_by_dkimpy_with_its_own_key_passes(string keyType)
        {
            Dkimpy.Require();
            var (keyFile, dnsFile) = Dkimpy.NewKey(_dir.Path, "own" + keyType, keyType);
            var txt = File.ReadAllText(dnsFile).Trim();
            var strings = string.Join(" ", Enumerable.Range(0, (txt.Length + 254) / 255).Select(i => "\"" + txt.Substring(i * 255, Math.Min(255, txt.Length - i * 255)) + "\""));
            _server.LoadMasterFile($"own{keyType}._domainkey.example.com. 3600 IN TXT {strings}\n");
            var signed = _dir.File("signed.eml");
            Dkimpy.Sign(Write("plain.eml", Message), signed, "own" + keyType, "example.com", keyFile, keyType);
            var r = Assert.Single((await Check(signed)).Signatures);
            Assert.Equal("pass", r.Result);
            Assert.Equal(keyType == "rsa" ? 2048 : 256, r.KeySize);
        }

        [DkimpyFact]
        public async Task Body_length_tag_is_reported_as_a_warning()
        {
            Dkimpy.Require();
            var key = DkimKeyGenerator.Create(_dir.Path, "len", "example.com", "Rsa", 1024, force: false);
            Publish(key);
            var signed = _dir.File("signed.eml");
            Dkimpy.Sign(Write("plain.eml", Message), signed, "len", "example.com", key.PrivateKeyPath, "rsa", bodyLength: true);
            var r = Assert.Single((await Check(signed)).Signatures);
            Assert.Equal("pass", r.Result);
            Assert.Equal(Encoding.ASCII.GetByteCount("Are you hungry yet?\r\n\r\nJoe.\r\n"), r.BodyLengthTag);
            Assert.Equal("DkimBodyLengthTag", Assert.Single(r.Findings).Code);
            // Content appended below l= still passes: that is why l= is a warning.
            var appended = await Check(Write("appended.eml", File.ReadAllText(signed) + "Click here: http://phish.example/\r\n"));
            Assert.Equal("pass", appended.Signatures[0].Result);
        }

        [Fact]
        public async Task Dns_timeout_fetching_the_key_is_temperror_never_fail()
        {
            _server.SetFault("brisbane._domainkey.football.example.com", FixtureDnsServer.Fault.Timeout);
            var r = await Check(Paths.Fixture("dkim", "rfc8463-a3.eml"));
            Assert.Equal("temperror", r.Signatures[0].Result);
            Assert.Contains("timed out", r.Signatures[0].Reason);
            Assert.Equal("pass", r.Signatures[1].Result);
        }

        [Fact]
        public async Task Unsigned_missing_key_revoked_key_and_malformed_signatures()
        {
            var unsigned = Assert.Single((await Check(Write("u.eml", Message))).Signatures);
            Assert.Equal(("none", 0), (unsigned.Result, unsigned.Index));

            var rfc = File.ReadAllText(Paths.Fixture("dkim", "rfc8463-a3.eml"));
            var noKey = await Check(Write("nokey.eml", rfc.Replace("s=brisbane", "s=gone")));
            Assert.Equal("permerror", noKey.Signatures[0].Result);
            Assert.Contains("no key", noKey.Signatures[0].Reason);

            var revoked = await Check(Write("rev.eml", rfc.Replace("d=football.example.com; i=@football.example.com;\r\n q=dns/txt; s=test", "d=dkim.example;\r\n q=dns/txt; s=revoked")));
            Assert.Equal("permerror", revoked.Signatures[1].Result);
            Assert.Contains("revoked", revoked.Signatures[1].Reason);

            var malformed = await Check(Write("bad.eml", rfc.Replace("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;", "")));
            Assert.Equal("neutral", malformed.Signatures[0].Result);
            Assert.Contains("bh=", malformed.Signatures[0].Reason);

            var sha1 = await Check(Write("sha1.eml", rfc.Replace("a=rsa-sha256", "a=rsa-sha1")));
            Assert.Equal("permerror", sha1.Signatures[1].Result);
            Assert.Contains("RFC 8301", sha1.Signatures[1].Reason);
        }

        [DkimpyFact]
        public async Task Arc_chain_from_dkimpy_validates_and_a_tampered_one_fails()
        {
            Dkimpy.Require();
            var withAr = "Authentication-Results: mx.dkim.example; dkim=pass header.d=example.com\r\n" + Message;
            var sealedPath = _dir.File("arc.eml");
            Dkimpy.ArcSign(Write("in.eml", withAr), sealedPath, "good", "dkim.example", Paths.Fixture("dkim", "good.private"), "mx.dkim.example");
            var r = await Check(sealedPath);
            Assert.NotNull(r.Arc);
            Assert.Equal("pass", r.Arc!.Result);
            Assert.Equal(1, r.Arc.Instances);
            Assert.Equal("pass", r.Arc.MessageSignature);
            Assert.Equal(new[] { "i=1 d=dkim.example s=good: pass" }, r.Arc.Seals);

            var tampered = await Check(Write("arc-bad.eml", File.ReadAllText(sealedPath).Replace("hungry", "angry")));
            Assert.Equal("fail", tampered.Arc!.Result);
            Assert.Contains("MessageSignatureValidationFailed", tampered.Arc.Errors);

            _server.SetFault("good._domainkey.dkim.example", FixtureDnsServer.Fault.Timeout);
            var temp = await Check(sealedPath);
            Assert.Equal("temperror", temp.Arc!.Result);
        }

        [Fact]
        public async Task Unreadable_file_is_an_exception_naming_the_file()
        {
            var ex = await Assert.ThrowsAsync<MessageFileException>(() => Check(_dir.File("missing.eml")));
            Assert.Contains("missing.eml", ex.Message);
        }
    }
}
