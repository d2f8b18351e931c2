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
        public void A_diagnostic_no_rule_decides_is_onhold_and_a_notice_that_says_nothing_about_the_recipient_is_undefined()
        {
            // Lotus Notes, localised: "Error (as a test message)": the report says something, MailOps cannot tell what.
            var said = DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Text = "エラー(テストメッセージとしての)", Action = "failed" });
            Assert.Equal("onhold", said.Reason);
            Assert.Equal("5.0.901", said.Status);
            Assert.True(said.StatusInferred);
            // Postfix "--- Delivery report unavailable ---": only the notice's boilerplate, nothing about this recipient.
            var silent = DeliveryFailureClassifier.Classify(new DeliveryFailureInput
            {
                Text = "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.",
                Action = "failed",
                TextIsNotice = true,
            });
            Assert.Equal("undefined", silent.Reason);
            Assert.Equal("5.0.900", silent.Status);
            // A delay says nothing more either: it is still being retried (expired, as before).
            Assert.Equal("expired", DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Text = "エラー", Action = "delayed" }).Reason);
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

        [Theory]
        // postgrey (Debian's default greylisting policy server for Postfix), as Postfix relays it
        [InlineData(451, "4.7.1", "451 4.7.1 <d@greylist.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/greylist.test.html")]
        // Postfix postscreen / rspamd / Exim greylisting wordings
        [InlineData(450, "4.2.0", "450 4.2.0 <d@example.org>: Recipient address rejected: Greylisted for 300 seconds")]
        [InlineData(451, "4.7.1", "451 4.7.1 Try again later (greylisting in action)")]
        [InlineData(451, null, "451 Temporary local problem - please try later: greylisted")]
        [InlineData(450, "4.7.1", "450 4.7.1 Client host rejected: Greylisting in action, please come back later")]
        public void A_greylisting_deferral_is_greylisted_not_an_unknown_user_and_nothing_to_remove(int code, string? status, string text)
        {
            var c = C(code, status, text, action: "delayed");
            Assert.Equal("greylisted", c.Reason);
            Assert.False(c.HardBounce);
            Assert.DoesNotContain("remove", c.Remedy, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public void A_host_or_domain_named_greylist_is_not_greylisting()
        {
            Assert.Equal("userunknown", C(550, "5.1.1", "550 5.1.1 <x@greylist.example>: Recipient address rejected: User unknown in virtual mailbox table").Reason);
            Assert.Equal("userunknown", C(550, "5.1.1", "550 5.1.1 User unknown (see http://mx.example/greylist.html)").Reason);
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
            var c = C(550, null, "550 <someone@example.net>... User unknown (in reply to RCPT TO command)");
            Assert.Equal("userunknown", c.Reason);
            Assert.Equal("5.0.911", c.Status);
            Assert.True(c.StatusInferred);
        }

        private static DeliveryClassification S(int code, string? status, string text, string? stage, string? rcpt = null) =>
            DeliveryFailureClassifier.Classify(new DeliveryFailureInput { ReplyCode = code, Status = status, Text = text, Stage = stage, Recipient = rcpt, Action = "failed" });

        [Theory]
        [InlineData("5.0.0", "DATA", "filtered", false)]   // accepted at RCPT TO, refused after DATA: a filter, the mailbox exists
        [InlineData("5.7.1", "DATA", "filtered", false)]
        [InlineData("5.1.1", "DATA", "userunknown", true)] // an explicit X.1.1 still means an unknown mailbox
        [InlineData("5.0.0", "RCPT", "userunknown", true)]
        [InlineData(null, "RCPT", "userunknown", true)]
        [InlineData(null, null, "filtered", false)]        // neither a status nor the stage: sisimai's "filtered" (docs/monitoring.md)
        public void A_user_unknown_reply_to_DATA_is_filtered_unless_the_status_says_bad_mailbox(string? status, string? stage, string reason, bool hard)
        {
            var c = S(550, status, $"550 {status} <someone@example.net>... User unknown".Replace("  ", " "), stage);
            Assert.Equal(reason, c.Reason);
            Assert.Equal(hard, c.HardBounce);
        }

        [Fact]
        public void A_user_unknown_with_X_2_0_is_filtered_and_with_X_2_1_stays_userunknown()
        {
            Assert.Equal("filtered", C(550, "5.2.0", "550 5.2.0 Unknown user someone@example.net").Reason);
            Assert.Equal("userunknown", C(550, "5.2.1", "550 5.2.1 <someone@example.net>... User Unknown").Reason);
        }

        [Theory]
        [InlineData("550 : User unknown", "filtered")]                         // au/KDDI reception-refusal setting
        [InlineData("550 <someone@ezweb.ne.jp>: User unknown (in reply to RCPT TO command)", "userunknown")] // a real unknown address there, refused at RCPT
        [InlineData("550 5.1.1 RCP-P2 http://postmaster.facebook.com/response_codes?ip=192.0.2.1#rcp Refused due to recipient preferences", "filtered")]
        public void Provider_wordings_for_a_recipient_side_filter_are_filtered(string text, string reason)
        {
            Assert.Equal(reason, C(550, null, text).Reason);
        }

        [Fact]
        public void X_1_10_alone_is_a_null_MX_and_Microsofts_recipient_not_found_wording_stays_userunknown()
        {
            var nullMx = C(556, "5.1.10", "");
            Assert.Equal("notaccept", nullMx.Reason);
            Assert.True(nullMx.HardBounce);
            Assert.Equal("userunknown", C(550, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup").Reason);
        }

        [Fact]
        public void DSN_field_text_with_rfc822_addresses_is_not_read_as_an_RFC_822_complaint()
        {
            var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput
            {
                Status = "4.0.0",
                Action = "delayed",
                Text = "Original-Recipient: rfc822;someone@example.net Final-Recipient: rfc822;someone@example.net Action: delayed Status: 4.0.0",
            });
            Assert.NotEqual("notcompliantrfc", c.Reason);
            Assert.Equal("notcompliantrfc", C(550, "5.7.1", "550-5.7.1 This message is not RFC 5322 compliant. There are multiple Subject headers.").Reason);
        }

        [Theory]
        [InlineData(554, null, "554 Service currently unavailable", "systemerror")]
        [InlineData(421, "4.2.0", "421 4.2.0 Service refused, please try later.", "systemerror")]
        [InlineData(550, "5.4.312", "550 5.4.312 Message expired, DNS query failed", "networkerror")]
        [InlineData(550, "5.4.316", "550 5.4.316 Message expired, connection refused(Socket error code 10061)", "networkerror")]
        [InlineData(0, null, "Delivery failed 20 attempts: someone@example.net", "expired")]
        [InlineData(553, null, "SMTP error from remote mail server after end of data: 553 relay.example.com does not exist", "hostunknown")]
        public void Server_and_network_wordings_name_their_cause(int code, string? status, string text, string reason)
        {
            Assert.Equal(reason, C(code, status, text).Reason);
        }

        [Fact]
        public void A_final_failure_keeps_the_cause_a_specific_temporary_code_names_and_X_4_7_is_an_expiry()
        {
            Assert.Equal("networkerror", C(0, "4.4.6", "").Reason);           // routing loop
            Assert.Equal("expired", C(0, "4.5.0", "").Reason);                // other protocol status: the queue gave up
            Assert.Equal("expired", C(0, "4.2.0", "").Reason);                // no detail: the queue gave up
            Assert.Equal("expired", C(0, "4.4.7", "Unable to deliver message, due to being unable to connect successfully to the destination mail server.").Reason);
            Assert.Equal("networkerror", C(0, "4.4.7", "unable to connect successfully to the destination mail server", action: "delayed").Reason);
        }

        [Fact]
        public void A_size_refusal_at_MAIL_FROM_is_a_size_problem_not_a_refused_sender()
        {
            Assert.Equal("exceedlimit", C(552, "5.2.3", "552 5.2.3 Message size exceeds fixed maximum message size (10485760) (in reply to MAIL FROM command)").Reason);
            Assert.Equal("mesgtoobig", S(552, "5.3.4", "552 5.3.4 Message too big", "MAIL").Reason);
            Assert.Equal("rejected", C(550, "5.0.0", "550 5.0.0 Not accepted (in reply to MAIL FROM command)").Reason);
        }

        [Fact]
        public void A_refusal_of_EHLO_is_blocked_and_points_to_the_blocklist_check()
        {
            var c = C(550, null, "SMTP error from remote mail server after EHLO mail.example.org: 550 Rejected");
            Assert.Equal("blocked", c.Reason);
            Assert.True(c.Deliverability);
            Assert.Equal("Get-DnsblListing", c.RemedyCommand);
            Assert.Equal("HELO", DeliveryFailureClassifier.StageOf("550 Rejected (in reply to EHLO command)"));
        }

        [Theory]
        [InlineData("550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]", "spamdetected")]
        [InlineData("550 5.7.1 Message refuse, verification DMARC en echec LPN007_517", "authfailure")]
        [InlineData("550 5.7.1 Service refuse. Veuillez essayer plus tard. OFR_107 [107]", "requireptr")]
        [InlineData("421 4.7.0 Trop de connexions simultanees. Too many concurrent connections. OFR_104 [104]", "toomanyconn")]
        [InlineData("421 4.7.0 Service refuse. OFR_989 [989]", "badreputation")]
        [InlineData("421 mwinf0000 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]", "blocked")]
        public void Orange_and_La_Poste_error_codes_give_their_documented_reason(string text, string reason)
        {
            var c = C(550, null, text);
            Assert.Equal(reason, c.Reason);
            Assert.True(c.Deliverability);
        }

        [Theory]
        // Postfix "Recipient address rejected: <cause>" from a policy service: the cause after the colon decides
        [InlineData(554, "5.3.0", "554 5.3.0 <rcpt@example.net>: Recipient address rejected: Mailer error", "mailererror")]
        [InlineData(554, "5.3.0", "554 5.3.0 <rcpt@example.net>: Recipient address rejected: Internal system error", "systemerror")]
        [InlineData(550, null, "550 <rcpt@example.net>: Recipient address rejected.", "userunknown")]
        [InlineData(550, "5.1.1", "550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown in local recipient table", "userunknown")]
        // qmail: a domain without MX or address accepts no mail; a domain that does not exist is hostunknown
        [InlineData(0, "5.4.4", "<rcpt@example.net>: Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", "notaccept")]
        [InlineData(0, "5.1.2", "<rcpt@nx.example>: Sorry, I couldn't find any host named nx.example. (#5.1.2)", "hostunknown")]
        [InlineData(0, "5.4.4", "Name service error for name=example.net type=MX: Malformed or unexpected name server reply", "notaccept")]
        // qmail-ldap: the receiver's directory failed, even if the queue then gave up
        [InlineData(0, "4.4.3", "<rcpt@example.net>: Unable to contact LDAP server. (#4.4.3) I'm not going to try again; this message has been in the queue too long.", "systemerror")]
        // "Temporary failure" with X.0.0 names no cause
        [InlineData(450, "4.0.0", "450 4.0.0 Temporary failure", "onhold")]
        // Orange / La Poste codes (OFR_nnn, LPNnnn_nnn) decide over the stage and the status class
        [InlineData(550, "5.5.0", "550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416", "userunknown")]
        [InlineData(554, "5.7.1", "554 5.7.1 <client.example.net[192.0.2.1]:49309>: Client host rejected: #216 lpn LPN000_630", "policyviolation")]
        [InlineData(550, "5.5.0", "550 5.5.0 Service refuse. Veuillez essayer plus tard. service refused, please try later. LPN001_108", "undefined")]
        public void Sisimai_conventions_for_named_causes(int code, string? status, string text, string reason)
        {
            var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput { ReplyCode = code, Status = status, Text = text, Action = "failed", Stage = text.Contains("LPN007") ? "DATA" : null });
            Assert.Equal(reason, c.Reason);
        }

        [Fact]
        public void Google_Groups_refusing_a_post_is_the_sender_rejected_not_a_filter()
        {
            var c = C(0, null, "Hello sender@example.org, We're writing to let you know that the group you tried to contact (team) may not exist, or you may not have permission to post messages to the group.",
                rcpt: "team@googlegroups.com");
            Assert.Equal("rejected", c.Reason);
            Assert.Equal("5.0.918", c.Status);
        }

        [Fact]
        public void A_delayed_action_with_an_x_0_0_status_is_expired_and_a_final_one_is_on_hold()
        {
            Assert.Equal("expired", C(0, "4.0.0", "Status: 4.0.0 (still trying)", action: "delayed").Reason);
            Assert.Equal("onhold", C(0, "4.0.0", "Status: 4.0.0", action: "failed").Reason);
        }

        [Theory]
        [InlineData("x-unix", "4.3.0", "temporary failure", "mailererror")]
        [InlineData("X-Unix", "4.5.0", "71", "mailererror")]
        [InlineData("x-unix", "4.3.0", "Quota exceeded message delivery failed to /var/mail/rcpt", "mailboxfull")]
        [InlineData("smtp", "4.3.0", "temporary failure", "expired")]
        public void A_local_delivery_programs_diagnostic_is_a_mailer_error_unless_it_names_a_cause(string type, string status, string text, string reason)
        {
            var c = DeliveryFailureClassifier.Classify(new DeliveryFailureInput { Status = status, Text = text, Action = "failed", DiagnosticType = type });
            Assert.Equal(reason, c.Reason);
        }

        [Theory]
        // sisimai's precedence: a "user unknown" wording is an unknown user (hard) only with an X.1.1 status or a refusal of RCPT TO;
        // with no enhanced status and no stage it may be a filter's refusal (filtered, soft)
        [InlineData(null, null, "kijitora@example.net [User unknown]", "filtered", false)]
        [InlineData(550, null, "<rcpt@example.net>: host mx.example.net[192.0.2.22] said: 550 <rcpt@example.net>: User unknown", "filtered", false)]
        [InlineData(550, null, "<rcpt@example.net>: host mx.example.net[192.0.2.22] said: 550 <rcpt@example.net>: User unknown (in reply to RCPT TO command)", "userunknown", true)]
        [InlineData(550, null, ">>> RCPT To:<rcpt@example.net> <<< 550 Requested User Mailbox not found. No such user here.", "userunknown", true)]
        [InlineData(550, "5.1.1", "550 5.1.1 <rcpt@example.net>... User unknown", "userunknown", true)]
        // a directory lookup of the recipient failed: the mailbox does not exist, whatever the stage
        [InlineData(null, null, "Your message was not delivered to: rcpt@example.net because: User R Cpt (rcpt@example.net) not listed in Domino Directory", "userunknown", true)]
        [InlineData(null, null, "did not reach the following recipient(s): rcpt@example.net on Thu, 9 May 2005 23:34:45 +0900 The recipient name is not recognized", "userunknown", true)]
        // Exim: no router could route the address (DNS of a remote domain)
        [InlineData(null, null, "rcpt@nx.example.net Unrouteable address", "hostunknown", true)]
        // au/EZweb gateway: refused by the receiving side's filter, no reply quoted
        [InlineData(null, null, "<rcpt@ezweb.example> Each of the following recipients was rejected by a remote mail server.", "filtered", false)]
        public void A_user_unknown_wording_is_hard_only_when_a_status_or_the_stage_says_so(int? code, string? status, string text, string reason, bool hard)
        {
            var c = C(code ?? 0, status, text);
            Assert.Equal(reason, c.Reason);
            Assert.Equal(hard, c.HardBounce);
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
                Assert.InRange(r.Length, 4, 5);
                if (r.Length == 5)
                    foreach (var cond in r[4].Split(';'))
                        Assert.Matches(@"^!?(status|code|action|stage|domain)=.+$", cond);
                Assert.NotNull(DeliveryFailureClassifier.GetReason(r[0]));
                Assert.Contains(r[1], new[] { "text", "status", "code", "action", "stage", "domain", "diagtype", "failed-status", "failed-text", "diagnostic" });
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
