#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using MailOps.Dns;
using MailOps.Spf;
using MailOps.Testing;
using YamlDotNet.RepresentationModel;

namespace MailOps.Tests.Spf
{
    /// <summary>
    /// The RFC 7208 test suite (pyspf's rfc7208-tests.yml, read from ../shared/corpora/spf): every case through
    /// SpfEvaluator, with each scenario's zone data served by a real DNS server on loopback (TIMEOUT entries are real
    /// timeouts: the server does not reply). A case passes on any of its accepted results; the explanation is checked
    /// where the case gives one.
    /// </summary>
    public sealed class Rfc7208SuiteTests
    {
        /// <summary>RR type 99 (SPF, RFC 4408; obsolete since RFC 7208 but still in the suite's zone data).</summary>
        private const RecordType SpfType = (RecordType)99;

        public const int ExpectedCases = 203;

        private static readonly RecordType[] TimeoutTypes =
            { RecordType.A, RecordType.Aaaa, RecordType.Mx, RecordType.Ptr, RecordType.Txt, SpfType, RecordType.CName };

        public sealed class Case
        {
            public string Scenario = "";
            public string Name = "";
            public string Helo = "";
            public string Host = "";
            public string MailFrom = "";
            public List<string> Results = new();
            public string? Explanation;
        }

        public sealed class Scenario
        {
            public string Description = "";
            public YamlMappingNode ZoneData = new();
            public List<Case> Cases = new();
        }

        private static readonly Lazy<List<Scenario>> Suite = new(Load);

        private static string SuitePath => Path.Combine(Paths.Corpora ?? "", "spf", "rfc7208-tests.yml");

        private static List<Scenario> Load()
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(SuitePath, Encoding.UTF8)) yaml.Load(reader);
            var scenarios = new List<Scenario>();
            foreach (var doc in yaml.Documents)
            {
                var root = (YamlMappingNode)doc.RootNode;
                var s = new Scenario { Description = Scalar(root, "description") };
                if (root.Children.TryGetValue(new YamlScalarNode("zonedata"), out var zd) && zd is YamlMappingNode zm) s.ZoneData = zm;
                foreach (var kv in (YamlMappingNode)root.Children[new YamlScalarNode("tests")])
                {
                    var t = (YamlMappingNode)kv.Value;
                    var c = new Case
                    {
                        Scenario = s.Description,
                        Name = ((YamlScalarNode)kv.Key).Value!,
                        Helo = Scalar(t, "helo"),
                        Host = Scalar(t, "host"),
                        MailFrom = Scalar(t, "mailfrom"),
                    };
                    var result = t.Children[new YamlScalarNode("result")];
                    if (result is YamlSequenceNode seq) c.Results.AddRange(seq.Children.Select(x => ((YamlScalarNode)x).Value!.Trim()));
                    else c.Results.Add(((YamlScalarNode)result).Value!.Trim());
                    if (t.Children.TryGetValue(new YamlScalarNode("explanation"), out var e)) c.Explanation = ((YamlScalarNode)e).Value;
                    s.Cases.Add(c);
                }
                scenarios.Add(s);
            }
            return scenarios;
        }

        private static string Scalar(YamlMappingNode node, string key) =>
            node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value ?? "" : "";

        public static IEnumerable<object[]> Cases()
        {
            if (Paths.CorpusMissing("spf") != null) return new[] { new object[] { "(corpus missing)", "(none)" } };
            return Suite.Value.SelectMany(s => s.Cases.Select(c => new object[] { s.Description, c.Name }));
        }

        [CorpusFact("spf")]
        public void The_suite_has_every_case_and_each_runs_as_its_own_test()
        {
            var all = Suite.Value.SelectMany(s => s.Cases).ToList();
            Assert.Equal(16, Suite.Value.Count);
            Assert.Equal(ExpectedCases, all.Count);
            Assert.Equal(ExpectedCases, Cases().Count());
            // Names are unique within a scenario, so (scenario, name) identifies each theory row.
            Assert.Equal(ExpectedCases, all.Select(c => c.Scenario + "/" + c.Name).Distinct().Count());
            Assert.Equal(22, all.Count(c => c.Explanation != null));
            Assert.Equal(6, all.Count(c => c.Results.Count > 1));
        }

        [CorpusTheory("spf"), MemberData(nameof(Cases))]
        public async Task Case_passes(string scenario, string name)
        {
            var s = Suite.Value.Single(x => x.Description == scenario);
            var c = s.Cases.Single(x => x.Name == name);
            using var server = FixtureDnsServer.Start();
            Serve(server, s.ZoneData);
            // The first answer from a fresh server can take a few hundred ms (JIT, socket set-up); ask once with a long
            // timeout so the short one below measures only the TIMEOUT entries.
            var warm = await new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromSeconds(5), 1)
                .QueryAsync("warm-up.invalid", DnsRecordType.A, CancellationToken.None);
            Assert.Equal(DnsOutcome.NxDomain, warm.Outcome);
            var dns = new CachingDnsResolver(new WireDnsResolver(new[] { server.EndPoint }, TimeSpan.FromMilliseconds(1000), 0));

            var domain = c.MailFrom.Length == 0 ? c.Helo : c.MailFrom.Substring(c.MailFrom.LastIndexOf('@') + 1);
            var options = new SpfEvaluationOptions { DefaultExplanation = "DEFAULT" };
            var e = await SpfEvaluator.EvaluateAsync(dns, IPAddress.Parse(c.Host), domain, c.MailFrom, c.Helo, options, CancellationToken.None);
            var r = e.Result;
            var trace = string.Join("\n", r.Trace);
            Assert.True(c.Results.Contains(r.Result),
                $"{scenario}/{name}: expected {string.Join(" or ", c.Results)}, got {r.Result} ({r.Explanation})\n{trace}");
            if (c.Explanation != null && r.Result == "fail")
            {
                // Case-insensitive: the suite writes %{ir} of an IPv6 address with upper-case nibbles, RFC 7208 §7.4's
                // example (which MailOps follows) with lower-case ones; DNS names are case-insensitive either way.
                Assert.True(string.Equals(c.Explanation, r.Explanation, StringComparison.OrdinalIgnoreCase),
                    $"{scenario}/{name}: explanation '{r.Explanation}', expected '{c.Explanation}'\n{trace}");
            }
        }

        /// <summary>Loads one scenario's zonedata into the server, following the suite's rules (SOURCE.md): SPF entries
        /// are served as type 99 and, unless the name has explicit TXT entries, as TXT too; "NONE" stops that; a bare
        /// TIMEOUT makes every type without records listed before it go unanswered; strings are UTF-8 bytes.</summary>
        internal static void Serve(FixtureDnsServer server, YamlMappingNode zone)
        {
            foreach (var entry in zone.Children)
            {
                var owner = ((YamlScalarNode)entry.Key).Value!;
                var name = FixtureDnsServer.NameFromLabels(owner);
                var items = ((YamlSequenceNode)entry.Value).Children;
                bool explicitTxt = items.OfType<YamlMappingNode>().Any(m => Key(m) == "TXT");
                var served = new HashSet<RecordType>();
                foreach (var item in items)
                {
                    if (item is YamlScalarNode bare)
                    {
                        if (bare.Value != "TIMEOUT") throw new InvalidDataException($"{owner}: unknown bare entry '{bare.Value}'");
                        foreach (var t in TimeoutTypes.Where(t => !served.Contains(t))) server.SetFault(owner, t, FixtureDnsServer.Fault.Timeout);
                        continue;
                    }
                    var map = (YamlMappingNode)item;
                    var type = Key(map);
                    var value = map.Children.Single().Value;
                    switch (type)
                    {
                        case "SPF":
                        case "TXT":
                            if (value is YamlScalarNode { Value: "NONE" }) continue;
                            var strings = value is YamlSequenceNode list
                                ? list.Children.Select(x => Encoding.UTF8.GetBytes(((YamlScalarNode)x).Value ?? "")).ToList()
                                : new List<byte[]> { Encoding.UTF8.GetBytes(((YamlScalarNode)value).Value ?? "") };
                            if (type == "SPF")
                            {
                                server.AddRawText(owner, SpfType, 300, strings);
                                served.Add(SpfType);
                                if (explicitTxt) continue;
                            }
                            server.AddRawText(owner, RecordType.Txt, 300, strings);
                            served.Add(RecordType.Txt);
                            break;
                        case "A":
                            server.AddRecord(new ARecord(name, 300, IPAddress.Parse(Text(value))));
                            served.Add(RecordType.A);
                            break;
                        case "AAAA":
                            server.AddRecord(new AaaaRecord(name, 300, IPAddress.Parse(Text(value))));
                            served.Add(RecordType.Aaaa);
                            break;
                        case "MX":
                            var mx = (YamlSequenceNode)value;
                            server.AddRecord(new ARSoft.Tools.Net.Dns.MxRecord(name, 300, ushort.Parse(Text(mx.Children[0])), FixtureDnsServer.NameFromLabels(Text(mx.Children[1]))));
                            served.Add(RecordType.Mx);
                            break;
                        case "PTR":
                            server.AddRecord(new PtrRecord(name, 300, FixtureDnsServer.NameFromLabels(Text(value))));
                            served.Add(RecordType.Ptr);
                            break;
                        case "CNAME":
                            server.AddRecord(new CNameRecord(name, 300, FixtureDnsServer.NameFromLabels(Text(value))));
                            served.Add(RecordType.CName);
                            break;
                        default:
                            throw new InvalidDataException($"{owner}: record type {type} is not in the suite's schema");
                    }
                }
            }
        }

        private static string Key(YamlMappingNode m) => ((YamlScalarNode)m.Children.Single().Key).Value!;

        private static string Text(YamlNode n) => ((YamlScalarNode)n).Value ?? "";
    }
}
