using Xunit;

namespace MailOps.Testing
{
    // Tests that need a Debian package: skipped, with a message saying what to install, when it is missing
    // (build.ps1 -Task Test installs them when it runs as root with apt-get; see .ci/run APT_PACKAGES).

    /// <summary>A fact that needs a real Postfix (Debian postfix, run as root).</summary>
    public sealed class PostfixFactAttribute : FactAttribute
    {
        public PostfixFactAttribute()
        {
            var why = PostfixServer.Unavailable();
            if (why != null) Skip = why;
        }
    }

    /// <summary>A fact that needs a real Postfix relaying to loopback sinks and pflogsumm (Debian postfix and pflogsumm, as root).</summary>
    public sealed class PostfixLogFactAttribute : FactAttribute
    {
        public PostfixLogFactAttribute()
        {
            var why = PostfixDeliveryScenario.Unavailable();
            if (why != null) Skip = why;
        }
    }

    /// <summary>A fact that needs dkimpy (Debian python3-dkim, python3-nacl, python3-authres, openssl).</summary>
    public sealed class DkimpyFactAttribute : FactAttribute
    {
        public DkimpyFactAttribute()
        {
            var why = Dkimpy.Missing();
            if (why != null) Skip = why;
        }
    }

    /// <summary>A theory that needs dkimpy (Debian python3-dkim, python3-nacl, python3-authres, openssl).</summary>
    public sealed class DkimpyTheoryAttribute : TheoryAttribute
    {
        public DkimpyTheoryAttribute()
        {
            var why = Dkimpy.Missing();
            if (why != null) Skip = why;
        }
    }
}
