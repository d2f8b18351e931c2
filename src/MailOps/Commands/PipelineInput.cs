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
        /// <summary>What a MailMxHost with no host name (its domain does not exist, or publishes neither MX nor address
        /// records) becomes: a marker the cmdlet recognises (<see cref="TryNoMailHost"/>) and reports as NoMailHost through its
        /// own WriteError, so the input counts as not checked (-Quiet is $false). A null would fail parameter validation
        /// instead: a generic binding error the cmdlet never sees.</summary>
        private const string NoMailHostMarker = "\u0000no mail host:";

        internal static string NoMailHost(string domain) => NoMailHostMarker + domain;

        /// <summary>True when <paramref name="input"/> is the marker of a domain with no mail host; gives the domain.</summary>
        internal static bool TryNoMailHost(string? input, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? domain)
        {
            domain = input != null && input.StartsWith(NoMailHostMarker, System.StringComparison.Ordinal) ? input.Substring(NoMailHostMarker.Length) : null;
            return domain != null;
        }

        /// <summary>The strings a known object stands for, or null when it is not one (strings included: they pass as they are).</summary>
        internal static IEnumerable<string?>? Addresses(object o)
        {
            switch (o)
            {
                case MailMxHost mx:
                    var list = new List<string?>(mx.IPv4Address);
                    list.AddRange(mx.IPv6Address);
                    if (list.Count == 0) list.Add(Strings.IsNullOrEmpty(mx.HostName) ? NoMailHost(mx.Domain) : mx.HostName);
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
                    return new[] { Strings.IsNullOrEmpty(mx.HostName) ? NoMailHost(mx.Domain) : mx.HostName };
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
