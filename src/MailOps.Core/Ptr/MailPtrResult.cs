using System.Linq;

namespace MailOps.Ptr
{
    /// <summary>The reverse DNS of one address as a receiving mail server sees it.</summary>
    public sealed class MailPtrResult
    {
        internal MailPtrResult(string ip, ResultList<string> ptrName, bool? forwardConfirmed, string? confirmedName, ResultList<string> forwardAddresses,
            string? heloName, bool? heloMatches, ResultList<Finding> findings)
        {
            IPAddress = ip;
            PtrName = ptrName;
            ForwardConfirmed = forwardConfirmed;
            ConfirmedName = confirmedName;
            ForwardAddresses = forwardAddresses;
            HeloName = heloName;
            HeloMatches = heloMatches;
            Findings = findings;
        }

        public string IPAddress { get; }

        /// <summary>The names the address's PTR records give (usually one).</summary>
        public ResultList<string> PtrName { get; }

        /// <summary>True when a PTR name resolves (A/AAAA) back to the address (FCrDNS); empty when the forward lookup went unanswered.</summary>
        public bool? ForwardConfirmed { get; }

        /// <summary>The PTR name that resolves back to the address.</summary>
        public string? ConfirmedName { get; }

        /// <summary>The addresses the PTR names resolve to.</summary>
        public ResultList<string> ForwardAddresses { get; }

        /// <summary>The HELO/EHLO name given with -HeloName.</summary>
        public string? HeloName { get; }

        /// <summary>True when the HELO name is the forward-confirmed PTR name; empty when no HELO name was given.</summary>
        public bool? HeloMatches { get; }

        public ResultList<Finding> Findings { get; }

        /// <summary>Pass, Warning or Fail: the worst finding (Info counts as Pass).</summary>
        public string Status => Finding.StatusOf(Findings);

        public override string ToString() => $"{IPAddress} PTR {(PtrName.Count == 0 ? "(none)" : PtrName.ToString())}: {Status}";
    }
}
