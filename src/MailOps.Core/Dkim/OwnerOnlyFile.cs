using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MailOps.Dkim
{
    /// <summary>Raised when a file MailOps would write already exists and overwriting was not asked for.</summary>
    public sealed class FileExistsException : IOException
    {
        public FileExistsException(string path)
            : base($"{path} already exists; it was left unchanged.") => Path = path;

        public string Path { get; }
    }

    /// <summary>
    /// Writes secrets to files that are owner-only from the moment they exist: mode 0600 on Unix, a protected DACL
    /// granting only the owner on Windows. The content goes to a fresh file in the target directory, created with
    /// those permissions, and is then moved into place: without overwrite by a hard link (which fails atomically
    /// when the target exists), with overwrite by rename(2). No moment exists where the key is readable by others
    /// or where an existing file is half-replaced.
    /// </summary>
    internal static class OwnerOnlyFile
    {
        public static void Write(string path, byte[] content, bool overwrite)
        {
            var full = System.IO.Path.GetFullPath(path);
            var dir = System.IO.Path.GetDirectoryName(full) ?? ".";
            if (!overwrite && (File.Exists(full) || Directory.Exists(full))) throw new FileExistsException(full);
            var temp = System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) WriteWindows(full, temp, content, overwrite);
            else WriteUnix(full, temp, content, overwrite);
        }

        // ---- Unix ----------------------------------------------------------------------------------------------
        // creat(2) rather than open(2): open is variadic, and on Apple arm64 variadic arguments travel on the stack,
        // so a P/Invoke declaring mode as a plain int would pass garbage permissions there. creat is not variadic.

        [DllImport("libc", EntryPoint = "creat", SetLastError = true)]
        private static extern int Creat(string path, uint mode);

        [DllImport("libc", EntryPoint = "link", SetLastError = true)]
        private static extern int Link(string oldPath, string newPath);

        [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
        private static extern int Rename(string oldPath, string newPath);

        [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        private static extern int Fchmod(int fd, uint mode);

        private const uint Mode0600 = 0x180; // octal 600
        private const int EEXIST = 17;

        private static void WriteUnix(string full, string temp, byte[] content, bool overwrite)
        {
            var fd = Creat(temp, Mode0600);
            if (fd < 0) throw Errno("create", temp);
            try
            {
                // creat applies the umask, which can only remove bits; fchmod makes the mode exactly 0600.
                Fchmod(fd, Mode0600);
                using (var stream = new FileStream(new SafeFileHandle((IntPtr)fd, ownsHandle: true), FileAccess.Write))
                {
                    stream.Write(content, 0, content.Length);
                    stream.Flush(true);
                }
                if (overwrite)
                {
                    if (Rename(temp, full) != 0) throw Errno("move into place", full);
                }
                else if (Link(temp, full) != 0)
                {
                    var errno = Marshal.GetLastWin32Error();
                    if (errno == EEXIST) throw new FileExistsException(full);
                    // File systems without hard links: check, then rename (a narrow race, never a silent overwrite
                    // of a file that existed before this call began: that was checked in Write).
                    if (File.Exists(full)) throw new FileExistsException(full);
                    if (Rename(temp, full) != 0) throw Errno("move into place", full);
                }
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        private static IOException Errno(string what, string path)
        {
            var errno = Marshal.GetLastWin32Error();
            return new IOException($"Could not {what} {path} (errno {errno}).");
        }

        // ---- Windows -------------------------------------------------------------------------------------------

        [StructLayout(LayoutKind.Sequential)]
        private struct SecurityAttributes
        {
            public int Length;
            public IntPtr SecurityDescriptor;
            public int InheritHandle;
        }

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool ConvertStringSecurityDescriptorToSecurityDescriptorW(string sddl, uint revision, out IntPtr descriptor, out uint size);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern SafeFileHandle CreateFileW(string name, uint access, uint share, ref SecurityAttributes attributes, uint disposition, uint flags, IntPtr template);

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern IntPtr LocalFree(IntPtr mem);

        private const uint GenericWrite = 0x40000000;
        private const uint CreateNew = 1;

        private static void WriteWindows(string full, string temp, byte[] content, bool overwrite)
        {
            // Protected DACL (no inherited ACEs) with one entry: full control for the file's owner.
            if (!ConvertStringSecurityDescriptorToSecurityDescriptorW("D:P(A;;FA;;;OW)", 1, out var sd, out _))
                throw new Win32Exception(Marshal.GetLastWin32Error());
            try
            {
                var sa = new SecurityAttributes { Length = Marshal.SizeOf(typeof(SecurityAttributes)), SecurityDescriptor = sd };
                using (var handle = CreateFileW(temp, GenericWrite, 0, ref sa, CreateNew, 0x80, IntPtr.Zero))
                {
                    if (handle.IsInvalid) throw new IOException($"Could not create {temp}.", new Win32Exception(Marshal.GetLastWin32Error()));
                    using (var stream = new FileStream(handle, FileAccess.Write))
                    {
                        stream.Write(content, 0, content.Length);
                        stream.Flush(true);
                    }
                }
                // File.Replace would keep the old file's ACL; delete and move so the new DACL stays.
                if (overwrite && File.Exists(full)) File.Delete(full);
                try
                {
                    File.Move(temp, full); // fails when the target exists
                }
                catch (IOException) when (File.Exists(full))
                {
                    throw new FileExistsException(full);
                }
            }
            finally
            {
                LocalFree(sd);
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }
}
