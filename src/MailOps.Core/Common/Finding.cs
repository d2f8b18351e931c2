using System;
using System.Collections.Generic;

namespace MailOps
{
    /// <summary>How much a finding matters. Exposed to users as text.</summary>
    public enum FindingSeverity
    {
        /// <summary>Worth knowing; nothing to fix.</summary>
        Info = 0,
        /// <summary>Works, but weakens delivery or will break later.</summary>
        Warning = 1,
        /// <summary>Broken: mail is rejected, lands in spam, or the record is ignored.</summary>
        Fail = 2,
    }

    /// <summary>
    /// One observation about a checked record or host: a stable code, a severity, a plain message and,
    /// where the user can act, a remedy. A finding is data, never an error.
    /// </summary>
    public sealed class Finding
    {
        /// <summary>A finding; <paramref name="about"/> is the name the cmdlet layer's advice uses when <paramref name="subject"/>
        /// is something else (a DMARC source finding's subject is the sending address; its advice names the domain).</summary>
        public Finding(string code, FindingSeverity severity, string message, string? remedy = null, string? subject = null, string? about = null)
        {
            Code = code ?? throw new ArgumentNullException(nameof(code));
            Level = severity;
            // Findings quote what servers publish; control characters in it are shown as escapes (TextSafety).
            Message = TextSafety.Escape(message ?? throw new ArgumentNullException(nameof(message)));
            Remedy = TextSafety.Escape(WithCommandAdvice(remedy, CommandAdvice?.Invoke(code, about ?? subject)));
            Subject = TextSafety.Escape(subject);
        }

        /// <summary>
        /// The cmdlet layer's part of a remedy: which MailOps cmdlet or parameter does the fix (e.g. "New-DkimKey -KeySize
        /// 2048 generates one."), by finding code and subject, or null. The engine's own remedy says what to fix in engine
        /// terms and names no cmdlet or parameter; the module sets this once (MailOps.Commands.Advice.ForFinding), so the
        /// advice lands in the same <see cref="Remedy"/> users read.
        /// </summary>
        internal static Func<string, string?, string?>? CommandAdvice { get; set; }

        private static string? WithCommandAdvice(string? remedy, string? advice) =>
            Strings.IsNullOrEmpty(advice) ? remedy : Strings.IsNullOrEmpty(remedy) ? advice : remedy + " " + advice;

        /// <summary>Stable PascalCase identifier, e.g. <c>NullMx</c>; safe to match in scripts.</summary>
        public string Code { get; }

        /// <summary>Info, Warning or Fail, as text (so Export-Csv and ConvertTo-Json show words).</summary>
        public string Severity => Level.ToString();

        /// <summary>The severity as an enum, for code that compares levels.</summary>
        internal FindingSeverity Level { get; }

        public string Message { get; }

        public string? Remedy { get; }

        /// <summary>What the finding is about (a host name, a term, a record), when not the whole result.</summary>
        public string? Subject { get; }

        public override string ToString() => $"{Severity} {Code}: {Message}";

        /// <summary>The worst severity among <paramref name="findings"/>; Info when there are none.</summary>
        internal static FindingSeverity WorstOf(IEnumerable<Finding> findings)
        {
            var worst = FindingSeverity.Info;
            foreach (var f in findings)
                if (f.Level > worst) worst = f.Level;
            return worst;
        }

        /// <summary>The one place a result's Status is computed from its findings: Pass, Warning or Fail by the worst
        /// finding (Info counts as Pass; no finding is Pass). Results with more states (Unreachable, Incomplete, Error) set
        /// those first and fall back to this.</summary>
        internal static string StatusOf(IEnumerable<Finding> findings) => StatusOf(WorstOf(findings));

        /// <summary>Pass, Warning or Fail for a worst severity (Info counts as Pass).</summary>
        internal static string StatusOf(FindingSeverity worst) =>
            worst == FindingSeverity.Fail ? "Fail" : worst == FindingSeverity.Warning ? "Warning" : "Pass";
    }
}
