using System;
using System.Diagnostics.CodeAnalysis;
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
using MailOps.Transport;

namespace MailOps.Commands
{
    /// <summary>What the transport cmdlets share: loading certificate files through the provider, and choosing how host names
    /// resolve (the operating system by default; the -Server / -ZoneFile resolver when either is given).</summary>
    internal static class SmtpCmdletSupport
    {
        /// <summary>Reads PEM or DER certificate files (wildcards allowed) through the provider with <see cref="CertificateFile"/>,
        /// the one certificate reader. A missing file ends the command with CertificateFileNotFound, an unreadable one or one
        /// that holds no certificate with InvalidCertificateFile (an invalid invocation, checked in BeginProcessing).</summary>
        public static IReadOnlyList<X509Certificate2> LoadCertificates(PSCmdlet cmdlet, IEnumerable<string>? paths, string parameter)
        {
            var list = new List<X509Certificate2>();
            foreach (var path in paths ?? new string[0])
            {
                IEnumerable<string> files = new string[0]; // set below, or ThrowTerminatingError threw
                try
                {
                    files = cmdlet.GetResolvedProviderPathFromPSPath(path, out _);
                }
                catch (ItemNotFoundException ex)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.Create(ErrorId.CertificateFileNotFound,
                        $"The certificate file '{path}' was not found.", path, $"Check the path given to -{parameter}.", ex));
                }
                foreach (var file in files)
                {
                    try
                    {
                        var certificates = CertificateFile.Load(file);
                        if (certificates.Count == 0) throw new CryptographicException("The file holds no certificate.");
                        list.AddRange(certificates);
                    }
                    catch (Exception ex) when (ex is CryptographicException || ex is IOException)
                    {
                        cmdlet.ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidCertificateFile,
                            $"'{path}' could not be read as a PEM or DER certificate: {ex.Message}", path,
                            $"Give -{parameter} a PEM (-----BEGIN CERTIFICATE-----, one or more) or DER certificate file.", ex));
                    }
                    catch (UnauthorizedAccessException ex)
                    {
                        cmdlet.ThrowTerminatingError(ErrorRecords.Create(ErrorId.InvalidCertificateFile,
                            $"'{path}' cannot be read: {ex.Message}", path, "Check the file's permissions.", ex));
                    }
                }
            }
            return list;
        }

        /// <summary>The DNS per-question timeout of the transport cmdlets: 5 s (the DNS cmdlets' default), or -TimeoutSec when
        /// that is shorter. Their -TimeoutSec is the deadline of each network step, not of each DNS answer.</summary>
        public static TimeSpan DnsQueryTimeout(int timeoutSec) => TimeSpan.FromSeconds(Math.Min(timeoutSec, 5));

        /// <summary>Null (the operating system resolves, /etc/hosts included) unless -Server or -ZoneFile was given.</summary>
        public static Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>>? Resolver(DnsCmdlet cmdlet, IDnsResolver dns, int port)
        {
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (!bound.ContainsKey("Server") && !bound.ContainsKey("ZoneFile")) return null;
            return (host, ct) => DaneCheck.ResolveAsync(dns, host, port, ct);
        }

        public static bool TryHostName(string? input, [NotNullWhen(true)] out string? host, [NotNullWhen(false)] out string? problem)
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
