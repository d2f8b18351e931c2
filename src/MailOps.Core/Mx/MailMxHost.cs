using System.Linq;

namespace MailOps.Mx
{
    /// <summary>One mail exchanger of a domain (or the implicit one, or the verdict that there is none).</summary>
    public sealed class MailMxHost
    {
        internal MailMxHost(string domain, int? preference, string? hostName, bool isNullMx, bool isImplicit,
            ResultList<string> ipv4, ResultList<string> ipv6, ResultList<string> ptr, ResultList<Finding> findings)
        {
            Domain = domain;
            Preference = preference;
            HostName = hostName;
            IsNullMx = isNullMx;
            IsImplicit = isImplicit;
            IPv4Address = ipv4;
            IPv6Address = ipv6;
            PtrName = ptr;
            Findings = findings;
        }

        public string Domain { get; }

        /// <summary>The MX preference; lower is tried first. Empty for the implicit MX and when there is no mail host.</summary>
        public int? Preference { get; }

        /// <summary>The exchange host name ("." for a null MX; the domain itself for the implicit MX).</summary>
        public string? HostName { get; }

        /// <summary>True for RFC 7505's "0 .": the domain accepts no mail.</summary>
        public bool IsNullMx { get; }

        /// <summary>True when there is no MX record and senders fall back to the domain's own A/AAAA (RFC 5321 §5.1).</summary>
        public bool IsImplicit { get; }

        public ResultList<string> IPv4Address { get; }

        public ResultList<string> IPv6Address { get; }

        /// <summary>The PTR names of the host's addresses.</summary>
        public ResultList<string> PtrName { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Pass, Warning or Fail: the worst finding's severity (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        public override string ToString() => IsNullMx ? $"{Domain}: null MX" : $"{Domain} MX {Preference} {HostName}";
    }
}
