using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace MailOps.MtaSts
{
    /// <summary>Reads CA certificates from a file: PEM (one or many "BEGIN CERTIFICATE" blocks, as in a CA bundle) or DER.</summary>
    public static class CertificateFile
    {
        private static readonly Regex PemBlock = new Regex("-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
            RegexOptions.Singleline | RegexOptions.CultureInvariant);

        /// <summary>Loads every certificate in the file. Throws <see cref="InvalidDataException"/> when it holds none.</summary>
        public static IReadOnlyList<X509Certificate2> Load(string path)
        {
            var bytes = InputFile.ReadAllBytes(path, InputFile.MaxCertificateBytes, "certificate file");
            var text = Encoding.ASCII.GetString(bytes);
            var result = new List<X509Certificate2>();
            try
            {
                var blocks = PemBlock.Matches(text);
                if (blocks.Count > 0)
                {
                    foreach (Match m in blocks)
                        result.Add(new X509Certificate2(Convert.FromBase64String(Regex.Replace(m.Groups[1].Value, "\\s", ""))));
                }
                else
                {
                    result.Add(new X509Certificate2(bytes));
                }
            }
            catch (Exception ex) when (ex is CryptographicException || ex is FormatException)
            {
                throw new InvalidDataException($"'{path}' is not a PEM or DER certificate file: {ex.Message}", ex);
            }
            return result;
        }
    }
}
