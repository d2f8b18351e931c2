using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MailOps.Transport
{
    /// <summary>The one reader of certificate files: PEM (one or many "BEGIN CERTIFICATE" blocks, as in a CA bundle or a
    /// fullchain.pem) or DER. Every transport cmdlet reads its -TrustedCertificatePath / -CertificatePath files here.</summary>
    public static class CertificateFile
    {
        private const string Begin = "-----BEGIN CERTIFICATE-----";
        private const string End = "-----END CERTIFICATE-----";

        /// <summary>The largest certificate file read (a CA bundle of the whole web PKI is about 250 KB).</summary>
        public const int MaxFileBytes = 16 * 1024 * 1024;

        /// <summary>Every certificate in the bytes of a PEM or DER file. Throws <see cref="CryptographicException"/> when the
        /// data is neither, or a PEM file holds no certificate.</summary>
        public static IReadOnlyList<X509Certificate2> Read(byte[] data)
        {
            if (data == null || data.Length == 0) throw new CryptographicException("The file is empty.");
            var text = Encoding.ASCII.GetString(data);
            if (text.IndexOf(Begin, StringComparison.Ordinal) < 0)
                return new[] { new X509Certificate2(data) };
            var list = new List<X509Certificate2>();
            int pos = 0;
            while ((pos = text.IndexOf(Begin, pos, StringComparison.Ordinal)) >= 0)
            {
                var stop = text.IndexOf(End, pos, StringComparison.Ordinal);
                if (stop < 0) throw new CryptographicException("A PEM certificate block has no END line.");
                var b64 = new StringBuilder(stop - pos);
                for (int i = pos + Begin.Length; i < stop; i++)
                    if (!char.IsWhiteSpace(text[i])) b64.Append(text[i]);
                byte[] der;
                try
                {
                    der = Convert.FromBase64String(b64.ToString());
                }
                catch (FormatException ex)
                {
                    throw new CryptographicException("A PEM certificate block is not valid base64.", ex);
                }
                list.Add(new X509Certificate2(der));
                pos = stop + End.Length;
            }
            return list;
        }

        /// <summary>Every certificate in a file. Throws <see cref="CryptographicException"/> for content that is not a
        /// certificate, <see cref="IOException"/> / <see cref="UnauthorizedAccessException"/> when it cannot be read.</summary>
        public static IReadOnlyList<X509Certificate2> Load(string path)
        {
            // Regular files only (a FIFO or /dev/zero is refused, never read), bounded in size.
            return Read(InputFile.ReadAllBytes(path, MaxFileBytes, "certificate file"));
        }
    }
}
