using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>A TLSA record ready to publish.</summary>
    public sealed class TlsaRecordLine
    {
        internal TlsaRecordLine(string host, int port, int usage, int selector, int matchingType, string data, X509Certificate2 cert, string source)
        {
            HostName = host;
            Port = port;
            Name = $"_{port.ToString(CultureInfo.InvariantCulture)}._tcp.{DnsName.Absolute(host)}";
            Usage = usage;
            Selector = selector;
            MatchingType = matchingType;
            Data = data;
            CertificateSubject = cert.Subject;
            CertificateNotAfter = cert.NotAfter.ToUniversalTime();
            Source = source;
            Record = TlsaRecordBuilder.Line(host, port, usage, selector, matchingType, data);
        }

        public string HostName { get; }
        public int Port { get; }

        /// <summary>The owner name, "_25._tcp.mail.example.com.".</summary>
        public string Name { get; }

        public int Usage { get; }
        public int Selector { get; }
        public int MatchingType { get; }

        /// <summary>The certificate association data, lower-case hex.</summary>
        public string Data { get; }

        /// <summary>The certificate the data was computed from (the leaf for usage 3, the CA for usage 2).</summary>
        public string CertificateSubject { get; }
        public DateTime CertificateNotAfter { get; }

        /// <summary>The file or host:port the certificate came from.</summary>
        public string Source { get; }

        /// <summary>The master-file line: "_25._tcp.mail.example.com. IN TLSA 3 1 1 &lt;hash&gt;".</summary>
        public string Record { get; }

        public override string ToString() => Record;
    }

    /// <summary>Builds TLSA records (RFC 6698 §2) from a certificate file or a live server.</summary>
    public static class TlsaRecordBuilder
    {
        public static string Line(string host, int port, int usage, int selector, int matchingType, string data) =>
            string.Format(CultureInfo.InvariantCulture, "_{0}._tcp.{1} IN TLSA {2} {3} {4} {5}", port, DnsName.Absolute(host.ToLowerInvariant()), usage, selector, matchingType, data);

        /// <summary>The record for a chain (leaf first): usage 3 and 1 describe the leaf; 2 and 0 the top-most CA certificate given.
        /// Throws <see cref="ArgumentException"/> when usage 2/0 is asked and no CA certificate is in the chain.</summary>
        public static TlsaRecordLine Build(IReadOnlyList<X509Certificate2> chain, string host, int port, int usage, int selector, int matchingType, string source)
        {
            if (chain == null || chain.Count == 0) throw new ArgumentException("No certificate was found.", nameof(chain));
            X509Certificate2 cert;
            if (usage == 3 || usage == 1) cert = chain[0];
            else
            {
                cert = chain.Where(IsCa).LastOrDefault();
                if (cert == null)
                    throw new ArgumentException($"A usage-{usage} ({Tlsa.UsageName(usage)}) record describes a CA certificate, and {source} holds none (only {chain[0].Subject}). Give the file with the chain (fullchain.pem) or the CA certificate itself.");
            }
            var data = Tlsa.AssociationData(cert, selector, matchingType)
                ?? throw new ArgumentException($"Selector {selector} / matching type {matchingType} are not defined (selector 0-1, matching type 0-2).");
            return new TlsaRecordLine(host, port, usage, selector, matchingType, Tlsa.ToHex(data), cert, source);
        }

        internal static bool IsCa(X509Certificate2 c) =>
            c.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

        /// <summary>The host name a certificate file is for: its first DNS name that is not a wildcard.</summary>
        public static string DefaultHostName(X509Certificate2 leaf) =>
            CertificateJudge.GetDnsNames(leaf).FirstOrDefault(n => !n.StartsWith("*", StringComparison.Ordinal));

        /// <summary>Fetches the certificates a live server sends (STARTTLS on SMTP/IMAP ports, implicit TLS on 465/993), leaf first.
        /// Throws <see cref="MailConnectionException"/> when it cannot connect, <see cref="InvalidOperationException"/> when no TLS session is possible.</summary>
        public static async Task<IReadOnlyList<X509Certificate2>> FetchChainAsync(string host, int port, MailServiceOptions options, CancellationToken ct)
        {
            TlsHandshake? handshake = null;
            options = options ?? new MailServiceOptions();
            options.OnHandshake = h => handshake = h;
            var result = await MailServiceCheck.RunAsync(host, port, options, ct).ConfigureAwait(false);
            if (handshake?.Leaf == null)
            {
                var why = result.Findings.FirstOrDefault(f => f.Level == FindingSeverity.Fail);
                throw new InvalidOperationException($"No TLS session with {host} port {port}: {why?.Message ?? "no certificate was presented"}");
            }
            var sent = handshake.Sent.Count > 0 ? handshake.Sent.ToList() : new List<X509Certificate2> { handshake.Leaf };
            sent.RemoveAll(c => c.Thumbprint == handshake.Leaf.Thumbprint);
            sent.Insert(0, handshake.Leaf);
            return sent;
        }
    }
}
