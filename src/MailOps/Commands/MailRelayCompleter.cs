using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using MailOps.Server;

namespace MailOps.Commands
{
    /// <summary>Tab completion for Test-MailServer -Relay: the relay hosts of the known providers (relay-providers.tsv),
    /// those without a region placeholder.</summary>
    public sealed class MailRelayCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
            foreach (var p in MailRelayProvider.BuiltIn)
                foreach (var host in p.HostPatterns.Where(h => !h.Contains("*") && pattern.IsMatch(h)))
                    yield return new CompletionResult(host, host, CompletionResultType.ParameterValue, $"{host} ({p.Name})");
        }
    }
}
