using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace MailOps.Testing
{
    /// <summary>Waiting for a condition another thread brings about, without holding a thread while waiting: the test runs
    /// in parallel with others that need the thread pool (the fixture DNS server answers on it), and a blocked or spinning
    /// test thread on a 2-core machine delays their answers past their timeouts.</summary>
    public static class Poll
    {
        /// <summary>True once <paramref name="condition"/> holds; false when <paramref name="timeout"/> passes first.</summary>
        public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed > timeout) return false;
                await Task.Delay(5).ConfigureAwait(false);
            }
            return true;
        }
    }
}
