using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using MailOps.Dns;

namespace MailOps.Commands
{
    /// <summary>
    /// The one place a cmdlet's resolver is built from -Server, -TimeoutSec and -ZoneFile: DnsCmdlet.BeginProcessing, and
    /// cmdlets that ask DNS without being DNS cmdlets (Import-DmarcReport's enrichment) and so declare the three parameters
    /// themselves, with DnsCmdlet's names, aliases and validation (ModuleTests compares them). An invalid -Server or
    /// -ZoneFile ends the command with a terminating error; each query is told to <c>sink</c> (the cmdlet's verbose stream).
    /// </summary>
    internal static class DnsResolverBuilder
    {
        internal static IDnsResolver Build(PSCmdlet cmdlet, string[]? server, TimeSpan timeout, string[]? zoneFile, bool requestDnssec,
            ICheckSink sink, Action<ErrorRecord> terminate, CancellationToken cancel)
        {
            var zoneFiles = new List<string>();
            foreach (var path in zoneFile ?? new string[0])
            {
                try
                {
                    zoneFiles.AddRange(cmdlet.GetResolvedProviderPathFromPSPath(path, out _));
                }
                catch (ItemNotFoundException ex)
                {
                    terminate(ErrorRecords.Create(ErrorId.ZoneFileNotFound,
                        $"The zone file '{path}' was not found.", path, "Check the path given to -ZoneFile.", ex));
                }
            }

            var options = new DnsOptions
            {
                Servers = server ?? new string[0],
                Timeout = timeout,
                ZoneFiles = zoneFiles,
                RequestDnssec = requestDnssec,
                Sink = sink,
                ZoneFileLimits = ZoneFileLimitsFromEnvironment(),
                CancellationToken = cancel,
            };
            IDnsResolver? dns = null;
            try
            {
                dns = DnsResolverFactory.Create(options);
            }
            catch (FormatException ex)
            {
                terminate(ErrorRecords.Create(ErrorId.InvalidDnsServer, ex.Message,
                    string.Join(",", server ?? new string[0]), "Write servers as 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:5353 or ns.example.net.", ex));
            }
            catch (ZoneFileException ex)
            {
                terminate(ErrorRecords.Create(ErrorId.InvalidZoneFile, ex.Message, ex.Path,
                    ex.Line > 0 ? $"Fix line {ex.Line} of {ex.Path}." : $"Check {ex.Path}: -ZoneFile takes regular master files within the limits in docs/files.md.", ex));
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            if (zoneFiles.Count > 0)
                cmdlet.WriteVerbose("Zone files: " + string.Join(", ", zoneFiles));
            // Every catch above calls terminate (ThrowTerminatingError), which throws: here the factory made a resolver.
            return dns!;
        }

        /// <summary>The zone-file limits, with MAILOPS_ZONEFILE_MAX_BYTES (bytes per file) applied when it is set to a number.</summary>
        private static ZoneFileLimits ZoneFileLimitsFromEnvironment()
        {
            var limits = new ZoneFileLimits();
            var text = Environment.GetEnvironmentVariable("MAILOPS_ZONEFILE_MAX_BYTES");
            if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) && max > 0)
                limits.MaxFileBytes = max;
            return limits;
        }
    }
}
