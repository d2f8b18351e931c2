using System.Diagnostics.CodeAnalysis;

namespace MailOps
{
    /// <summary>
    /// <see cref="string.IsNullOrEmpty"/> and <see cref="string.IsNullOrWhiteSpace"/> as the nullable analysis reads them:
    /// netstandard2.0's string carries no nullability attributes, so after <c>if (string.IsNullOrEmpty(s)) return;</c> the
    /// compiler still thinks <c>s</c> may be null. These say that false means not null (NotNullWhen comes from PolySharp).
    /// </summary>
    internal static class Strings
    {
        public static bool IsNullOrEmpty([NotNullWhen(false)] string? value) => string.IsNullOrEmpty(value);

        public static bool IsNullOrWhiteSpace([NotNullWhen(false)] string? value) => string.IsNullOrWhiteSpace(value);
    }
}
