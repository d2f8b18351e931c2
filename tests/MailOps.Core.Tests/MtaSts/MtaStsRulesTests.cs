using System;
using System.Linq;
using MailOps.MtaSts;

namespace MailOps.Tests.MtaSts
{
    /// <summary>RFC 8461 rules with no network: MX pattern matching (§4.1), record (§3.1) and policy (§3.2) parsing, and
    /// New-MtaStsPolicy's output parsed back.</summary>
    public sealed class MtaStsRulesTests
    {
        [Theory]
        [InlineData("mail.example.com", "mail.example.com", true)]
        [InlineData("mail.example.com", "MAIL.Example.COM.", true)]
        [InlineData("mail.example.com.", "mail.example.com", true)]
        [InlineData("*.example.com", "mail.example.com", true)]
        [InlineData("*.example.com", "MX1.EXAMPLE.COM", true)]
        [InlineData("*.example.com", "example.com", false)]              // the wildcard never covers the parent
        [InlineData("*.example.com", "a.b.example.com", false)]          // nor two labels
        [InlineData("*.example.com", "mail.example.com.evil.net", false)]
        [InlineData("*.example.com", "mailexample.com", false)]
        [InlineData("mail.example.com", "mx.mail.example.com", false)]   // an exact pattern is exact
        [InlineData("*.mail.example.com", "mail.example.com", false)]
        public void Mx_patterns_match_as_RFC_8461_section_4_1_says(string pattern, string host, bool expected) =>
            Assert.Equal(expected, MtaStsRules.MxMatches(pattern, host));

        [Theory]
        [InlineData("mail.example.com", true)]
        [InlineData("*.example.com", true)]
        [InlineData("mail.*.example.com", false)]
        [InlineData("*mail.example.com", false)]
        [InlineData("**.example.com", false)]
        [InlineData("localhost", false)]
        [InlineData("mail..example.com", false)]
        [InlineData("-bad.example.com", false)]
        [InlineData("", false)]
        public void Mx_pattern_syntax(string pattern, bool valid) => Assert.Equal(valid, MtaStsRules.ValidateMxPattern(pattern) == null);

        [Theory]
        [InlineData("20261123000000", true)]
        [InlineData("a", true)]
        [InlineData("abcdefghijklmnopqrstuvwxyz012345", true)]   // 32
        [InlineData("abcdefghijklmnopqrstuvwxyz0123456", false)] // 33
        [InlineData("2026-11-23", false)]
        [InlineData("", false)]
        public void Policy_ids_are_1_to_32_letters_and_digits(string id, bool valid) => Assert.Equal(valid, MtaStsRules.IsValidId(id));

        [Fact]
        public void Record_without_id_or_with_bad_fields_fails()
        {
            var f = new System.Collections.Generic.List<Finding>();
            Assert.Null(MtaStsRules.ParseStsRecord("v=STSv1;", "_mta-sts.example.com", f));
            Assert.Equal(new[] { "MtaStsRecordMissingId" }, f.Select(x => x.Code));
            f.Clear();
            Assert.Equal("abc", MtaStsRules.ParseStsRecord("v=STSv1 ; id=abc ; ext=1;", "_mta-sts.example.com", f));
            Assert.Empty(f);
            Assert.Equal("x", MtaStsRules.ParseStsRecord("v=STSv1; id=x; broken", "_mta-sts.example.com", f));
            Assert.Equal(new[] { "MtaStsRecordSyntax" }, f.Select(x => x.Code));
        }

        [Fact]
        public void A_good_policy_parses_with_crlf_or_lf()
        {
            foreach (var body in new[] { MailOps.Testing.MtaStsTestSite.GoodPolicy, MailOps.Testing.MtaStsTestSite.GoodPolicy.Replace("\r\n", "\n") })
            {
                var p = MtaStsRules.ParsePolicy(body, "u");
                Assert.True(p.IsUsable);
                Assert.Equal("STSv1", p.Version);
                Assert.Equal("enforce", p.Mode);
                Assert.Equal(604800, p.MaxAge);
                Assert.Equal(new[] { "mx1.good.mtasts.example", "*.backup.mtasts.example" }, p.Mx);
                Assert.Empty(p.Findings);
            }
        }

        [Theory]
        [InlineData("mode: enforce\nmx: a.example.com\nmax_age: 86400\n", "PolicyVersionMissing")]
        [InlineData("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 86400\n", "PolicyVersionInvalid")]
        [InlineData("version: STSv1\nmode: Enforce\nmx: a.example.com\nmax_age: 86400\n", "PolicyModeInvalid")]
        [InlineData("version: STSv1\nmx: a.example.com\nmax_age: 86400\n", "PolicyModeMissing")]
        [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\n", "PolicyMaxAgeMissing")]
        [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557601\n", "PolicyMaxAgeTooLong")]
        [InlineData("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1w\n", "PolicyMaxAgeInvalid")]
        [InlineData("version: STSv1\nmode: enforce\nmax_age: 86400\n", "PolicyNoMx")]
        [InlineData("version: STSv1\nmode: enforce\nmx: a.*.example.com\nmax_age: 86400\n", "PolicyMxInvalid")]
        [InlineData("version: STSv1\nmode: enforce\nMX: a.example.com\nmax_age: 86400\n", "PolicyFieldNameCase")]
        [InlineData("version: STSv1\nmode enforce\nmx: a.example.com\nmax_age: 86400\n", "PolicySyntax")]
        public void Broken_policies_are_unusable_with_the_reason(string body, string code)
        {
            var p = MtaStsRules.ParsePolicy(body, "u");
            Assert.False(p.IsUsable);
            var f = Assert.Single(p.Findings, x => x.Code == code);
            Assert.Equal("Fail", f.Severity);
            Assert.False(string.IsNullOrEmpty(f.Remedy));
        }

        [Fact]
        public void Max_age_at_the_limit_is_fine_and_short_max_age_warns()
        {
            Assert.True(MtaStsRules.ParsePolicy("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557600\n", "u").IsUsable);
            var p = MtaStsRules.ParsePolicy("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 3600\n", "u");
            Assert.True(p.IsUsable);
            Assert.Equal("Warning", Assert.Single(p.Findings, x => x.Code == "PolicyMaxAgeShort").Severity);
        }

        [Fact]
        public void Mode_none_needs_no_mx_and_unknown_fields_are_ignored()
        {
            var p = MtaStsRules.ParsePolicy("version: STSv1\nmode: none\nmax_age: 86400\nfuture_field: 1\n", "u");
            Assert.True(p.IsUsable);
            Assert.Equal(new[] { "PolicyModeNone" }, p.Findings.Select(f => f.Code));
        }

        [Fact]
        public void New_policy_parses_back_and_carries_a_fresh_valid_id()
        {
            var t = MtaStsPolicyBuilder.Build("Example.COM.", new[] { "mail.example.com", "*.mx.example.net", "MAIL.example.com" }, "enforce", 1209600,
                new DateTime(2026, 11, 23, 9, 30, 5, DateTimeKind.Utc));
            Assert.Equal("example.com", t.Domain);
            Assert.Equal("20261123093005", t.Id);
            Assert.True(MtaStsRules.IsValidId(t.Id));
            Assert.Equal("_mta-sts.example.com", t.TxtRecordName);
            Assert.Equal("v=STSv1; id=20261123093005;", t.TxtRecordValue);
            Assert.Equal("_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id=20261123093005;\"", t.TxtRecord);
            Assert.Equal("https://mta-sts.example.com/.well-known/mta-sts.txt", t.PolicyUrl);
            Assert.Equal("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 1209600\r\n", t.Policy);
            var parsed = MtaStsRules.ParsePolicy(t.Policy, t.PolicyUrl);
            Assert.True(parsed.IsUsable);
            Assert.Empty(parsed.Findings);
            var f = new System.Collections.Generic.List<Finding>();
            Assert.Equal(t.Id, MtaStsRules.ParseStsRecord(t.TxtRecordValue, t.TxtRecordName, f));
            Assert.Empty(f);
        }

        [Theory]
        [InlineData("mail.*.example.com", "enforce", 86400)]
        [InlineData("mail.example.com", "enforcing", 86400)]
        [InlineData("mail.example.com", "enforce", 31557601)]
        [InlineData("mail.example.com", "enforce", 0)]
        public void New_policy_refuses_what_senders_would_reject(string mx, string mode, long maxAge) =>
            Assert.Throws<ArgumentException>(() => MtaStsPolicyBuilder.Build("example.com", new[] { mx }, mode, maxAge, DateTime.UtcNow));
    }
}
