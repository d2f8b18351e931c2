using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using MailOps.Dnsbl;

namespace MailOps.Commands
{
    /// <summary>Tab completion for -Zone / -Name: the catalogue's zone names (any other name is still accepted).</summary>
    public sealed class DnsblZoneCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
            foreach (var z in DnsblCatalogue.Default.Zones.Where(z => pattern.IsMatch(z.Name)).OrderByDescending(z => z.IsDefault).ThenBy(z => z.Name, StringComparer.Ordinal))
                yield return new CompletionResult(z.Name, z.Name, CompletionResultType.ParameterValue,
                    $"{z.Title} ({z.Type}{(z.KeyRequired != "None" ? ", needs " + z.KeyRequired + " key" : "")})");
        }
    }
}
