using System;

namespace MailOps.Tests.Common
{
    /// <summary>The one Status rule every result uses, and the one outcome shape.</summary>
    public sealed class FindingStatusTests
    {
        private static Finding F(FindingSeverity s) => new Finding("Code" + s, s, "message");

        [Fact]
        public void No_finding_is_Pass() => Assert.Equal("Pass", Finding.StatusOf(Array.Empty<Finding>()));

        [Fact]
        public void Info_counts_as_Pass() => Assert.Equal("Pass", Finding.StatusOf(new[] { F(FindingSeverity.Info), F(FindingSeverity.Info) }));

        [Theory]
        [InlineData(FindingSeverity.Warning, "Warning")]
        [InlineData(FindingSeverity.Fail, "Fail")]
        public void The_worst_finding_wins_wherever_it_is(FindingSeverity worst, string status)
        {
            Assert.Equal(status, Finding.StatusOf(new[] { F(worst), F(FindingSeverity.Info) }));
            Assert.Equal(status, Finding.StatusOf(new[] { F(FindingSeverity.Info), F(worst) }));
        }

        [Fact]
        public void Fail_outranks_Warning() =>
            Assert.Equal("Fail", Finding.StatusOf(new[] { F(FindingSeverity.Warning), F(FindingSeverity.Fail), F(FindingSeverity.Warning) }));

        [Fact]
        public void An_outcome_without_unanswered_questions_is_complete_and_never_null()
        {
            var o = CheckOutcome.Of("result", null);
            Assert.Equal("result", o.Result);
            Assert.Empty(o.Unanswered);
            Assert.True(o.IsComplete);
        }
    }
}
