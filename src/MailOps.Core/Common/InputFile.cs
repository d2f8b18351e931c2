using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace MailOps
{
    /// <summary>What a path names, as far as reading it goes.</summary>
    public enum InputFileType
    {
        /// <summary>The path does not exist (or a link on it points nowhere).</summary>
        Missing,
        /// <summary>A regular file: the only kind MailOps reads.</summary>
        Regular,
        Directory,
        /// <summary>A named pipe: opening it blocks until a writer comes, reading it may never end.</summary>
        Fifo,
        Socket,
        /// <summary>A character device such as /dev/zero or a terminal: endless or blocking.</summary>
        CharacterDevice,
        BlockDevice,
        /// <summary>Anything else the operating system reports.</summary>
        Other,
    }

    /// <summary>Why a user-supplied input file was refused.</summary>
    public enum InputFileProblem
    {
        /// <summary>A FIFO, socket, device or directory: never opened, so nothing blocks and nothing endless is read.</summary>
        NotRegular,
        /// <summary>The file is larger than the limit for its kind.</summary>
        TooLarge,
    }

    /// <summary>
    /// A user-supplied input file was refused before (or while) it was read. An <see cref="IOException"/>, so callers that
    /// already turn I/O failures into their own errors keep doing so.
    /// </summary>
    public sealed class InputFileException : IOException
    {
        public InputFileException(string path, InputFileProblem problem, string message) : base(message)
        {
            Path = path;
            Problem = problem;
        }

        public string Path { get; }

        public InputFileProblem Problem { get; }
    }

    /// <summary>
    /// The one way MailOps opens a file a user names (report files, zone files and their $INCLUDEs, DKIM private keys,
    /// certificate files, messages): only regular files are opened (a FIFO, socket or device is refused before open(2),
    /// which for a FIFO would block), the size is checked against a cap for the file's kind before anything is read, and
    /// reading is streamed with the cap enforced again while reading (a file that grows, or a /proc-like file that
    /// reports size 0, cannot get past it).
    /// </summary>
    public static class InputFile
    {
        /// <summary>The most bytes of a DKIM private key file (a PEM RSA-8192 key is about 6.5 KB).</summary>
        public const long MaxPrivateKeyBytes = 64 * 1024;

        /// <summary>The most bytes of a message file checked whole (Test-DkimSignature): 64 MiB, above any MTA's message size limit.</summary>
        public const long MaxMessageBytes = 64L << 20;

        /// <summary>The most bytes of a certificate file (PEM bundles of public CAs are about 250 KB).</summary>
        public const long MaxCertificateBytes = 16L * 1024 * 1024;

        /// <summary>What the path names, following symbolic links (so a link to a FIFO is a FIFO).</summary>
        public static InputFileType GetType(string path)
        {
            var full = System.IO.Path.GetFullPath(path);
            var mode = UnixMode(full, followLinks: true);
            if (mode == -1) return InputFileType.Missing;
            if (mode.HasValue) return FromMode(mode.Value);
            // No stat (Windows, or a runtime without the shim): Windows has no FIFOs or devices in the file system, so
            // attributes tell enough.
            if (Directory.Exists(full)) return InputFileType.Directory;
            if (!File.Exists(full)) return InputFileType.Missing;
            try
            {
                return (File.GetAttributes(full) & FileAttributes.Device) != 0 ? InputFileType.CharacterDevice : InputFileType.Regular;
            }
            catch (IOException) { return InputFileType.Missing; }
        }

        /// <summary>Whether the path itself (not its target) is a symbolic link (or a Windows reparse point).</summary>
        public static bool IsLink(string path)
        {
            var full = System.IO.Path.GetFullPath(path).TrimEnd(System.IO.Path.DirectorySeparatorChar);
            if (full.Length == 0) return false;
            var mode = UnixMode(full, followLinks: false);
            if (mode.HasValue) return mode.Value != -1 && (mode.Value & 0xF000) == 0xA000;
            try { return (File.GetAttributes(full) & FileAttributes.ReparsePoint) != 0; }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }

        /// <summary>
        /// A key that is equal for two paths naming the same file: "device:inode" where the runtime tells them (Linux and
        /// macOS on .NET 8 and later), else the full path with links in its last component left as they are.
        /// </summary>
        public static string Identity(string path)
        {
            var full = System.IO.Path.GetFullPath(path);
            var id = UnixDeviceAndInode(full);
            return id ?? "path:" + full;
        }

        /// <summary>Why the file cannot be read as input (a <see cref="FileNotFoundException"/> when it does not exist, else an
        /// <see cref="InputFileException"/>), or null when it is a regular file within <paramref name="maxBytes"/>.</summary>
        public static IOException? Check(string path, long maxBytes, string what)
        {
            var type = GetType(path);
            switch (type)
            {
                case InputFileType.Regular:
                    break;
                case InputFileType.Missing:
                    return new FileNotFoundException($"The {what} '{path}' does not exist.", path);
                default:
                    return new InputFileException(path, InputFileProblem.NotRegular,
                        $"The {what} '{path}' is {Describe(type)}, not a regular file; it was not opened (reading it could block or never end).");
            }
            long length;
            try { length = new FileInfo(path).Length; }
            catch (IOException) { length = 0; }
            if (length > maxBytes) return TooLarge(path, what, maxBytes, length);
            return null;
        }

        /// <summary>
        /// Opens a user-supplied file for streaming: refuses non-regular files and files over <paramref name="maxBytes"/>,
        /// and the stream throws <see cref="InputFileException"/> if more than <paramref name="maxBytes"/> come out of it.
        /// </summary>
        public static Stream OpenRead(string path, long maxBytes, string what)
        {
            var problem = Check(path, maxBytes, what);
            if (problem != null) throw problem;
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
            if (maxBytes == long.MaxValue) return fs;
            return new CappedStream(fs, maxBytes, () => TooLarge(path, what, maxBytes, null));
        }

        /// <summary>Reads a small user-supplied file whole (a key, a certificate): regular files up to <paramref name="maxBytes"/> only.</summary>
        public static byte[] ReadAllBytes(string path, long maxBytes, string what)
        {
            using (var s = OpenRead(path, maxBytes, what))
            using (var ms = new MemoryStream())
            {
                s.CopyTo(ms);
                return ms.ToArray();
            }
        }

        /// <summary>Reads a small user-supplied text file whole (UTF-8, BOM honoured): regular files up to <paramref name="maxBytes"/> only.</summary>
        public static string ReadAllText(string path, long maxBytes, string what)
        {
            using (var s = OpenRead(path, maxBytes, what))
            using (var r = new StreamReader(s, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true))
                return r.ReadToEnd();
        }

        private static InputFileException TooLarge(string path, string what, long max, long? actual) =>
            new InputFileException(path, InputFileProblem.TooLarge,
                $"The {what} '{path}' is {(actual.HasValue ? actual.Value.ToString("N0", CultureInfo.InvariantCulture) + " bytes" : "larger than its limit")}; " +
                $"the limit for a {what} is {max.ToString("N0", CultureInfo.InvariantCulture)} bytes.");

        internal static string Describe(InputFileType t)
        {
            switch (t)
            {
                case InputFileType.Directory: return "a directory";
                case InputFileType.Fifo: return "a named pipe (FIFO)";
                case InputFileType.Socket: return "a socket";
                case InputFileType.CharacterDevice: return "a character device";
                case InputFileType.BlockDevice: return "a block device";
                case InputFileType.Missing: return "missing";
                case InputFileType.Regular: return "a regular file";
                default: return "a special file";
            }
        }

        private static InputFileType FromMode(int mode)
        {
            switch (mode & 0xF000)
            {
                case 0x8000: return InputFileType.Regular;
                case 0x4000: return InputFileType.Directory;
                case 0x1000: return InputFileType.Fifo;
                case 0xC000: return InputFileType.Socket;
                case 0x2000: return InputFileType.CharacterDevice;
                case 0x6000: return InputFileType.BlockDevice;
                default: return InputFileType.Other;
            }
        }

        // ---- stat(2) through the runtime's own shim ---------------------------------------------------------------
        // libSystem.Native ships with every .NET (Core) runtime on Unix and is what FileStream itself calls. Its
        // FileStatus struct starts { int32 Flags; int32 Mode; ... } on every version, with the file type normalised to the
        // S_IFMT values used below. Device and inode sit at offsets 88 and 104 from .NET 7 (RDev was added then); they are
        // only read on .NET 8 or later, where that layout holds. On Windows (or Windows PowerShell) the shim is absent
        // and the callers fall back to attributes and paths.

        private static bool _noShim = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true, CharSet = CharSet.Ansi)]
        private static extern int SystemStat(string path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true, CharSet = CharSet.Ansi)]
        private static extern int SystemLStat(string path, byte[] status);

        private static byte[]? Stat(string path, bool followLinks)
        {
            if (_noShim) return null;
            var buffer = new byte[512];
            try
            {
                var rc = followLinks ? SystemStat(path, buffer) : SystemLStat(path, buffer);
                return rc == 0 ? buffer : new byte[0];
            }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException || ex is BadImageFormatException)
            {
                _noShim = true;
                return null;
            }
        }

        /// <summary>The mode bits, -1 when the path does not exist, null when the platform cannot tell.</summary>
        private static int? UnixMode(string path, bool followLinks)
        {
            var b = Stat(path, followLinks);
            if (b == null) return null;
            if (b.Length == 0) return -1; // stat failed: missing, dangling link or no permission on a parent
            return BitConverter.ToInt32(b, 4);
        }

        private static string? UnixDeviceAndInode(string path)
        {
            if (Environment.Version.Major < 8) return null;
            var b = Stat(path, followLinks: true);
            if (b == null || b.Length == 0) return null;
            var dev = BitConverter.ToInt64(b, 88);
            var ino = BitConverter.ToInt64(b, 104);
            if (ino == 0) return null;
            return "inode:" + dev.ToString(CultureInfo.InvariantCulture) + ":" + ino.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>A read-only stream that throws once more than a given number of bytes have come out of it.</summary>
        private sealed class CappedStream : Stream
        {
            private readonly Stream _inner;
            private readonly long _max;
            private readonly Func<Exception> _tooLarge;
            private long _read;

            public CappedStream(Stream inner, long max, Func<Exception> tooLarge)
            {
                _inner = inner;
                _max = max;
                _tooLarge = tooLarge;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                var n = _inner.Read(buffer, offset, count);
                _read += n;
                if (_read > _max) throw _tooLarge();
                return n;
            }

            public override bool CanRead => true;
            public override bool CanSeek => _inner.CanSeek;
            public override bool CanWrite => false;
            public override long Length => _inner.Length;
            public override long Position { get => _inner.Position; set { _inner.Position = value; _read = value; } }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) { var p = _inner.Seek(offset, origin); _read = p; return p; }
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing) _inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
