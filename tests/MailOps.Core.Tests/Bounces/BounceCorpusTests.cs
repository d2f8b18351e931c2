using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using MailOps.Bounces;
using MailOps.Reports;
using MailOps.Testing;
using Xunit.Abstractions;

namespace MailOps.Tests.Bounces
{
    /// <summary>
    /// The bounce corpus (../shared/corpora/bounces: 273 real bounces, labels from sisimai 5.1's own tests): agreement of
    /// Import-MailBounce's engine with the labels, per row in order. Targets from issue 13: recipient and status exact on
    /// ≥ 97% of rows, reason on ≥ 90%, and ≥ 95% on the deliverability reasons. To show that the rules generalise rather
    /// than fit files, the corpus is split in two by a hash of the file name; the first passes tuned the rules looking only at
    /// the mismatches of the "tuning" half, and the floors are asserted on the "held-out" half separately (the third and fourth
    /// passes looked at both halves; see docs/monitoring.md "Bounce corpus agreement").
    /// </summary>
    public sealed class BounceCorpusTests
    {
        private readonly ITestOutputHelper _out;

        public BounceCorpusTests(ITestOutputHelper output) => _out = output;

        internal static readonly HashSet<string> DeliverabilityReasons = new(StringComparer.Ordinal)
            { "blocked", "badreputation", "requireptr", "authfailure", "spamdetected", "policyviolation", "toomanyconn" };

        internal sealed record Label(string File, int N, string Status, string ReplyCode, string Reason, bool Hard);

        internal sealed class Agreement
        {
            public int Rows, RecipientAndStatus, Reason, Deliverability, DeliverabilityReason, Hard, Extra;
            public List<string> Misses = new();
            /// <summary>Per expected reason: rows, and rows where the engine gave the same reason.</summary>
            public SortedDictionary<string, (int Rows, int Agree)> PerReason = new(StringComparer.Ordinal);
            public double RecipientAndStatusRate => (double)RecipientAndStatus / Rows;
            public double ReasonRate => (double)Reason / Rows;
            public double DeliverabilityRate => Deliverability == 0 ? 1 : (double)DeliverabilityReason / Deliverability;
            public override string ToString() =>
                $"{Rows} rows: recipient+status {RecipientAndStatus} ({RecipientAndStatusRate:P1}), reason {Reason} ({ReasonRate:P1}), " +
                $"deliverability reasons {DeliverabilityReason}/{Deliverability} ({DeliverabilityRate:P1}), hard bounce {Hard}, extra records {Extra}";
        }

        internal static string Folder => Path.Combine(Paths.Corpora!, "bounces");

        internal static List<Label> Labels() => File.ReadLines(Path.Combine(Folder, "labels.tsv")).Skip(1)
            .Select(l => l.Split('\t'))
            .Select(f => new Label(f[0], int.Parse(f[1]), f[2], f[3], f[4], f[5] == "1")).ToList();

        /// <summary>Stable split: FNV-1a of the file name, even = tuning, odd = held out.</summary>
        internal static bool HeldOut(string file)
        {
            uint h = 2166136261;
            foreach (var ch in file) { h ^= ch; h *= 16777619; }
            return (h & 1) == 1;
        }

        internal static Agreement Measure(IEnumerable<IGrouping<string, Label>> files)
        {
            var a = new Agreement();
            foreach (var g in files)
            {
                var items = BounceReader.ReadFile(Path.Combine(Folder, "emails", g.Key), new ReportImportOptions(), CancellationToken.None).ToList();
                var records = items.OfType<BounceRecord>().ToList();
                var labels = g.OrderBy(l => l.N).ToList();
                a.Extra += Math.Max(0, records.Count - labels.Count);
                for (int i = 0; i < labels.Count; i++)
                {
                    var l = labels[i];
                    a.Rows++;
                    var r = i < records.Count ? records[i] : null;
                    bool recipientOk = r != null && r.Recipient != null && r.Recipient.Contains('@');
                    bool statusOk = r != null && string.Equals(r.Status ?? "", l.Status, StringComparison.Ordinal);
                    if (recipientOk && statusOk) a.RecipientAndStatus++;
                    bool reasonOk = r != null && r.Reason == l.Reason;
                    if (reasonOk) a.Reason++;
                    a.PerReason.TryGetValue(l.Reason, out var pr);
                    a.PerReason[l.Reason] = (pr.Rows + 1, pr.Agree + (reasonOk ? 1 : 0));
                    if (r != null && r.HardBounce == l.Hard) a.Hard++;
                    if (DeliverabilityReasons.Contains(l.Reason))
                    {
                        a.Deliverability++;
                        if (reasonOk) a.DeliverabilityReason++;
                    }
                    if (!(recipientOk && statusOk && reasonOk))
                    {
                        var problem = items.OfType<ReportImportProblem>().FirstOrDefault();
                        a.Misses.Add(r == null
                            ? $"{l.File}#{l.N}: no record{(problem != null ? " (" + problem.Message + ")" : "")}; want {l.Status} {l.Reason}"
                            : $"{l.File}#{l.N}: got {r.Recipient} {r.Status} {r.Reason} [{r.Rule?.Split(':')[0]}] want {l.Status} {l.Reason} | {Trim(r.Diagnostic)}");
                    }
                }
            }
            return a;
        }

        private static string Trim(string? s) => s == null ? "" : s.Length > 220 ? s.Substring(0, 220) : s;

        [CorpusFact("bounces")]
        public void Corpus_agreement_holds_on_the_tuning_half_and_on_the_held_out_half()
        {
            var byFile = Labels().GroupBy(l => l.File).ToList();
            var tuning = Measure(byFile.Where(g => !HeldOut(g.Key)));
            var heldOut = Measure(byFile.Where(g => HeldOut(g.Key)));
            var all = Measure(byFile);
            var report = new StringBuilder();
            report.AppendLine("all:      " + all);
            report.AppendLine("tuning:   " + tuning);
            report.AppendLine("held out: " + heldOut);
            report.AppendLine("per reason (all rows): reason, rows, agree, rate");
            foreach (var kv in all.PerReason.OrderByDescending(kv => kv.Value.Rows).ThenBy(kv => kv.Key, StringComparer.Ordinal))
                report.AppendLine($"  {kv.Key,-16}{kv.Value.Rows,5}{kv.Value.Agree,6}  {(double)kv.Value.Agree / kv.Value.Rows,6:P0}{(DeliverabilityReasons.Contains(kv.Key) ? "  (deliverability)" : "")}");
            report.AppendLine("tuning-half mismatches:");
            foreach (var m in tuning.Misses) report.AppendLine("  " + m);
            _out.WriteLine(report.ToString());
            var dump = Environment.GetEnvironmentVariable("MAILOPS_BOUNCE_REPORT");
            if (!string.IsNullOrEmpty(dump)) File.WriteAllText(dump, report + "held-out mismatches:\n  " + string.Join("\n  ", heldOut.Misses) + "\n");

            // Floors at or just below the agreement reached (a regression guard; docs/monitoring.md "Bounce corpus agreement" has
            // the numbers). Reached: recipient+status >= 97% (97.2%, 280 of 288), reason >= 90% (93.8%) and the deliverability
            // reasons >= 95% (98.0%) on all rows; the rows still differing are listed there.
            Assert.True(all.RecipientAndStatusRate >= 0.97, "all: " + all);
            Assert.True(all.ReasonRate >= 0.93, "all: " + all);
            Assert.True(all.DeliverabilityRate >= 0.95, "all: " + all);
            Assert.True(heldOut.RecipientAndStatusRate >= 0.97, "held out: " + heldOut);
            Assert.True(heldOut.ReasonRate >= 0.95, "held out: " + heldOut);
            Assert.True(heldOut.DeliverabilityRate >= 0.95, "held out: " + heldOut);
            Assert.True(all.Extra == 0, "all: " + all);
        }
    }
}
