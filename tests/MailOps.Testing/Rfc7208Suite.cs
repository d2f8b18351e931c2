#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using YamlDotNet.RepresentationModel;

namespace MailOps.Testing
{
    /// <summary>
    /// The RFC 7208 test suite (pyspf's rfc7208-tests.yml, read from ../shared/corpora/spf), shared by the engine test
    /// (every case through SpfEvaluator) and the module test (every case through Test-MailSpf in a hosted runspace).
    /// </summary>
    public static class Rfc7208Suite
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

        public static List<Scenario> Scenarios => Suite.Value;

        private static readonly Lazy<List<Scenario>> Suite = new(Load);

        public static string SuitePath => Path.Combine(Paths.Corpora ?? "", "spf", "rfc7208-tests.yml");

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

        /// <summary>Loads one scenario's zonedata into the server, following the suite's rules (SOURCE.md): SPF entries
        /// are served as type 99 and, unless the name has explicit TXT entries, as TXT too; "NONE" stops that; a bare
        /// TIMEOUT makes every type without records listed before it go unanswered; strings are UTF-8 bytes.</summary>
        public static void Serve(FixtureDnsServer server, YamlMappingNode zone)
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
