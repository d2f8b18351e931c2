using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MailOps.Testing;

namespace MailOps.Module.Tests
{
    /// <summary>
    /// The RFC 7208 suite (../shared/corpora/spf; skipped with a message when it is absent) through Test-MailSpf as a
    /// receiver runs it: -IPAddress, -Sender (its domain is the identity; empty means postmaster@HELO) and -HeloName,
    /// no -Domain. One hosted runspace per scenario, each scenario's zone data on a loopback DNS server.
    /// </summary>
    [Collection("Runspace")]
    public sealed class SpfSuiteCmdletTests
    {
        [CorpusFact("spf")]
        public void Every_suite_case_passes_through_the_cmdlet()
        {
            var failures = new List<string>();
            var ran = 0;
            foreach (var s in Rfc7208Suite.Scenarios)
            {
                using var server = FixtureDnsServer.Start();
                Rfc7208Suite.Serve(server, s.ZoneData);
                var cases = s.Cases.Select(c => new object[] { c.Name, c.Host, c.MailFrom, c.Helo }).ToArray();
                var run = ModuleHost.Run(@"
# The first answer from a fresh server can be slow (JIT, sockets): one question with a long timeout first.
Get-MailMx warm-up.invalid -Server $srv -TimeoutSec 5 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null
foreach ($c in $cases) {
    $r = Test-MailSpf -IPAddress $c[1] -Sender $c[2] -HeloName $c[3] -Server $srv -TimeoutSec 1 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    [pscustomobject]@{ Name = $c[0]; Result = if ($r) { $r.Result } else { '(no result)' } }
}", new Dictionary<string, object?> { ["srv"] = server.ServerSpec, ["cases"] = cases });
                Assert.True(run.Terminating == null, run.Terminating?.ToString());
                foreach (var o in run.Output)
                {
                    ran++;
                    var c = s.Cases.Single(x => x.Name == (string)o.Properties["Name"].Value);
                    var result = (string)o.Properties["Result"].Value;
                    if (!c.Results.Contains(result))
                        failures.Add($"{s.Description}/{c.Name}: expected {string.Join(" or ", c.Results)}, got {result}");
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.Equal(Rfc7208Suite.ExpectedCases, ran);
        }
    }
}
