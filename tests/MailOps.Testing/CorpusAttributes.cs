using System.IO;
using Xunit;

namespace MailOps.Testing
{
    /// <summary>A fact that needs ../shared/corpora/&lt;subfolder&gt;: skipped, with a message saying so, when it is absent.</summary>
    public sealed class CorpusFactAttribute : FactAttribute
    {
        public CorpusFactAttribute(string subfolder)
        {
            var why = Paths.CorpusMissing(subfolder);
            if (why != null) Skip = why;
        }
    }

    /// <summary>A theory that needs ../shared/corpora/&lt;subfolder&gt;: skipped, with a message saying so, when it is absent.</summary>
    public sealed class CorpusTheoryAttribute : TheoryAttribute
    {
        public CorpusTheoryAttribute(string subfolder)
        {
            var why = Paths.CorpusMissing(subfolder);
            if (why != null) Skip = why;
        }
    }
}
