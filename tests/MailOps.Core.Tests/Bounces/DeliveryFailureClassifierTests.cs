using System;
using System.IO;
using System.Linq;
using System.Reflection;
using MailOps.Bounces;

namespace MailOps.Tests.Bounces
{
    /// <summary>The one classifier of delivery failures: reasons from real provider replies, remedies that name the
    /// MailOps check, providers and blocklists recognised from data, and the data files themselves well-formed.</summary>
    public sealed class DeliveryFailureClassifierTests
    {
        private static DeliveryClassification C(int code, string? status, string text, string? host = null, string? rcpt = null, string? action = "failed") =>
            DeliveryFailureClassifier.Classify(new DeliveryFailureInput { ReplyCode = code, Status = status, Text = text, RemoteHost = host, Recipient = rcpt, Action = action });

        [Fact]
        public void Gmail_5_7_26_is_an_authentication_failure_whose_remedy_names_the_SPF_DKIM_and_DMARC_checks()
        {
            var c = C(550, "5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp",
                "gmail-smtp-in.l.google.com", "someone@gmail.com");
            Assert.Equal("authfailure", c.Reason);
            Assert.True(c.Deliverability);
            Assert.False(c.HardBounce);
            Assert.Equal("Gmail", c.Provider);
            Assert.Equal("Test-MailSpf", c.RemedyCommand);
            Assert.Contains("Test-MailDkim", c.Remedy);
            Assert.Contains("Test-MailDmarc", c.Remedy);
            Assert.Contains("support.google.com", c.Remedy);
        }

        [Fact]
        public void A_Spamhaus_listing_is_blocked_names_the_list_and_points_to_Get_DnsblListing()
        {
            var c = C(554, "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.25");
            Assert.Equal("blocked", c.Reason);
            Assert.Equal("Spamhaus", c.Blocklist);
            Assert.Equal("Get-DnsblListing", c.RemedyCommand);
            Assert.Contains("check.spamhaus.org", c.Remedy);
        }

        [Fact]
        public void Microsoft_S3140_banned_sending_ip_is_blocked_by_Microsoft_with_the_delisting_portal()
        {
            var c = C(550, "5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.25]. To request removal from this list please visit https://sender.office.com/ and follow the directions. (AS16012609)",
                "example-com.mail.protection.outlook.com");
            Assert.Equal("blocked", c.Reason);
            Assert.Equal("Microsoft", c.Provider);
            Assert.Equal("Microsoft S3140", c.Blocklist);
            Assert.Contains("sender.office.com", c.Remedy);
        }

        [Fact]
        public void Missing_reverse_DNS_points_to_Test_MailPtr()
        {
            var c = C(550, "5.7.25", "550-5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp");
            Assert.Equal("requireptr", c.Reason);
            Assert.Equal("Test-MailPtr", c.RemedyCommand);
        }

        [Fact]
        public void A_Gmail_rate_limit_deferral_is_toomanyconn_with_the_warm_up_advice()
        {
            var c = C(421, "4.7.28", "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. - gsmtp",
                "gmail-smtp-in.l.google.com", action: "delayed");
            Assert.Equal("toomanyconn", c.Reason);
            Assert.Equal("Gmail", c.Provider);
            Assert.Contains("New-MailWarmupPlan", c.Remedy);
        }

        [Fact]
        public void Yahoo_TSS04_user_complaints_is_bad_reputation()
        {
            var c = C(421, "4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints", "mta5.am0.yahoodns.net", action: "delayed");
            Assert.Equal("badreputation", c.Reason);
            Assert.Equal("Yahoo/AOL", c.Provider);
        }

        [Fact]
        public void A_TLS_requirement_is_a_security_error_checked_with_Test_SmtpService()
        {
            var c = C(530, "5.7.0", "530 5.7.0 Must issue a STARTTLS command first");
            Assert.Equal("securityerror", c.Reason);
            Assert.Equal("Test-SmtpService", c.RemedyCommand);
        }

        [Theory]
        [InlineData(550, "5.1.1", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table", "userunknown", true)]
        [InlineData(552, "5.2.2", "552 5.2.2 The email account that you tried to reach is over quota.", "mailboxfull", false)]
        [InlineData(550, null, "Host or domain name not found. Name service error for name=nx.example type=MX: Host not found", "hostunknown", true)]
        [InlineData(552, "5.3.4", "552 5.3.4 Message size exceeds fixed limit", "mesgtoobig", false)]
        [InlineData(0, "4.4.1", "connect to mx.example.org[192.0.2.1]:25: Connection timed out", "expired", false)]
        public void Recipient_side_failures_get_their_reason_and_hardness(int code, string? status, string text, string reason, bool hard)
        {
            var c = C(code, status, text);
            Assert.Equal(reason, c.Reason);
            Assert.Equal(hard, c.HardBounce);
        }

        [Fact]
        public void A_delay_with_the_same_timeout_is_a_network_error_not_an_expiry()
        {
            var c = C(0, "4.4.1", "connect to mx.example.org[192.0.2.1]:25: Connection timed out", action: "delayed");
            Assert.Equal("networkerror", c.Reason);
            Assert.False(c.HardBounce);
        }

        [Fact]
        public void Without_an_enhanced_status_the_reason_code_is_reported_and_marked_inferred()
        {
            var c = C(550, null, "550 Unrouteable address... User unknown");
            Assert.Equal("userunknown", c.Reason);
            Assert.Equal("5.0.911", c.Status);
            Assert.True(c.StatusInferred);
        }

        [Fact]
        public void Every_rule_reason_is_in_the_taxonomy_every_rule_has_a_source_and_every_reason_a_remedy()
        {
            var asm = typeof(DeliveryFailureClassifier).Assembly;
            using var stream = asm.GetManifestResourceStream("MailOps.Bounces.bounce-rules.tsv")!;
            var rows = new StreamReader(stream).ReadToEnd().Split('\n').Where(l => l.Length > 0 && l[0] != '#').Skip(1).Select(l => l.TrimEnd('\r').Split('\t')).ToList();
            Assert.True(rows.Count > 50);
            foreach (var r in rows)
            {
                Assert.Equal(4, r.Length);
                Assert.NotNull(DeliveryFailureClassifier.GetReason(r[0]));
                Assert.Contains(r[1], new[] { "text", "status", "code", "action", "stage", "domain", "failed-status", "failed-text" });
                Assert.False(string.IsNullOrWhiteSpace(r[3]), "rule without a source: " + string.Join("\t", r));
            }
            foreach (var name in new[] { "blocked", "badreputation", "requireptr", "authfailure", "spamdetected", "policyviolation", "rejected", "toomanyconn",
                "securityerror", "notcompliantrfc", "userunknown", "hostunknown", "mailboxfull", "mesgtoobig", "expired", "networkerror" })
            {
                var reason = DeliveryFailureClassifier.GetReason(name);
                Assert.NotNull(reason);
                Assert.False(string.IsNullOrWhiteSpace(reason!.Remedy));
                Assert.StartsWith("http", reason.Source);
            }
        }
    }
}
