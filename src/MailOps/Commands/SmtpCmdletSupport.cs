using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Smtp;

namespace MailOps.Commands
{
    /// <summary>What the transport cmdlets share: loading certificate files through the provider, and choosing how host names
    /// resolve (the operating system by default; the -Server / -ZoneFile resolver when either is given).</summary>
    internal static class SmtpCmdletSupport
    {
        /// <summary>Reads PEM or DER certificate files; an unreadable file ends the command (an invalid invocation).</summary>
        public static IReadOnlyList<X509Certificate2> LoadCertificates(PSCmdlet cmdlet, IEnumerable<string> paths, string parameter)
        {
            var list = new List<X509Certificate2>();
            foreach (var path in paths ?? new string[0])
            {
                var full = cmdlet.GetUnresolvedProviderPathFromPSPath(path);
                if (!File.Exists(full))
                    cmdlet.ThrowTerminatingError(ErrorRecords.Create(ErrorId.CertificateFileNotFound, ErrorCategory.ObjectNotFound,
                        $"The certificate file '{path}' was not found.", path, $"Check the path given to -{parameter}."));
                try
                {
                    list.AddRange(CertificateInspector.ReadCertificates(InputFile.ReadAllBytes(full, InputFile.MaxCertificateBytes, "certificate file")));
                }
                catch (Exception ex) when (ex is CryptographicException || ex is FormatException || ex is IOException || ex is UnauthorizedAccessException)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidCertificateFile, ErrorCategory.InvalidData,
                        $"'{path}' could not be read as a PEM or DER certificate: {ex.Message}", path,
                        $"Give -{parameter} a PEM (-----BEGIN CERTIFICATE-----) or DER certificate file.", ex));
                }
            }
            return list;
        }

        /// <summary>Null (the operating system resolves, /etc/hosts included) unless -Server or -ZoneFile was given.</summary>
        public static Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>> Resolver(DnsCmdlet cmdlet, IDnsResolver dns, int port)
        {
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (!bound.ContainsKey("Server") && !bound.ContainsKey("ZoneFile")) return null;
            return (host, ct) => DaneCheck.ResolveAsync(dns, host, port, ct);
        }

        public static bool TryHostName(string input, out string host, out string problem)
        {
            host = null;
            problem = null;
            var h = (input ?? "").Trim();
            if (IPAddress.TryParse(h.Trim('[', ']'), out var ip)) { host = ip.ToString(); return true; }
            problem = DnsName.ValidateDomainName(h);
            if (problem != null) return false;
            host = DnsName.Normalize(h).ToLowerInvariant();
            return true;
        }
    }
}
