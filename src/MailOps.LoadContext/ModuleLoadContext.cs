using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace MailOps.LoadContext
{
    /// <summary>
    /// The AssemblyLoadContext MailOps runs in on PowerShell 7 (the pattern of PSToml, PSOpenAD and PSResourceGet). Every
    /// assembly found in the dependencies folder loads here, except those the runtime itself provides (System.*, netstandard
    /// facades that are part of the shared framework: the framework's copy is newer and must be shared); anything else - the
    /// PowerShell engine above all - comes from the default context, so MailOps' cmdlets are ordinary cmdlets to PowerShell.
    /// </summary>
    public sealed class ModuleLoadContext : AssemblyLoadContext
    {
        private static readonly object Sync = new object();
        private static readonly Dictionary<string, ModuleLoadContext> Instances = new Dictionary<string, ModuleLoadContext>(StringComparer.Ordinal);
        private static Dictionary<string, string>? _platform;
        private readonly string _directory;

        private ModuleLoadContext(string directory) : base("MailOps", isCollectible: false)
        {
            _directory = directory;
        }

        /// <summary>The folder the context loads from.</summary>
        public string Directory => _directory;

        /// <summary>Creates the context once per module folder and process (a second Import-Module reuses it; another copy of
        /// MailOps in another folder gets its own) and returns MailOps.dll loaded in it.</summary>
        public static Assembly Initialize(string dependencyDirectory)
        {
            lock (Sync)
            {
                var full = Path.GetFullPath(dependencyDirectory);
                if (!Instances.TryGetValue(full, out var context))
                {
                    context = new ModuleLoadContext(full);
                    Instances[full] = context;
                }
                return context.LoadFromAssemblyPath(Path.Combine(full, "MailOps.dll"));
            }
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name;
            if (string.IsNullOrEmpty(name)) return null;
            var path = Path.Combine(_directory, name + ".dll");
            if (!File.Exists(path)) return null; // the PowerShell engine and everything else MailOps does not ship
            if (PlatformProvides(assemblyName)) return null; // share the runtime's own copy when it is new enough
            return LoadFromAssemblyPath(path);
        }

        /// <summary>True when the runtime's trusted platform assemblies (the shared framework, and PowerShell's own folder)
        /// hold this assembly at the requested version or later: then the default context's copy is used, so that System.*
        /// types are the ones PowerShell itself uses. An older platform copy (System.Formats.Asn1 8.0 on PowerShell 7.4
        /// when MailOps was built against 10.0) is not enough: MailOps' own copy loads here instead.</summary>
        private static bool PlatformProvides(AssemblyName requested)
        {
            if (_platform == null)
            {
                var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
                foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                    map[Path.GetFileNameWithoutExtension(path)] = path;
                _platform = map;
            }
            var name = requested.Name!;
            // Only framework-style assemblies are shared; DnsClient, MimeKit, BouncyCastle and MailOps' own always load here,
            // whatever else the host process carries (a test host, or an application embedding PowerShell).
            if (!(name.StartsWith("System.", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Microsoft.", StringComparison.OrdinalIgnoreCase)
                  || name.Equals("netstandard", StringComparison.OrdinalIgnoreCase) || name.Equals("mscorlib", StringComparison.OrdinalIgnoreCase)))
                return false;
            if (!_platform.TryGetValue(name, out var platformPath)) return false;
            try
            {
                var version = AssemblyName.GetAssemblyName(platformPath).Version;
                return requested.Version == null || (version != null && version >= requested.Version);
            }
            catch (Exception)
            {
                return false;
            }
        }
    }
}
