using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Testing;

namespace MailOps.Tests.Dns
{
    /// <summary>Replies no honest server sends, over real UDP/TCP on loopback: MailOps believes only answers to the question it asked.</summary>
    public sealed class HostileDnsTests : IDisposable
    {
        private readonly FixtureDnsServer _upstream;
        private readonly HostileDnsServer _server;

        public HostileDnsTests()
        {
            _upstream = FixtureDnsServer.StartWithZone(
                "good.example. 300 IN TXT \"v=spf1 -all\"\n" +
                "alias.good.example. 300 IN CNAME good.example.\n");
            _server = HostileDnsServer.Start(_upstream);
        }

        public void Dispose()
        {
            _server.Dispose();
            _upstream.Dispose();
        }

        private Task<DnsQueryResult> Ask(string name, DnsRecordType type) =>
            new WireDnsResolver(new[] { _server.EndPoint }, TimeSpan.FromSeconds(2), retries: 0).QueryAsync(name, type, CancellationToken.None);

        [Fact]
        public async Task Relayed_honest_answers_still_work()
        {
            var r = await Ask("alias.good.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.Answer, r.Outcome);
            Assert.Equal("v=spf1 -all", Assert.Single(r.RecordsOf<TxtRecord>()).Text);
            Assert.Equal("good.example", Assert.Single(r.CnameChain).Target);
        }

        [Fact]
        public async Task A_record_owned_by_another_name_is_an_error_not_an_answer()
        {
            _server.RespondWith("x.example", DnsWireRecord.Txt("evil.example", "v=spf1 +all"));
            var r = await Ask("x.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.OtherError, r.Outcome);
            Assert.True(r.IsError);
            Assert.False(r.IsEmpty);
            Assert.Empty(r.Records);
            Assert.Contains("evil.example", r.ErrorMessage);
        }

        [Fact]
        public async Task A_record_beside_the_right_one_spoils_the_whole_reply()
        {
            _server.RespondWith("x.example", DnsWireRecord.Txt("x.example", "v=spf1 -all"), DnsWireRecord.Txt("evil.example", "v=spf1 +all"));
            Assert.Equal(DnsOutcome.OtherError, (await Ask("x.example", DnsRecordType.TXT)).Outcome);
        }

        [Fact]
        public async Task A_cname_to_elsewhere_is_followed_but_an_unrelated_owner_is_not()
        {
            _server.RespondWith("x.example", DnsWireRecord.Cname("x.example", "y.example"), DnsWireRecord.A("y.example", "192.0.2.1"));
            var ok = await Ask("x.example", DnsRecordType.A);
            Assert.Equal(DnsOutcome.Answer, ok.Outcome);
            Assert.Equal("192.0.2.1", Assert.Single(ok.RecordsOf<AddressRecord>()).Address.ToString());

            _server.RespondWith("z.example", DnsWireRecord.Cname("z.example", "y.example"), DnsWireRecord.A("evil.example", "192.0.2.66"));
            Assert.Equal(DnsOutcome.OtherError, (await Ask("z.example", DnsRecordType.A)).Outcome);
        }

        [Fact]
        public async Task Question_section_must_echo_the_question()
        {
            _server.Respond("x.example", q => MailOps.Testing.DnsWire.Reply(q, new[] { DnsWireRecord.Txt("evil.example", "v=spf1 +all") }, questionName: "evil.example"));
            var r = await Ask("x.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.OtherError, r.Outcome);
            Assert.Contains("another question", r.ErrorMessage);

            _server.Respond("t.example", q => MailOps.Testing.DnsWire.Reply(q, new[] { DnsWireRecord.A("t.example", "192.0.2.1") }, questionType: 1));
            Assert.Equal(DnsOutcome.OtherError, (await Ask("t.example", DnsRecordType.TXT)).Outcome);

            _server.Respond("n.example", q => MailOps.Testing.DnsWire.Reply(q, Array.Empty<DnsWireRecord>(), echoQuestion: false));
            Assert.Equal(DnsOutcome.OtherError, (await Ask("n.example", DnsRecordType.TXT)).Outcome); // not NODATA
        }

        [Fact]
        public async Task Question_echo_may_differ_in_case()
        {
            _server.Respond("mixed.example", q => MailOps.Testing.DnsWire.Reply(q, new[] { DnsWireRecord.A("MiXeD.Example", "192.0.2.7") }, questionName: "MIXED.example"));
            Assert.Equal(DnsOutcome.Answer, (await Ask("mixed.example", DnsRecordType.A)).Outcome);
        }

        [Fact]
        public async Task Mismatched_message_id_is_ignored_and_the_question_times_out_saying_why()
        {
            // RFC 5452: a reply whose id no question is waiting for is dropped, never taken as the answer (nor an
            // exception): the question ends as a timeout, whose message names the ignored replies.
            _server.Respond("x.example", q => MailOps.Testing.DnsWire.Reply(q, new[] { DnsWireRecord.Txt("x.example", "v=spf1 +all") }, id: (ushort)(q.Id ^ 0x5a5a)));
            var r = await Ask("x.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.Timeout, r.Outcome);
            Assert.True(r.IsError);
            Assert.Empty(r.Records);
            Assert.Contains("message id no question was waiting for", r.ErrorMessage);
        }

        [Fact]
        public async Task Compression_pointer_loop_is_a_network_error()
        {
            _server.Respond("loop.example", MailOps.Testing.DnsWire.CompressionLoop);
            var r = await Ask("loop.example", DnsRecordType.A);
            Assert.True(r.IsError);
            Assert.Equal(DnsOutcome.NetworkError, r.Outcome);
        }

        [Fact]
        public async Task Cname_loop_is_an_error()
        {
            _server.RespondWith("a.example", DnsWireRecord.Cname("a.example", "b.example"), DnsWireRecord.Cname("b.example", "a.example"));
            var r = await Ask("a.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.OtherError, r.Outcome);
            Assert.Contains("loops", r.ErrorMessage);
        }

        [Fact]
        public async Task Cname_chain_is_followed_up_to_the_limit_and_no_further()
        {
            DnsWireRecord[] Chain(string prefix, int links) =>
                Enumerable.Range(0, links).Select(i => DnsWireRecord.Cname($"{prefix}{i}.example", $"{prefix}{i + 1}.example"))
                    .Append(DnsWireRecord.A($"{prefix}{links}.example", "192.0.2.9")).ToArray();
            _server.RespondWith("ok0.example", Chain("ok", DnsAnswerValidator.MaxCnameChain));
            var ok = await Ask("ok0.example", DnsRecordType.A);
            Assert.Equal(DnsOutcome.Answer, ok.Outcome);
            Assert.Equal(DnsAnswerValidator.MaxCnameChain, ok.CnameChain.Count);

            _server.RespondWith("long0.example", Chain("long", DnsAnswerValidator.MaxCnameChain + 1));
            var tooLong = await Ask("long0.example", DnsRecordType.A);
            Assert.Equal(DnsOutcome.OtherError, tooLong.Outcome);
            Assert.Contains("longer than", tooLong.ErrorMessage);
        }

        [Fact]
        public async Task Thousands_of_txt_strings_are_refused()
        {
            var strings = Enumerable.Range(0, 3000).Select(i => new[] { (byte)'a' });
            _server.RespondWith("many.example", DnsWireRecord.TxtBytes("many.example", strings));
            var r = await Ask("many.example", DnsRecordType.TXT); // 6 KB: truncated over UDP, read over TCP
            Assert.Equal(DnsOutcome.OtherError, r.Outcome);
            Assert.Contains("3000", r.ErrorMessage);

            _server.RespondWith("some.example", DnsWireRecord.TxtBytes("some.example", Enumerable.Range(0, 20).Select(i => new[] { (byte)'b' })));
            var fine = await Ask("some.example", DnsRecordType.TXT);
            Assert.Equal(DnsOutcome.Answer, fine.Outcome);
            Assert.Equal(new string('b', 20), Assert.Single(fine.RecordsOf<TxtRecord>()).Text);
        }

        [Fact]
        public void Dname_records_are_skipped_and_their_synthesized_cname_checked()
        {
            var answers = new DnsRecord[]
            {
                new UnknownRecord("old.example", 39, 300, new byte[] { 0 }),
                new NameRecord("host.old.example", DnsRecordType.CNAME, 300, "host.new.example"),
                new AddressRecord("host.new.example", 300, System.Net.IPAddress.Parse("192.0.2.3")),
            };
            var problem = DnsAnswerValidator.Validate("host.old.example", DnsRecordType.A, true,
                new[] { new DnsAnswerValidator.Question("host.old.example.", 1, 1) }, answers, out var accepted);
            Assert.Null(problem);
            Assert.Equal(2, accepted.Count);
        }

        [Fact]
        public void Escaped_names_compare_as_their_bytes()
        {
            Assert.True(DnsAnswerValidator.SameName("a\\032b.Example.", "a b.example"));
            Assert.False(DnsAnswerValidator.SameName("a\\.b.example", "a.b.example"));
            Assert.True(DnsAnswerValidator.SameName("foo.example.テスト", "foo.example.xn--zckzah"));
        }
    }
}
