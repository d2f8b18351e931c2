using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Xml;
using System.Xml.Linq;

namespace MailOps.Reports
{
    /// <summary>
    /// Reads DMARC aggregate reports (RFC 7489 appendix C, RFC 9990) from any file MailOps recognises, streaming: each
    /// &lt;record&gt; becomes a <see cref="DmarcReportRow"/> as soon as it has been read, so memory stays flat however big
    /// the report. XML with a DTD is refused.
    /// </summary>
    public static class DmarcReportReader
    {
        /// <summary>The RFC 9990 namespace.</summary>
        public const string Rfc9990Namespace = "urn:ietf:params:xml:ns:dmarc-2.0";

        /// <summary>Rows (<see cref="DmarcReportRow"/>) and problems (<see cref="ReportImportProblem"/>), in file order.</summary>
        public static IEnumerable<object> ReadFile(string path, ReportImportOptions options = null, CancellationToken cancellationToken = default)
        {
            var full = Path.GetFullPath(path);
            return new ReportContainerReader(full, PayloadKind.Xml, "DMARC aggregate report",
                (s, entry) => Parse(s, full, entry, cancellationToken), options, cancellationToken).Read();
        }

        internal static XmlReaderSettings SafeSettings() => new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CloseInput = false,
            MaxCharactersFromEntities = 1024,
        };

        private sealed class Head
        {
            public string Namespace, Version, OrgName, Email, Extra, ReportId, Generator;
            public DateTime? Begin, End;
            public List<string> Errors = new List<string>();
            public string Domain, Adkim, Aspf, P, Sp, Np, Pct, Fo, Testing, Discovery;
            public bool Rfc9990Elements;
        }

        /// <summary>Parses one aggregate report from a stream, yielding a row per &lt;record&gt;.</summary>
        internal static IEnumerable<object> Parse(Stream stream, string file, string entry, CancellationToken ct)
        {
            var reader = XmlReader.Create(stream, SafeSettings());
            try
            {
                reader.MoveToContent();
                if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "feedback")
                    throw new ReportFormatException(ReportProblemKind.NotAReport,
                        $"is XML but not a DMARC aggregate report (its root element is <{reader.Name}>, not <feedback>)");
                var head = new Head { Namespace = string.IsNullOrEmpty(reader.NamespaceURI) ? null : reader.NamespaceURI };
                if (reader.IsEmptyElement) throw new ReportFormatException(ReportProblemKind.Malformed, "has an empty <feedback> element (no records)");
                reader.Read();
                long rows = 0;
                while (!reader.EOF)
                {
                    if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1)
                    {
                        switch (reader.LocalName)
                        {
                            case "version": head.Version = Text((XElement)XNode.ReadFrom(reader)); continue;
                            case "report_metadata": ReadMetadata(head, (XElement)XNode.ReadFrom(reader)); continue;
                            case "policy_published": ReadPolicy(head, (XElement)XNode.ReadFrom(reader)); continue;
                            case "record":
                                ct.ThrowIfCancellationRequested();
                                var row = BuildRow(head, (XElement)XNode.ReadFrom(reader), file, entry);
                                rows++;
                                yield return row;
                                continue;
                            default: reader.Skip(); continue;
                        }
                    }
                    reader.Read();
                }
                if (rows == 0) throw new ReportFormatException(ReportProblemKind.Malformed, "has no <record> element (no rows to import)");
            }
            finally { reader.Dispose(); }
        }

        private static XElement E(XElement el, string name) => el?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

        private static IEnumerable<XElement> All(XElement el, string name) =>
            el == null ? Enumerable.Empty<XElement>() : el.Elements().Where(e => e.Name.LocalName == name);

        private static string Text(XElement el)
        {
            if (el == null) return null;
            var t = el.Value.Trim();
            return t.Length == 0 ? null : t;
        }

        private static string T(XElement parent, string name) => Text(E(parent, name));

        private static string Word(string s) => s?.ToLowerInvariant();

        private static void ReadMetadata(Head h, XElement m)
        {
            h.OrgName = T(m, "org_name");
            h.Email = T(m, "email");
            h.Extra = T(m, "extra_contact_info");
            h.ReportId = T(m, "report_id");
            h.Generator = T(m, "generator");
            if (h.Generator != null) h.Rfc9990Elements = true;
            var range = E(m, "date_range");
            h.Begin = Epoch(T(range, "begin"), "begin");
            h.End = Epoch(T(range, "end"), "end");
            h.Errors = All(m, "error").Select(Text).Where(t => t != null).ToList();
        }

        private static DateTime? Epoch(string text, string what)
        {
            if (text == null) return null;
            var whole = text.Split('.')[0];
            if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var secs) || secs < -62135596800L || secs > 253402300799L)
                throw new ReportFormatException(ReportProblemKind.Malformed, $"has a date_range/{what} '{text}' that is not seconds since 1970");
            return DateTimeOffset.FromUnixTimeSeconds(secs).UtcDateTime;
        }

        private static void ReadPolicy(Head h, XElement p)
        {
            h.Domain = T(p, "domain");
            h.Adkim = Word(T(p, "adkim"));
            h.Aspf = Word(T(p, "aspf"));
            h.P = Word(T(p, "p"));
            h.Sp = Word(T(p, "sp"));
            h.Np = Word(T(p, "np"));
            h.Pct = T(p, "pct");
            h.Fo = T(p, "fo");
            h.Testing = Word(T(p, "testing"));
            h.Discovery = Word(T(p, "discovery_method"));
            if (E(p, "np") != null || E(p, "testing") != null || E(p, "discovery_method") != null) h.Rfc9990Elements = true;
        }

        private static DmarcReportRow BuildRow(Head h, XElement record, string file, string entry)
        {
            var row = E(record, "row");
            var evaluated = E(row, "policy_evaluated");
            var ids = E(record, "identifiers") ?? E(record, "identities");
            var auth = E(record, "auth_results");
            var countText = T(row, "count");
            long count = 0;
            if (countText != null && !long.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count))
                throw new ReportFormatException(ReportProblemKind.Malformed, $"has a row count '{countText}' that is not a whole number");
            var reasons = All(evaluated, "reason").ToList();
            var dkim = All(auth, "dkim").ToList();
            var spf = All(auth, "spf").ToList();
            return new DmarcReportRow
            {
                SourceFile = file,
                SourceEntry = entry,
                XmlSchema = h.Version ?? "draft",
                XmlNamespace = h.Namespace,
                IsRfc9990 = h.Namespace == Rfc9990Namespace || h.Rfc9990Elements,
                OrgName = h.OrgName,
                OrgEmail = h.Email,
                OrgExtraContactInfo = h.Extra,
                ReportId = h.ReportId,
                BeginDate = h.Begin,
                EndDate = h.End,
                ReportErrors = new ResultList<string>(h.Errors),
                Generator = h.Generator,
                Domain = h.Domain,
                Adkim = h.Adkim,
                Aspf = h.Aspf,
                P = h.P,
                Sp = h.Sp,
                Np = h.Np,
                Pct = h.Pct,
                Fo = h.Fo,
                Testing = h.Testing,
                DiscoveryMethod = h.Discovery,
                SourceIP = T(row, "source_ip"),
                Count = count,
                Disposition = Word(T(evaluated, "disposition")),
                PolicyDkim = Word(T(evaluated, "dkim")),
                PolicySpf = Word(T(evaluated, "spf")),
                PolicyOverrideReasons = new ResultList<string>(reasons.Select(r => Word(T(r, "type")) ?? "")),
                PolicyOverrideComments = new ResultList<string>(reasons.Select(r => T(r, "comment") ?? "")),
                HeaderFrom = T(ids, "header_from"),
                EnvelopeFrom = T(ids, "envelope_from"),
                EnvelopeTo = T(ids, "envelope_to"),
                DkimDomains = new ResultList<string>(dkim.Select(d => T(d, "domain") ?? "")),
                DkimSelectors = new ResultList<string>(dkim.Select(d => T(d, "selector") ?? "")),
                DkimResults = new ResultList<string>(dkim.Select(d => Word(T(d, "result")) ?? "")),
                SpfDomains = new ResultList<string>(spf.Select(d => T(d, "domain") ?? "")),
                SpfScopes = new ResultList<string>(spf.Select(d => Word(T(d, "scope")) ?? "")),
                SpfResults = new ResultList<string>(spf.Select(d => Word(T(d, "result")) ?? "")),
            };
        }
    }
}
