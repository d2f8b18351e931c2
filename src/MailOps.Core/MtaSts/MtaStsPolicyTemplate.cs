using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using MailOps.Dns;

namespace MailOps.MtaSts
{
    /// <summary>A ready-to-publish MTA-STS deployment: the policy file and the _mta-sts TXT record.</summary>
    public sealed class MtaStsPolicyTemplate
    {
        internal MtaStsPolicyTemplate(string domain, string mode, long maxAge, IEnumerable<string> mx, string id, string? path)
        {
            Domain = domain;
            Mode = mode;
            MaxAge = maxAge;
            MxHost = new ResultList<string>(mx);
            Id = id;
            Path = path;
            var sb = new StringBuilder();
            sb.Append("version: STSv1\r\n");
            sb.Append("mode: ").Append(mode).Append("\r\n");
            foreach (var m in MxHost) sb.Append("mx: ").Append(m).Append("\r\n");
            sb.Append("max_age: ").Append(maxAge.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            Policy = sb.ToString();
        }

        public string Domain { get; }

        public string Mode { get; }

        /// <summary>max_age in seconds.</summary>
        public long MaxAge { get; }

        /// <summary>The mx patterns, in the order given.</summary>
        public ResultList<string> MxHost { get; }

        /// <summary>The fresh policy id (a UTC timestamp, yyyyMMddHHmmss).</summary>
        public string Id { get; }

        /// <summary>The policy file text (CRLF line ends), to serve as text/plain at <see cref="PolicyUrl"/>.</summary>
        public string Policy { get; }

        /// <summary>The host name that must serve the policy over HTTPS with a valid certificate.</summary>
        public string PolicyHost => "mta-sts." + Domain;

        public string PolicyUrl => $"https://{PolicyHost}/.well-known/mta-sts.txt";

        public string TxtRecordName => "_mta-sts." + Domain;

        public string TxtRecordValue => $"v=STSv1; id={Id};";

        /// <summary>The TXT record as a master-file line, to paste into the zone.</summary>
        public string TxtRecord => $"{TxtRecordName}. 3600 IN TXT \"{TxtRecordValue}\"";

        /// <summary>The file the policy was written to (with -Path), else empty.</summary>
        public string? Path { get; }

        internal MtaStsPolicyTemplate WithPath(string path) => new MtaStsPolicyTemplate(Domain, Mode, MaxAge, MxHost, Id, path);

        public override string ToString() => $"{TxtRecord}\n{PolicyUrl}:\n{Policy}";
    }

    /// <summary>Builds MTA-STS policies (New-MtaStsPolicy).</summary>
    public static class MtaStsPolicyBuilder
    {
        /// <summary>The modes RFC 8461 §3.2 defines.</summary>
        public static readonly IReadOnlyList<string> Modes = new[] { "enforce", "testing", "none" };

        /// <summary>Builds the policy and record. Throws <see cref="ArgumentException"/> for a bad mode, max_age or mx pattern.</summary>
        public static MtaStsPolicyTemplate Build(string domain, IEnumerable<string> mxHosts, string mode, long maxAgeSeconds, DateTime utcNow)
        {
            domain = DnsName.Normalize(domain.Trim()).ToLowerInvariant();
            mode = (mode ?? "testing").Trim().ToLowerInvariant();
            if (!Modes.Contains(mode)) throw new ArgumentException($"'{mode}' is not an MTA-STS mode; use enforce, testing or none.", nameof(mode));
            if (maxAgeSeconds < 1 || maxAgeSeconds > MtaStsRules.MaxMaxAge)
                throw new ArgumentException($"max_age must be 1 to {MtaStsRules.MaxMaxAge} seconds (RFC 8461 §3.2).", nameof(maxAgeSeconds));
            var mx = new List<string>();
            foreach (var raw in mxHosts ?? Enumerable.Empty<string>())
            {
                var problem = MtaStsRules.ValidateMxPattern(raw);
                if (problem != null) throw new ArgumentException($"'{raw}' is not a valid mx pattern: {problem}.", nameof(mxHosts));
                var m = DnsName.Normalize(raw.Trim()).ToLowerInvariant();
                if (!mx.Contains(m)) mx.Add(m);
            }
            if (mx.Count == 0 && mode != "none") throw new ArgumentException("At least one MX host is needed for enforce or testing mode.", nameof(mxHosts));
            var id = utcNow.ToUniversalTime().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            return new MtaStsPolicyTemplate(domain, mode, maxAgeSeconds, mx, id, null);
        }
    }
}
