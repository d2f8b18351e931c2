using System.Linq;
using System.Management.Automation;
using MailOps.Dnsbl;

namespace MailOps.Commands
{
    /// <summary>Get-DnsblZone: the built-in blocklist catalogue, with each zone's codes, key needs and sources.</summary>
    [Cmdlet(VerbsCommon.Get, "DnsblZone")]
    [OutputType(typeof(DnsblZone))]
    public sealed class GetDnsblZoneCommand : MailOpsCmdlet
    {
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Zone")]
        [ArgumentCompleter(typeof(DnsblZoneCompleter))]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        [Parameter]
        [ValidateSet("IP", "Domain")]
        public string? Type { get; set; }

        protected override void ProcessRecord()
        {
            var catalogue = DnsblCatalogue.Default;
            var patterns = (Name ?? new[] { "*" }).Select(n => new WildcardPattern(n.Trim().TrimEnd('.'), WildcardOptions.IgnoreCase)).ToList();
            foreach (var name in Name ?? new string[0])
            {
                if (WildcardPattern.ContainsWildcardCharacters(name) || catalogue.Zones.Any(z => new WildcardPattern(name.Trim().TrimEnd('.'), WildcardOptions.IgnoreCase).IsMatch(z.Name)))
                    continue;
                var retired = catalogue.FindRetired(name);
                if (retired != null)
                    WriteWarning($"{retired.Name} is not in the catalogue because it is dead: {retired.Why}");
                else
                    WriteError(ErrorRecords.Create(ErrorId.InvalidDnsblZone,
                        $"'{name}' is not in the MailOps blocklist catalogue.", name,
                        "Get-DnsblListing -Zone accepts it anyway (with RFC 5782 defaults); run Get-DnsblZone to list the catalogue."));
            }
            foreach (var z in catalogue.Zones)
            {
                if (Type != null && !string.Equals(z.Type, Type, System.StringComparison.OrdinalIgnoreCase)) continue;
                if (patterns.Any(p => p.IsMatch(z.Name))) WriteObject(z);
            }
        }
    }
}
