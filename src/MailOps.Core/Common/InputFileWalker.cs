using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;

namespace MailOps
{
    /// <summary>Bounds of a directory walk.</summary>
    public sealed class FileWalkOptions
    {
        /// <summary>Enter sub-directories (-Recurse).</summary>
        public bool Recurse { get; set; }

        /// <summary>How many directory levels below a folder given are entered. Default 32.</summary>
        public int MaxDepth { get; set; } = 32;

        /// <summary>The most files one walk yields (all folders given to one command together). Default 100,000.</summary>
        public int MaxFiles { get; set; } = 100_000;

        /// <summary>The most directories one walk enters. Default 10,000.</summary>
        public int MaxDirectories { get; set; } = 10_000;
    }

    /// <summary>What a walk met: a file to read, a note (a link not followed, a duplicate skipped) or a problem.</summary>
    internal sealed class FileWalkItem
    {
        private FileWalkItem(string path, FileWalkItemKind kind, string? message)
        {
            Path = path;
            Kind = kind;
            Message = message;
        }

        public string Path { get; }
        public FileWalkItemKind Kind { get; }
        public string? Message { get; }

        public static FileWalkItem File(string path) => new FileWalkItem(path, FileWalkItemKind.File, null);
        public static FileWalkItem Note(string path, string message) => new FileWalkItem(path, FileWalkItemKind.Note, message);
        public static FileWalkItem Problem(string path, FileWalkItemKind kind, string message) => new FileWalkItem(path, kind, message);
    }

    internal enum FileWalkItemKind
    {
        /// <summary>A regular file, seen for the first time.</summary>
        File,
        /// <summary>Something skipped on purpose (a directory link, a file already read): for -Verbose.</summary>
        Note,
        /// <summary>A FIFO, socket or device: refused.</summary>
        NotRegular,
        /// <summary>A directory that could not be listed; the walk goes on.</summary>
        Unreadable,
        /// <summary>A depth or count limit was reached.</summary>
        LimitReached,
    }

    /// <summary>
    /// Walks the files a user names, lazily (one directory listed at a time, each file handed on before the next
    /// directory is listed) and bounded: at most <see cref="FileWalkOptions.MaxDepth"/> levels,
    /// <see cref="FileWalkOptions.MaxFiles"/> files and <see cref="FileWalkOptions.MaxDirectories"/> directories.
    /// Symbolic links to directories met inside a walk are not followed (so links to '.' or to a parent cannot loop; the
    /// folders given themselves may be links). Each file is yielded once however many names (links, overlapping folders)
    /// reach it, by device and inode where the platform tells them. A directory that cannot be listed is one problem and
    /// the walk goes on; non-regular files (FIFOs, sockets, devices) are problems and are never opened.
    /// Entries of a directory come in ordinal order of their names.
    /// </summary>
    internal sealed class InputFileWalker
    {
        private readonly FileWalkOptions _options;
        private readonly HashSet<string> _seenFiles = new HashSet<string>(StringComparer.Ordinal);
        private readonly HashSet<string> _seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        private int _files, _directories;
        private bool _exhausted;

        public InputFileWalker(FileWalkOptions options) => _options = options ?? new FileWalkOptions();

        /// <summary>Walks one path given by the user (a file or a folder). The same walker remembers what it yielded
        /// across calls, so a file named twice is read once.</summary>
        public IEnumerable<FileWalkItem> Walk(string path, CancellationToken ct)
        {
            if (_exhausted) yield break;
            var full = Path.GetFullPath(path);
            var type = InputFile.GetType(full);
            if (type != InputFileType.Directory)
            {
                var item = FileItem(full, type);
                if (item != null) yield return item;
                yield break;
            }

            // Depth-first, in name order; a stack of listings, each read when its directory is reached.
            var stack = new Stack<(IEnumerator<string> Entries, int Depth)>();
            var top = List(full, 0, out var problem);
            if (problem != null) { yield return problem; yield break; }
            if (top == null) yield break;
            stack.Push((top, 0));
            try
            {
                while (stack.Count > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    var (entries, depth) = stack.Peek();
                    if (!entries.MoveNext())
                    {
                        entries.Dispose();
                        stack.Pop();
                        continue;
                    }
                    var entry = entries.Current;
                    var entryType = InputFile.GetType(entry);
                    if (entryType == InputFileType.Directory)
                    {
                        if (!_options.Recurse) continue;
                        if (InputFile.IsLink(entry))
                        {
                            yield return FileWalkItem.Note(entry, $"{entry} is a link to a directory; links to directories are not followed inside a walk (name the folder itself to read it).");
                            continue;
                        }
                        if (depth + 1 > _options.MaxDepth)
                        {
                            yield return FileWalkItem.Problem(entry, FileWalkItemKind.LimitReached,
                                $"The folder '{entry}' is more than {_options.MaxDepth} levels below '{full}'; it was not entered.");
                            continue;
                        }
                        var sub = List(entry, depth + 1, out var subProblem);
                        if (subProblem != null)
                        {
                            yield return subProblem;
                            if (subProblem.Kind == FileWalkItemKind.LimitReached) yield break;
                            continue;
                        }
                        if (sub != null) stack.Push((sub, depth + 1));
                        continue;
                    }
                    var item = FileItem(entry, entryType);
                    if (item != null) yield return item;
                    if (_exhausted) yield break;
                }
            }
            finally
            {
                while (stack.Count > 0) stack.Pop().Entries.Dispose();
            }
        }

        private FileWalkItem FileItem(string full, InputFileType type)
        {
            switch (type)
            {
                case InputFileType.Regular:
                    if (!_seenFiles.Add(InputFile.Identity(full)))
                        return FileWalkItem.Note(full, $"{full} was already read under another name (a link, or folders given twice); skipped.");
                    if (++_files > _options.MaxFiles)
                    {
                        _exhausted = true;
                        return FileWalkItem.Problem(full, FileWalkItemKind.LimitReached,
                            $"More than {_options.MaxFiles:N0} files were found; the rest (from '{full}' on) were not read.");
                    }
                    return FileWalkItem.File(full);
                case InputFileType.Missing:
                    // Vanished between listing and reading, or a dangling link.
                    return FileWalkItem.Problem(full, FileWalkItemKind.Unreadable, $"'{full}' cannot be read: it does not exist (a dangling link?).");
                default:
                    return FileWalkItem.Problem(full, FileWalkItemKind.NotRegular,
                        $"'{full}' is {InputFile.Describe(type)}, not a regular file; it was not opened (reading it could block or never end).");
            }
        }

        /// <summary>Lists one directory (names only, sorted); a problem when it cannot be listed or a limit is reached,
        /// null listing when it was entered before under another name.</summary>
        private IEnumerator<string>? List(string dir, int depth, out FileWalkItem? problem)
        {
            problem = null;
            if (!_seenDirectories.Add(InputFile.Identity(dir))) return null;
            if (++_directories > _options.MaxDirectories)
            {
                _exhausted = true;
                problem = FileWalkItem.Problem(dir, FileWalkItemKind.LimitReached,
                    $"More than {_options.MaxDirectories:N0} folders were entered; the rest (from '{dir}' on) were not read.");
                return null;
            }
            try
            {
                var names = new List<string>();
                foreach (var e in Directory.EnumerateFileSystemEntries(dir))
                {
                    names.Add(e);
                    if (names.Count > _options.MaxFiles)
                    {
                        _exhausted = true;
                        problem = FileWalkItem.Problem(dir, FileWalkItemKind.LimitReached,
                            $"The folder '{dir}' holds more than {_options.MaxFiles:N0} entries; it was not read.");
                        return null;
                    }
                }
                names.Sort(StringComparer.Ordinal);
                return names.GetEnumerator();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || ex is IOException || ex is System.Security.SecurityException)
            {
                problem = FileWalkItem.Problem(dir, FileWalkItemKind.Unreadable, $"The folder '{dir}' cannot be read: {ex.Message}");
                return null;
            }
        }
    }
}
