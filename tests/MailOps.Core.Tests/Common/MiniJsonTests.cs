using System.Collections.Generic;
using System.IO;
using MailOps.Testing;

namespace MailOps.Tests.Common
{
    /// <summary>The small JSON reader: RFC 8259 values, read from a TextReader, bounded.</summary>
    public sealed class MiniJsonTests
    {
        [Fact]
        public void Parses_values_and_escapes()
        {
            var o = Assert.IsType<Dictionary<string, object?>>(MiniJson.Parse("\uFEFF{\"a\": [1, -2.5, true, false, null, \"x\\u00e9\\n\"], \"b\": {}}"));
            var a = Assert.IsType<List<object?>>(o["a"]);
            Assert.Equal(1L, a[0]);
            Assert.Equal(-2.5, a[1]);
            Assert.Equal(true, a[2]);
            Assert.Null(a[4]);
            Assert.Equal("xé\n", a[5]);
            Assert.Empty(Assert.IsType<Dictionary<string, object?>>(o["b"]));
        }

        [Theory]
        [InlineData("{\"a\":1,}", "line 1")]
        [InlineData("[1 2]", "expected ',' or ']'")]
        [InlineData("{\"a\":1}\n x", "line 2")]
        [InlineData("\"abc", "unterminated")]
        [InlineData("tru", "invalid literal")]
        public void Errors_say_what_and_where(string text, string fragment)
        {
            Assert.Contains(fragment, Assert.ThrowsAny<System.FormatException>(() => MiniJson.Parse(text)).Message);
        }

        [Fact]
        public void Limits_throw_JsonLimitException_early()
        {
            var limits = new JsonLimits { MaxValues = 1000, MaxStringChars = 100, MaxDepth = 10 };
            Assert.Throws<JsonLimitException>(() => MiniJson.Parse(new StreamReader(new GeneratedStream("[", "1,", 1_000_000_000, "1]")), limits));
            Assert.Throws<JsonLimitException>(() => MiniJson.Parse(new StreamReader(new GeneratedStream("\"", "x", 1_000_000_000, "\"")), limits));
            Assert.Throws<JsonLimitException>(() => MiniJson.Parse(new StringReader(new string('[', 11) + new string(']', 11)), limits));
            Assert.Throws<JsonLimitException>(() => MiniJson.Parse(new StringReader("1" + new string('0', 100)), limits));
            Assert.Equal(3, Assert.IsType<List<object?>>(MiniJson.Parse(new StringReader("[1,2,3]"), limits)).Count);
        }
    }
}
