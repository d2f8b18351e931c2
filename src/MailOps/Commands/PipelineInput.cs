using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using MailOps.Mx;

namespace MailOps.Commands
{
    // How MailOps cmdlets chain, in one place. PowerShell applies a parameter's ArgumentTransformationAttribute before it
    // checks the value's type, also while binding pipeline input by value without coercion (the first binding step). So an
    // object another MailOps cmdlet wrote (a MailMxHost from Get-MailMx) becomes exactly the strings the parameter takes,
    // and binds in that first step; plain strings, IPAddress objects and Import-Csv rows (bound by property name:
    // IPAddress, HostName, Domain columns) pass through as before.

    /// <summary>
    /// On the -IPAddress parameters of Test-MailPtr and Get-DnsblListing (type string[]; each string is an address or a CIDR
    /// range, read by DnsCmdlet.ExpandAddressInput): a MailMxHost gives every address of the MX host (IPv4, then IPv6);
    /// an IPAddress gives its text. A host with no address gives its host name, which the cmdlet reports as an error.
    /// </summary>
    public sealed class AddressInputAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
            PipelineInput.Flatten(inputData, PipelineInput.Addresses) ?? inputData;
    }

    /// <summary>
    /// On the -HostName parameters of Test-SmtpService and Test-MailDane (type string[]): a MailMxHost gives its MX host
    /// name ("." for a null MX, which the cmdlet reports as an error); an IPAddress gives its text.
    /// </summary>
    public sealed class HostNameInputAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
            PipelineInput.Flatten(inputData, PipelineInput.HostNames) ?? inputData;
    }

    internal static class PipelineInput
    {
        /// <summary>The strings a known object stands for, or null when it is not one (strings included: they pass as they are).
        /// A MailMxHost of a domain that does not exist has no host name: its null reaches [ValidateNotNullOrEmpty].</summary>
        internal static IEnumerable<string?>? Addresses(object o)
        {
            switch (o)
            {
                case MailMxHost mx:
                    var list = new List<string?>(mx.IPv4Address);
                    list.AddRange(mx.IPv6Address);
                    if (list.Count == 0) list.Add(mx.HostName);
                    return list;
                case System.Net.IPAddress ip:
                    return new[] { ip.ToString() };
                default:
                    return null;
            }
        }

        internal static IEnumerable<string?>? HostNames(object o)
        {
            switch (o)
            {
                case MailMxHost mx:
                    return new[] { mx.HostName };
                case System.Net.IPAddress ip:
                    return new[] { ip.ToString() };
                default:
                    return null;
            }
        }

        /// <summary>
        /// Maps a value (one object, or a collection of them, as given on the command line) to a string array when it holds
        /// at least one known object and nothing but known objects and strings; otherwise null (leave the value to
        /// PowerShell's own binding).
        /// </summary>
        internal static string?[]? Flatten(object input, System.Func<object, IEnumerable<string?>?> map)
        {
            var result = new List<string?>();
            var known = false;
            IEnumerable items = input is IEnumerable e && !(input is string) && !(Unwrap(input) is string) && !(Unwrap(input) is MailMxHost)
                ? e
                : new[] { input };
            foreach (var raw in items)
            {
                var item = Unwrap(raw);
                if (item is string s) { result.Add(s); continue; }
                var mapped = item == null ? null : map(item);
                if (mapped == null) return null;
                known = true;
                result.AddRange(mapped);
            }
            return known ? result.ToArray() : null;
        }

        private static object Unwrap(object o) => o is PSObject p ? p.BaseObject : o;
    }
}
