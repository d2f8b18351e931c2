using System;
using System.IO;
using System.Linq;

namespace MailOps.Testing
{
    /// <summary>Whether this process has a file open: the signal a Ctrl+C test waits for before it stops a cmdlet that is
    /// reading (so the stop comes during the read, not during Import-Module on a busy machine).</summary>
    public static class OpenFiles
    {
        /// <summary>True when a descriptor of this process points at <paramref name="path"/>. Linux reads /proc/self/fd;
        /// elsewhere the answer is always true (the test falls back to its fixed delay).</summary>
        public static bool IsOpen(string path)
        {
            if (!Directory.Exists("/proc/self/fd")) return true;
            var full = Path.GetFullPath(path);
            foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is string target && string.Equals(target, full, StringComparison.Ordinal)) return true;
                }
                catch (IOException) { }            // the descriptor closed while we looked
                catch (UnauthorizedAccessException) { }
            }
            return false;
        }
    }
}
