using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace MailOps
{
    /// <summary>
    /// Makes text from the network safe to show. A DNS record, a report field or a server banner may carry NUL, ESC and
    /// other control characters; printed raw they can move the cursor, recolour or retitle a terminal, or hide text.
    /// Result properties keep the value as published; every display path (ToString, format views, Export-Csv through
    /// ToString, error messages) goes through <see cref="Escape(string)"/>, the one place this is done.
    /// </summary>
    public static class TextSafety
    {
        /// <summary>
        /// The text with control characters written as escapes: C0 controls, DEL and C1 controls as <c>\xNN</c>, and the
        /// Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) as <c>\uNNNN</c>. Everything else,
        /// backslashes included, is kept as is. Null stays null.
        /// </summary>
        [return: NotNullIfNotNull(nameof(text))]
        public static string? Escape(string? text)
        {
            if (text == null) return null;
            int i = 0;
            while (i < text.Length && !NeedsEscape(text[i])) i++;
            if (i == text.Length) return text;
            var sb = new StringBuilder(text.Length + 16);
            sb.Append(text, 0, i);
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (!NeedsEscape(c)) sb.Append(c);
                else if (c <= 0xff) sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        /// <summary>True when the text holds a character <see cref="Escape(string)"/> would rewrite.</summary>
        public static bool HasControlCharacters(string? text)
        {
            if (text == null) return false;
            foreach (var c in text) if (NeedsEscape(c)) return true;
            return false;
        }

        private static bool NeedsEscape(char c) =>
            c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
