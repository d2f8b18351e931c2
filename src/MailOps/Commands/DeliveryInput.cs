using System.Diagnostics.CodeAnalysis;
using System;
using System.Globalization;
using System.Management.Automation;
using MailOps.Bounces;
using MailOps.Logs;

namespace MailOps.Commands
{
    /// <summary>Turns pipeline input into delivery observations: Get-MailDeliveryLog records, Import-MailBounce rows, or
    /// objects with the same property names (Import-Csv of an exported log: Time, To, Status, Reason, Provider, RelayHost).</summary>
    internal static class DeliveryInput
    {
        /// <summary>True with an observation, true with null for an input that is no delivery outcome (auto-reply,
        /// feedback report), false with a problem for input that cannot be read.</summary>
        public static bool TryConvert(object input, out DeliveryObservation? observation, [NotNullWhen(false)] out string? problem)
        {
            observation = null;
            problem = null;
            var pso = input as PSObject;
            var baseObject = pso != null ? pso.BaseObject : input;
            switch (baseObject)
            {
                case MailDeliveryRecord r:
                    observation = DeliveryObservation.From(r);
                    return true;
                case BounceRecord b:
                    observation = DeliveryObservation.From(b);
                    return true;
                case null:
                    problem = "the input is null";
                    return false;
            }
            pso = pso ?? PSObject.AsPSObject(input);
            var status = Text(pso, "Status");
            if (status == null && Text(pso, "Kind") is string kind)
                status = kind == "Bounce" ? "bounced" : kind == "Delay" ? "deferred" : kind == "Delivered" ? "sent" : null;
            var recipient = Text(pso, "To") ?? Text(pso, "Recipient");
            var o = new DeliveryObservation(Time(pso, "Time") ?? Time(pso, "Date"), recipient, status ?? "", Text(pso, "Reason"), Text(pso, "Provider"),
                Text(pso, "RelayHost") ?? Text(pso, "RemoteMta"), Bool(pso, "HardBounce"), Text(pso, "Blocklist"));
            if (o.Status == null)
            {
                problem = status == null
                    ? "it has no Status property (expected records from Get-MailDeliveryLog or Import-MailBounce)"
                    : $"its Status '{status}' is not sent, deferred, bounced or expired";
                return false;
            }
            observation = o;
            return true;
        }

        private static object? Value(PSObject o, string name) => o.Properties[name]?.Value is object v ? (v is PSObject p ? p.BaseObject : v) : null;

        private static string? Text(PSObject o, string name)
        {
            var v = Value(o, name);
            var s = v == null ? null : Convert.ToString(v, CultureInfo.InvariantCulture);
            return Strings.IsNullOrWhiteSpace(s) ? null : s;
        }

        private static bool Bool(PSObject o, string name)
        {
            var v = Value(o, name);
            return v is bool b ? b : v is string s && bool.TryParse(s, out var p) && p;
        }

        private static DateTimeOffset? Time(PSObject o, string name)
        {
            switch (Value(o, name))
            {
                case DateTimeOffset d: return d;
                case DateTime t: return new DateTimeOffset(t);
                case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var p): return p;
                case string s when DateTimeOffset.TryParse(s, CultureInfo.CurrentCulture, DateTimeStyles.AssumeLocal, out var p): return p;
                default: return null;
            }
        }
    }
}
