using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailOps.Dns;
using MailOps.Transport;

namespace MailOps.Smtp
{
    /// <summary>Which protocol a port speaks and how TLS starts on it.</summary>
    public enum MailProtocol
    {
        /// <summary>SMTP relay (port 25): STARTTLS expected.</summary>
        Smtp,
        /// <summary>Message submission (port 587, RFC 6409): STARTTLS and AUTH expected.</summary>
        Submission,
        /// <summary>Submission over implicit TLS (port 465, RFC 8314).</summary>
        Smtps,
        /// <summary>IMAP (port 143): STARTTLS expected, no login before it.</summary>
        Imap,
        /// <summary>IMAP over implicit TLS (port 993).</summary>
        Imaps,
    }

    /// <summary>How a probe is run.</summary>
    public sealed class MailServiceOptions
    {
        /// <summary>The deadline of each step (connect, banner, each reply, the TLS handshake), for the whole step however
        /// slowly the bytes come.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>The deadline of the whole conversation after the connection; null: four times <see cref="Timeout"/>.</summary>
        public TimeSpan? SessionLimit { get; set; }

        internal TimeSpan EffectiveSessionLimit => SessionLimit ?? TimeSpan.FromTicks(Timeout.Ticks * 4);

        /// <summary>The name sent in EHLO. Default: the local address as an address literal ([192.0.2.1]).</summary>
        public string? HeloName { get; set; }

        /// <summary>A banner slower than this is a finding.</summary>
        public TimeSpan SlowBanner { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>A certificate expiring within this many days is a finding.</summary>
        public int ExpiryWarningDays { get; set; } = 14;

        /// <summary>CA certificates to trust besides the system's (private PKI, tests).</summary>
        public IReadOnlyCollection<X509Certificate2> TrustedCertificates { get; set; } = new X509Certificate2[0];

        /// <summary>The protocol to speak; null: chosen from the port (25 SMTP, 587 Submission, 465 SMTPS, 143 IMAP, 993 IMAPS, else SMTP).</summary>
        public MailProtocol? Protocol { get; set; }

        /// <summary>Addresses to connect to for a host name; null: the system resolver.</summary>
        public Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>>? Resolve { get; set; }

        /// <summary>The clock (tests).</summary>
        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

        /// <summary>With a credential, a login is tried inside TLS (AUTH PLAIN, else LOGIN; never before TLS) and its outcome
        /// kept on the result (<see cref="MailServiceResult.LoginOutcome"/>): Test-MailServer -Relay. No message is sent.</summary>
        internal NetworkCredential? Credential { get; set; }

        /// <summary>Receives the raw handshake (DANE matching needs the certificates as sent).</summary>
        internal Action<TlsHandshake>? OnHandshake { get; set; }
    }

    /// <summary>What one host and port of a mail service showed.</summary>
    public sealed class MailServiceResult
    {
        internal MailServiceResult() { }

        public string HostName { get; internal set; } = "";
        public int Port { get; internal set; }

        /// <summary>SMTP, Submission, SMTPS, IMAP or IMAPS.</summary>
        public string Protocol { get; internal set; } = "";

        /// <summary>The address connected to.</summary>
        public string? Address { get; internal set; }

        /// <summary>The SMTP greeting code (220 expected); empty for IMAP.</summary>
        public int? BannerCode { get; internal set; }

        /// <summary>The greeting text (first line).</summary>
        public string? Banner { get; internal set; }

        /// <summary>The host name the greeting announces (its first word), if it looks like one.</summary>
        public string? BannerHostName { get; internal set; }

        /// <summary>Milliseconds from connection to greeting.</summary>
        public int? TimeToBannerMs { get; internal set; }

        /// <summary>EHLO keywords (SMTP) or CAPABILITY atoms (IMAP) before TLS (after it for implicit TLS).</summary>
        public ResultList<string> Extensions { get; internal set; } = ResultList<string>.Empty;

        /// <summary>STARTTLS, Implicit or None.</summary>
        public string TlsMode { get; internal set; } = "None";

        /// <summary>True when STARTTLS was offered (always false for implicit TLS).</summary>
        public bool StartTlsOffered { get; internal set; }

        /// <summary>True when a TLS session was established.</summary>
        public bool TlsEstablished { get; internal set; }

        /// <summary>"TLS 1.3", "TLS 1.2", ...</summary>
        public string? TlsVersion { get; internal set; }

        /// <summary>The negotiated cipher suite (IANA name).</summary>
        public string? CipherSuite { get; internal set; }

        /// <summary>The server certificate as judged; null without TLS.</summary>
        public MailCertificate? Certificate { get; internal set; }

        public string? CertificateSubject => Certificate?.Subject;
        public ResultList<string> CertificateDnsNames => Certificate?.DnsNames ?? ResultList<string>.Empty;
        public bool? CertificateNameMatches => Certificate?.NameMatches;
        public bool? ChainValid => Certificate?.ChainValid;
        public int? DaysToExpiry => Certificate?.DaysToExpiry;

        /// <summary>AUTH mechanisms (SMTP) or AUTH= capabilities / LOGIN (IMAP) offered before TLS: passwords in clear text.</summary>
        public ResultList<string> AuthBeforeTls { get; internal set; } = ResultList<string>.Empty;

        /// <summary>AUTH mechanisms offered inside TLS.</summary>
        public ResultList<string> AuthMechanisms { get; internal set; } = ResultList<string>.Empty;

        /// <summary>With a credential (relay mode): Accepted, Rejected, NotOffered (no PLAIN/LOGIN inside TLS), NoTls (no
        /// TLS session, so the password was not sent) or Dropped; null when no login was asked for or the probe ended first.</summary>
        internal string? LoginOutcome { get; set; }

        /// <summary>The mechanism used for the login, and the server's final reply to it (credential text redacted).</summary>
        internal string? LoginMechanism { get; set; }
        internal string? LoginReply { get; set; }

        /// <summary>Milliseconds for the whole probe.</summary>
        public int ElapsedMs { get; internal set; }

        public ResultList<Finding> Findings { get; internal set; } = ResultList<Finding>.Empty;

        /// <summary>Why the probe could not run (the connection was refused, timed out, or no greeting came); null when it ran.
        /// The same failure is also written as an error record.</summary>
        public string? CouldNotCheck { get; internal set; }

        private string? _status;

        /// <summary>Pass, Warning or Fail: the worst finding. Unreachable when no connection could be made (refused, timed
        /// out, no route), Error when the server was reached but the probe broke off (no greeting, connection closed).</summary>
        public string Status => _status ?? Finding.StatusOf(Findings);

        /// <summary>The result for a host and port that could not be probed, so that it still shows in a table or a CSV file.</summary>
        public static MailServiceResult NotProbed(string host, int port, MailProtocol protocol, MailConnectionException failure)
        {
            if (failure == null) throw new ArgumentNullException(nameof(failure));
            var unreachable = failure.Failure == MailConnectionFailure.Refused || failure.Failure == MailConnectionFailure.Timeout
                || failure.Failure == MailConnectionFailure.NetworkError;
            return new MailServiceResult
            {
                HostName = host,
                Port = port,
                Protocol = MailServiceCheck.ProtocolName(protocol),
                CouldNotCheck = TextSafety.Escape(failure.Message),
                _status = unreachable ? "Unreachable" : "Error",
            };
        }

        public override string ToString() =>
            $"{HostName}:{Port} {Protocol} {Status}{(TlsEstablished ? $" {TlsVersion}" : "")}{(Findings.Count > 0 ? " (" + string.Join(", ", Findings.Select(f => f.Code)) + ")" : "")}{(CouldNotCheck != null ? ": " + CouldNotCheck : "")}";
    }

    /// <summary>Probes SMTP (25, 587, 465) and IMAP (143, 993) services: greeting, extensions, STARTTLS or implicit TLS, the
    /// certificate, and whether passwords may be sent before TLS.</summary>
    public static class MailServiceCheck
    {
        public static MailProtocol ProtocolForPort(int port)
        {
            switch (port)
            {
                case 587: return MailProtocol.Submission;
                case 465: return MailProtocol.Smtps;
                case 143: return MailProtocol.Imap;
                case 993: return MailProtocol.Imaps;
                default: return MailProtocol.Smtp;
            }
        }

        internal static string ProtocolName(MailProtocol p) =>
            p == MailProtocol.Smtp ? "SMTP" : p == MailProtocol.Submission ? "Submission" : p == MailProtocol.Smtps ? "SMTPS" : p == MailProtocol.Imap ? "IMAP" : "IMAPS";

        /// <summary>Probes one host and port. Throws <see cref="MailConnectionException"/> when it cannot connect or gets no greeting.</summary>
        public static async Task<MailServiceResult> RunAsync(string host, int port, MailServiceOptions options, CancellationToken ct)
        {
            options = options ?? new MailServiceOptions();
            var protocol = options.Protocol ?? ProtocolForPort(port);
            var clock = Stopwatch.StartNew();
            host = DnsName.Normalize(host.Trim());
            var resolve = options.Resolve ?? ((h, t) => MailSession.ResolveAsync(h, port, t));
            var addresses = await resolve(host, ct).ConfigureAwait(false);
            using (var session = await MailSession.ConnectAsync(host, addresses, port, options.Timeout, ct, options.EffectiveSessionLimit).ConfigureAwait(false))
            {
                var r = new MailServiceResult
                {
                    HostName = host,
                    Port = port,
                    Protocol = ProtocolName(protocol),
                    Address = session.RemoteAddress?.ToString(),
                };
                var findings = new List<Finding>();
                var probe = new Probe(session, host, port, protocol, options, r, findings, clock, ct);
                if (protocol == MailProtocol.Imap || protocol == MailProtocol.Imaps) await probe.ImapAsync().ConfigureAwait(false);
                else await probe.SmtpAsync().ConfigureAwait(false);
                r.ElapsedMs = (int)clock.ElapsedMilliseconds;
                r.Findings = new ResultList<Finding>(findings);
                return r;
            }
        }

        private sealed class Probe
        {
            private readonly MailSession _s;
            private readonly string _host;
            private readonly int _port;
            private readonly MailProtocol _protocol;
            private readonly MailServiceOptions _o;
            private readonly MailServiceResult _r;
            private readonly List<Finding> _f;
            private readonly Stopwatch _clock;
            private readonly CancellationToken _ct;
            private readonly string _where;

            public Probe(MailSession s, string host, int port, MailProtocol protocol, MailServiceOptions o, MailServiceResult r, List<Finding> f, Stopwatch clock, CancellationToken ct)
            {
                _s = s; _host = host; _port = port; _protocol = protocol; _o = o; _r = r; _f = f; _clock = clock; _ct = ct;
                _where = $"{host} port {port}";
            }

            private bool Implicit => _protocol == MailProtocol.Smtps || _protocol == MailProtocol.Imaps;
            private bool IsSubmission => _protocol != MailProtocol.Smtp;

            private void Add(string code, FindingSeverity sev, string message, string remedy) =>
                _f.Add(new Finding(code, sev, message, remedy, $"{_host}:{_port}"));

            private MailConnectionException NoBanner(Exception ex)
            {
                if (ex is MailProtocolException)
                    return new MailConnectionException(_host, _port, MailConnectionFailure.NetworkError,
                        $"{_where} does not speak {(_protocol == MailProtocol.Imap || _protocol == MailProtocol.Imaps ? "IMAP" : "SMTP")}: {ex.Message}", ex);
                if (!(ex is TimeoutException))
                    return new MailConnectionException(_host, _port, MailConnectionFailure.Closed, $"{_where} closed the connection before greeting: {ex?.Message}", ex);
                var pending = _s.PendingBytes;
                return new MailConnectionException(_host, _port, MailConnectionFailure.NoBanner, pending > 0
                    ? $"{_where} sent only {pending} bytes of a greeting line in {_o.Timeout.TotalSeconds:0.#} s (a greeting that never ends, or a server dripping bytes): no complete greeting."
                    : $"{_where} accepted the connection but sent no greeting within {_o.Timeout.TotalSeconds:0.#} s (a stalled server, or a firewall or proxy holding the connection).", ex);
            }

            /// <summary>TLS at once (implicit) or after STARTTLS. False when the handshake failed (a finding is added).</summary>
            private async Task<bool> HandshakeAsync()
            {
                TlsHandshake tls;
                try
                {
                    tls = await _s.StartTlsAsync(_host, _o.Timeout, _ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AuthenticationException || ex is IOException || ex is TimeoutException || ex is System.ComponentModel.Win32Exception)
                {
                    Add("TlsHandshakeFailed", FindingSeverity.Fail,
                        $"The TLS handshake with {_where} failed{(Implicit ? "" : " after STARTTLS was accepted")}: {Inner(ex)}. Clients cannot establish an encrypted session.",
                        "Check the server's TLS configuration: certificate and key files, enabled protocol versions (TLS 1.2 or later) and ciphers; the server log shows the reason.");
                    return false;
                }
                _r.TlsEstablished = true;
                _o.OnHandshake?.Invoke(tls);
                _r.TlsVersion = tls.Version;
                _r.CipherSuite = tls.CipherSuite;
                if (tls.Leaf == null)
                {
                    Add("NoCertificate", FindingSeverity.Fail, $"{_where} presented no certificate.", "Configure a certificate for the TLS service.");
                    return true;
                }
                var cert = CertificateJudge.Inspect(tls.Leaf, tls.Presented, _host, _o.TrustedCertificates, _o.UtcNow());
                _r.Certificate = cert;
                JudgeCertificate(cert);
                if (tls.Version == "TLS 1.0" || tls.Version == "TLS 1.1" || tls.Version == "SSL 3.0")
                    Add("WeakTlsVersion", FindingSeverity.Warning, $"{_where} negotiated {tls.Version}, which RFC 8996 deprecates.",
                        "Enable TLS 1.2 and 1.3 on the server and disable older versions.");
                return true;
            }

            private static string Inner(Exception ex)
            {
                var msgs = new List<string>();
                for (var e = ex; e != null; e = e.InnerException) if (!Strings.IsNullOrEmpty(e.Message) && !msgs.Contains(e.Message)) msgs.Add(e.Message.TrimEnd('.'));
                return string.Join(": ", msgs);
            }

            private void JudgeCertificate(MailCertificate cert)
            {
                var mx = _protocol == MailProtocol.Smtp;
                if (cert.IsExpired)
                    Add("CertificateExpired", FindingSeverity.Fail,
                        $"The certificate of {_where} ({cert.Subject}) expired on {cert.NotAfter:yyyy-MM-dd} ({-cert.DaysToExpiry} days ago).",
                        "Renew the certificate and reload the server (e.g. 'postfix reload'); automate renewal (certbot, acme.sh) with a deploy hook that reloads the mail server.");
                else if (cert.DaysToExpiry < _o.ExpiryWarningDays)
                    Add("CertificateExpiresSoon", FindingSeverity.Warning,
                        $"The certificate of {_where} expires on {cert.NotAfter:yyyy-MM-dd}, in {cert.DaysToExpiry} day(s).",
                        "Renew it now, and check that automatic renewal also reloads the mail server.");
                if (!cert.NameMatches)
                    Add("CertificateNameMismatch", mx ? FindingSeverity.Warning : FindingSeverity.Fail,
                        $"The certificate of {_where} is for {CertificateJudge.Describe(cert.DnsNames)}, not {_host}.{(mx ? " MTA-STS and DANE-TA senders will refuse to deliver." : " Mail clients will warn or refuse to connect.")}",
                        $"Issue a certificate whose subjectAltName includes {_host} (a wildcard covers only one label) and configure the server to use it.");
                if (!cert.ChainValid)
                {
                    var selfSigned = cert.IsSelfSigned ? " (self-signed)" : "";
                    Add("CertificateUntrusted", mx ? FindingSeverity.Warning : FindingSeverity.Fail,
                        $"The certificate chain of {_where}{selfSigned} does not validate: {cert.ChainStatus}.{(mx ? " Senders that verify (MTA-STS) will not deliver; opportunistic senders still encrypt." : " Mail clients will warn or refuse to connect.")}",
                        cert.ChainStatus.Contains("PartialChain")
                            ? "Configure the full chain (leaf then intermediates; Postfix: smtpd_tls_chain_files or a fullchain.pem)."
                            : "Use a certificate from a public CA (e.g. Let's Encrypt).");
                }
            }

            // ---------------------------------------------------------------- SMTP

            public async Task SmtpAsync()
            {
                if (Implicit)
                {
                    _r.TlsMode = "Implicit";
                    if (!await HandshakeAsync().ConfigureAwait(false)) return;
                }

                var start = _clock.Elapsed;
                SmtpReply? banner;
                try
                {
                    banner = await _s.ReadReplyAsync(_o.Timeout, _ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException)
                {
                    throw NoBanner(ex);
                }
                if (banner == null) throw NoBanner(new IOException("the server closed the connection"));
                _r.TimeToBannerMs = (int)(_clock.Elapsed - start).TotalMilliseconds;
                _r.BannerCode = banner.Code;
                _r.Banner = banner.Lines[0];
                JudgeBanner(banner.Lines[0]);
                if (_clock.Elapsed - start > _o.SlowBanner)
                    Add("SlowBanner", FindingSeverity.Warning,
                        $"{_where} took {_r.TimeToBannerMs} ms to greet; senders time out (RFC 5321 allows 5 minutes, many give up sooner) and monitors raise alarms.",
                        "Check the server's load, reverse DNS lookups of clients (slow resolvers), and greeting delays (postscreen/greet_pause); keep the greeting under a few seconds.");
                if (banner.Code != 220)
                {
                    var code = banner.Code == 554 ? "BannerRejected" : "UnexpectedBanner";
                    Add(code, FindingSeverity.Fail,
                        $"{_where} greeted with {banner.Code} '{MailSession.Truncate(banner.Text)}' instead of 220: it will not accept mail from this client.",
                        banner.Code == 554 ? "The server refuses this client (often a blocklisted or unknown client address); test from another address, or check the server's client restrictions." : "Check the service on this port.");
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }

                var ehlo = await EhloAsync().ConfigureAwait(false);
                if (ehlo == null) return;
                _r.Extensions = new ResultList<string>(ehlo);
                var auth = AuthMechanisms(ehlo);
                if (Implicit)
                {
                    _r.AuthMechanisms = new ResultList<string>(auth);
                    JudgeSubmissionAuth(auth);
                    await LoginAsync(auth).ConfigureAwait(false);
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }

                _r.StartTlsOffered = ehlo.Any(e => e.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase));
                if (auth.Count > 0)
                {
                    _r.AuthBeforeTls = new ResultList<string>(auth);
                    var clear = auth.Where(m => m == "PLAIN" || m == "LOGIN").ToList();
                    Add("AuthBeforeTls", clear.Count > 0 ? FindingSeverity.Fail : FindingSeverity.Warning,
                        $"{_where} offers AUTH {string.Join(" ", auth)} before STARTTLS{(clear.Count > 0 ? ": passwords can be sent in clear text" : "")}.",
                        "Offer AUTH only inside TLS (Postfix: smtpd_tls_auth_only = yes; Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}).");
                }
                if (!_r.StartTlsOffered)
                {
                    if (_o.Credential != null) _r.LoginOutcome = "NoTls";
                    Add("NoStartTls", FindingSeverity.Fail,
                        $"{_where} does not offer STARTTLS: mail{(IsSubmission ? " and passwords" : "")} to it travel{(IsSubmission ? "" : "s")} in clear text.",
                        "Configure a certificate and enable STARTTLS (Postfix: smtpd_tls_cert_file, smtpd_tls_key_file, smtpd_tls_security_level = may on port 25, encrypt on 587).");
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }
                _r.TlsMode = "STARTTLS";
                var reply = await CommandAsync("STARTTLS").ConfigureAwait(false);
                if (reply == null) return;
                if (reply.Code != 220)
                {
                    Add("StartTlsRefused", FindingSeverity.Fail,
                        $"{_where} offers STARTTLS but answered '{reply.Code} {MailSession.Truncate(reply.Text)}' to it: no encrypted session is possible.",
                        "Check the server log: usually an unreadable certificate or key file, or a TLS library error.");
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }
                if (!await HandshakeAsync().ConfigureAwait(false)) return;
                var after = await EhloAsync().ConfigureAwait(false);
                if (after == null) return;
                var authAfter = AuthMechanisms(after);
                _r.AuthMechanisms = new ResultList<string>(authAfter);
                if (IsSubmission) JudgeSubmissionAuth(authAfter);
                await LoginAsync(authAfter).ConfigureAwait(false);
                await QuitAsync().ConfigureAwait(false);
            }

            /// <summary>Relay mode: one login inside TLS with the caller's credential (PLAIN, else LOGIN). Never before TLS:
            /// without an encrypted session the outcome is NoTls and nothing is sent.</summary>
            private async Task LoginAsync(IReadOnlyList<string> auth)
            {
                if (_o.Credential == null) return;
                if (!_s.IsEncrypted) { _r.LoginOutcome = "NoTls"; return; }
                var mechanism = auth.Contains("PLAIN") ? "PLAIN" : auth.Contains("LOGIN") ? "LOGIN" : null;
                if (mechanism == null) { _r.LoginOutcome = "NotOffered"; return; }
                _r.LoginMechanism = mechanism;
                try
                {
                    var reply = await _s.AuthenticateAsync(_o.Credential, auth, _o.Timeout, _ct).ConfigureAwait(false);
                    if (reply == null) { _r.LoginOutcome = "Dropped"; return; }
                    _r.LoginReply = MailSession.Truncate($"{reply.Code} {reply.Text}");
                    _r.LoginOutcome = reply.Code == 235 ? "Accepted" : "Rejected";
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException || ex is ObjectDisposedException)
                {
                    _r.LoginOutcome = "Dropped";
                    _r.LoginReply = "the server stopped answering during AUTH";
                }
            }

            private void JudgeSubmissionAuth(IReadOnlyList<string> auth)
            {
                if (IsSubmission && auth.Count == 0)
                    Add("NoAuth", FindingSeverity.Warning, $"{_where} offers no AUTH mechanism inside TLS: mail clients cannot log in to submit mail.",
                        "Enable SASL authentication on the submission service (Postfix: -o smtpd_sasl_auth_enable=yes in master.cf).");
            }

            private void JudgeBanner(string first)
            {
                var word = first.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
                var looksLikeName = word.Contains(".") && DnsName.ValidateDomainName(word) == null && !IPAddress.TryParse(word.Trim('[', ']'), out _);
                if (looksLikeName) _r.BannerHostName = DnsName.Normalize(word).ToLowerInvariant();
                if (IPAddress.TryParse(_host, out _)) return;
                if (!looksLikeName)
                    Add("BannerNoHostName", FindingSeverity.Info, $"The greeting of {_where} ('{MailSession.Truncate(first)}') does not start with a host name.",
                        $"Let the greeting name the server (RFC 5321 §4.3.1), e.g. '220 {_host} ESMTP'.");
                else if (!DnsName.EqualNames(_r.BannerHostName, _host))
                    Add("BannerHostMismatch", FindingSeverity.Warning,
                        $"{_where} greets as {_r.BannerHostName}, not {_host}: another host answers (a NAT or load balancer, a proxy, or a wrong myhostname).",
                        $"If this is the right server, set its name to {_host} (Postfix: myhostname); if not, check the DNS and the port forwarding.");
            }

            private static List<string> AuthMechanisms(IEnumerable<string> ehlo) =>
                ehlo.Where(e => e.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase) || e.StartsWith("AUTH=", StringComparison.OrdinalIgnoreCase))
                    .SelectMany(e => e.Substring(5).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                    .Select(m => m.ToUpperInvariant()).Distinct().ToList();

            /// <summary>EHLO, falling back to HELO; the extension lines (without the greeting line); null if the session ended.</summary>
            private async Task<List<string>?> EhloAsync()
            {
                var helo = _o.HeloName ?? (_s.LocalAddress == null ? "[127.0.0.1]"
                    : _s.LocalAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[IPv6:{_s.LocalAddress}]" : $"[{_s.LocalAddress}]");
                var reply = await CommandAsync("EHLO " + helo).ConfigureAwait(false);
                if (reply == null) return null;
                if (reply.Code == 250) return reply.Lines.Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
                var helo2 = await CommandAsync("HELO " + helo).ConfigureAwait(false);
                if (helo2 == null) return null;
                Add(helo2.Code == 250 ? "NoEhlo" : "HeloRejected", FindingSeverity.Fail,
                    $"{_where} answered EHLO with '{reply.Code} {MailSession.Truncate(reply.Text)}'{(helo2.Code == 250 ? ": no ESMTP, so no STARTTLS" : $" and HELO with '{helo2.Code} {MailSession.Truncate(helo2.Text)}'")}.",
                    "Check the server's HELO restrictions and that it speaks ESMTP.");
                return helo2.Code == 250 ? new List<string>() : null;
            }

            /// <summary>A command; null (with a finding) when the server drops the session or stops answering.</summary>
            private async Task<SmtpReply?> CommandAsync(string command)
            {
                try
                {
                    var reply = await _s.CommandAsync(command, _o.Timeout, _ct).ConfigureAwait(false);
                    if (reply != null) return reply;
                    Add("ConnectionDropped", FindingSeverity.Fail, $"{_where} closed the connection after {command.Split(' ')[0]}.", "Check the server log for the reason.");
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException || ex is ObjectDisposedException)
                {
                    Add("ConnectionDropped", FindingSeverity.Fail, $"{_where} stopped answering after {command.Split(' ')[0]}: {ex.Message}", "Check the server log for the reason.");
                }
                return null;
            }

            private async Task QuitAsync()
            {
                try { await _s.CommandAsync(_protocol == MailProtocol.Imap || _protocol == MailProtocol.Imaps ? "z LOGOUT" : "QUIT", TimeSpan.FromSeconds(2), _ct).ConfigureAwait(false); }
                catch (Exception ex) when (!(ex is OperationCanceledException)) { }
            }

            // ---------------------------------------------------------------- IMAP

            public async Task ImapAsync()
            {
                if (Implicit)
                {
                    _r.TlsMode = "Implicit";
                    if (!await HandshakeAsync().ConfigureAwait(false)) return;
                }
                var start = _clock.Elapsed;
                string? greeting;
                try
                {
                    greeting = await _s.ReadLineAsync(_o.Timeout, _ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException)
                {
                    throw NoBanner(ex);
                }
                if (greeting == null) throw NoBanner(new IOException("the server closed the connection"));
                _r.TimeToBannerMs = (int)(_clock.Elapsed - start).TotalMilliseconds;
                _r.Banner = greeting;
                if (_clock.Elapsed - start > _o.SlowBanner)
                    Add("SlowBanner", FindingSeverity.Warning, $"{_where} took {_r.TimeToBannerMs} ms to greet.", "Check the server's load and its DNS lookups of clients.");
                if (!greeting.StartsWith("* OK", StringComparison.OrdinalIgnoreCase) && !greeting.StartsWith("* PREAUTH", StringComparison.OrdinalIgnoreCase))
                {
                    Add(greeting.StartsWith("* BYE", StringComparison.OrdinalIgnoreCase) ? "BannerRejected" : "UnexpectedBanner", FindingSeverity.Fail,
                        $"{_where} greeted with '{MailSession.Truncate(greeting)}' instead of '* OK'.", "Check the IMAP service on this port.");
                    return;
                }

                var caps = await CapabilityAsync("a1").ConfigureAwait(false);
                if (caps == null) return;
                _r.Extensions = new ResultList<string>(caps);
                var auth = ImapAuth(caps);
                if (Implicit)
                {
                    _r.AuthMechanisms = new ResultList<string>(auth);
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }
                _r.StartTlsOffered = caps.Any(c => c.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase));
                if (auth.Count > 0)
                {
                    _r.AuthBeforeTls = new ResultList<string>(auth);
                    Add("AuthBeforeTls", FindingSeverity.Fail,
                        $"{_where} allows {string.Join(", ", auth)} before STARTTLS (no LOGINDISABLED): passwords can be sent in clear text.",
                        "Refuse plaintext login outside TLS (Dovecot: disable_plaintext_auth = yes / auth_allow_cleartext = no), or close port 143 and use 993.");
                }
                if (!_r.StartTlsOffered)
                {
                    Add("NoStartTls", FindingSeverity.Fail, $"{_where} does not offer STARTTLS: mail and passwords travel in clear text.",
                        "Enable TLS on the IMAP server (Dovecot: ssl = required), or close port 143 and use 993.");
                    await QuitAsync().ConfigureAwait(false);
                    return;
                }
                _r.TlsMode = "STARTTLS";
                string? answer = null;
                try
                {
                    await _s.WriteLineAsync("a2 STARTTLS", _o.Timeout, _ct).ConfigureAwait(false);
                    while ((answer = await _s.ReadLineAsync(_o.Timeout, _ct).ConfigureAwait(false)) != null && !answer.StartsWith("a2 ", StringComparison.Ordinal)) { }
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException || ex is ObjectDisposedException)
                {
                    Add("ConnectionDropped", FindingSeverity.Fail, $"{_where} stopped answering after STARTTLS: {ex.Message}", "Check the server log.");
                    return;
                }
                if (answer == null || !answer.StartsWith("a2 OK", StringComparison.OrdinalIgnoreCase))
                {
                    Add("StartTlsRefused", FindingSeverity.Fail, $"{_where} offers STARTTLS but answered '{MailSession.Truncate(answer ?? "(connection closed)")}' to it.",
                        "Check the server log: usually an unreadable certificate or key file.");
                    return;
                }
                if (!await HandshakeAsync().ConfigureAwait(false)) return;
                var after = await CapabilityAsync("a3").ConfigureAwait(false);
                if (after != null) _r.AuthMechanisms = new ResultList<string>(ImapAuth(after));
                await QuitAsync().ConfigureAwait(false);
            }

            private static List<string> ImapAuth(IReadOnlyList<string> caps)
            {
                var list = caps.Where(c => c.StartsWith("AUTH=", StringComparison.OrdinalIgnoreCase)).Select(c => c.Substring(5).ToUpperInvariant()).ToList();
                if (!caps.Any(c => c.Equals("LOGINDISABLED", StringComparison.OrdinalIgnoreCase))) list.Insert(0, "LOGIN");
                return list.Distinct().ToList();
            }

            private async Task<List<string>?> CapabilityAsync(string tag)
            {
                try
                {
                    await _s.WriteLineAsync(tag + " CAPABILITY", _o.Timeout, _ct).ConfigureAwait(false);
                    var caps = new List<string>();
                    string? line;
                    while ((line = await _s.ReadLineAsync(_o.Timeout, _ct).ConfigureAwait(false)) != null)
                    {
                        if (line.StartsWith("* CAPABILITY ", StringComparison.OrdinalIgnoreCase))
                            caps.AddRange(line.Substring(13).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries));
                        else if (line.StartsWith(tag + " ", StringComparison.Ordinal)) return caps;
                    }
                    Add("ConnectionDropped", FindingSeverity.Fail, $"{_where} closed the connection after CAPABILITY.", "Check the server log.");
                }
                catch (Exception ex) when (ex is TimeoutException || ex is IOException || ex is ObjectDisposedException)
                {
                    Add("ConnectionDropped", FindingSeverity.Fail, $"{_where} stopped answering after CAPABILITY: {ex.Message}", "Check the server log.");
                }
                return null;
            }
        }
    }
}
