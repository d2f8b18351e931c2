using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using MailOps.Bounces;

namespace MailOps.Commands
{
    /// <summary>Tab completion for -Provider: the providers the classifier recognises (bounce-providers.tsv).</summary>
    public sealed class MailProviderCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
            foreach (var p in DeliveryFailureClassifier.ProviderNames.Where(p => pattern.IsMatch(p)))
            {
                var text = p.IndexOfAny(new[] { ' ', '/', '.' }) >= 0 ? "'" + p + "'" : p;
                yield return new CompletionResult(text, p, CompletionResultType.ParameterValue, p);
            }
        }
    }
}
