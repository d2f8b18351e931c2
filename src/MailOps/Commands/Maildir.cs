using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MailOps.Commands
{
    /// <summary>Maildir folders, for every importer (ReportFileCmdlet.Roots): reports and bounces arrive as mail.</summary>
    internal static class Maildir
    {
        /// <summary>A Maildir (a folder with cur/ and new/) is read as its messages in cur/ and new/ (not tmp/, nor the
        /// server's index files); with <paramref name="recurse"/> its Maildir++ sub-folders (.Sent, .Junk ...) too. Any
        /// other path is returned as it is.</summary>
        public static IEnumerable<string> Roots(string full, bool recurse, Action<string> verbose)
        {
            var cur = Path.Combine(full, "cur");
            var fresh = Path.Combine(full, "new");
            if (!Directory.Exists(cur) || !Directory.Exists(fresh))
            {
                yield return full;
                yield break;
            }
            yield return cur;
            yield return fresh;
            if (!recurse) yield break;
            List<string> subs;
            try
            {
                // Links are not followed (a ".x -> ." link must not loop), as in the walk itself.
                subs = new DirectoryInfo(full).EnumerateDirectories(".*")
                    .Where(d => (d.Attributes & FileAttributes.ReparsePoint) == 0)
                    .Select(d => d.FullName).OrderBy(d => d, StringComparer.Ordinal).ToList();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                verbose($"{full}: its Maildir++ sub-folders cannot be listed: {ex.Message}");
                yield break;
            }
            foreach (var sub in subs)
                foreach (var r in Roots(sub, recurse, verbose)) yield return r;
        }
    }
}
