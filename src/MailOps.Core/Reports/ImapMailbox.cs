using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MailOps.Transport;

namespace MailOps.Reports
{
    /// <summary>How the IMAP connection is secured. There is no plain-text choice: a password never crosses the network in clear.</summary>
    public enum ImapSecurity
    {
        /// <summary>TLS from the first byte (IMAPS, port 993).</summary>
        Implicit,
        /// <summary>Plain connection upgraded with STARTTLS before anything else is sent (port 143). A server that does not
        /// offer STARTTLS is refused.</summary>
        StartTls,
    }

    /// <summary>What becomes of a message once all its rows were written (the importers' -Processed).</summary>
    public enum ImapProcessed
    {
        /// <summary>Leave it as it is (every run reads the whole folder again).</summary>
        Keep,
        /// <summary>Set \Seen; only messages not yet seen are read.</summary>
        MarkSeen,
        /// <summary>Move it to -ArchiveFolder (created when missing).</summary>
        Move,
    }

    /// <summary>Where and how to read report messages over IMAP.</summary>
    public sealed class ImapMailboxOptions
    {
        /// <summary>The server: a name or an address (an IPv6 address may be in brackets).</summary>
        public string Host { get; set; } = "";
        public int Port { get; set; } = 993;
        public ImapSecurity Security { get; set; } = ImapSecurity.Implicit;
        public string? UserName { get; set; }
        public string? Password { get; set; }
        public string Folder { get; set; } = "INBOX";

        /// <summary>Certificates trusted beside the system's store (a private CA); the server's chain may end in one of them.</summary>
        public IReadOnlyCollection<X509Certificate2> TrustedCertificates { get; set; } = new X509Certificate2[0];

        /// <summary>Deadline of the TCP connect and of each IMAP command. Default 30 s.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Open the folder read-write (to flag or move messages once imported).</summary>
        public bool ReadWrite { get; set; }
    }

    /// <summary>Why the mailbox could not be read.</summary>
    public enum ImapFailure
    {
        /// <summary>The server refused the TCP connection, or the network failed.</summary>
        ConnectFailed,
        /// <summary>No answer within the deadline.</summary>
        Timeout,
        /// <summary>The server offers no TLS (no STARTTLS): MailOps never logs in over a plain connection.</summary>
        TlsUnavailable,
        /// <summary>The TLS handshake failed, or the server's certificate is not trusted or does not name the host.</summary>
        CertificateRejected,
        /// <summary>The user name or password was refused.</summary>
        AuthenticationFailed,
        /// <summary>The folder does not exist.</summary>
        FolderNotFound,
        /// <summary>The connection broke, or the server answered outside the protocol.</summary>
        ConnectionLost,
        /// <summary>The server refused a command (NO/BAD).</summary>
        CommandFailed,
    }

    /// <summary>An IMAP step that failed; <see cref="Failure"/> says which kind.</summary>
    public sealed class ImapMailboxException : Exception
    {
        public ImapMailboxException(ImapFailure failure, string message, Exception? inner = null) : base(message, inner) => Failure = failure;

        public ImapFailure Failure { get; }
    }

    /// <summary>One message of the folder, as listed before it is read.</summary>
    public sealed class ImapMessageInfo
    {
        internal ImapMessageInfo(uint uid, string? messageId, DateTimeOffset? date, string source, long? size = null)
        {
            Size = size;
            Uid = uid;
            MessageId = messageId;
            Date = date;
            Source = source;
        }

        /// <summary>The IMAP UID (stable within the folder's UIDVALIDITY).</summary>
        public uint Uid { get; }

        /// <summary>The Message-ID header, without angle brackets, or null.</summary>
        public string? MessageId { get; }

        /// <summary>The Date header, or null.</summary>
        public DateTimeOffset? Date { get; }

        /// <summary>The message's size in bytes as the server reports it (RFC822.SIZE), or null.</summary>
        public long? Size { get; }

        /// <summary>An RFC 5092 IMAP URL naming server, folder and UID (imap://user@host:port/INBOX;UIDVALIDITY=n/;UID=n):
        /// the rows' SourceFile and the target of errors.</summary>
        public string Source { get; }
    }

    /// <summary>
    /// A folder of an IMAP server read for report messages (MailKit's ImapClient): TCP through <see cref="TransportConnector"/>,
    /// TLS always (implicit or STARTTLS; a server without TLS is refused before any credential is sent), the server's
    /// certificate judged by <see cref="CertificateJudge"/> (system trust plus the given certificates, no downloads) and its
    /// name checked. Messages are fetched one at a time with BODY.PEEK[] (reading never sets \Seen) and handed to the same
    /// container reader as files. Not thread-safe: one caller at a time.
    /// </summary>
    public sealed class ImapMailbox : IDisposable
    {
        private readonly ImapMailboxOptions _options;
        private readonly ImapClient _client;
        private IMailFolder? _folder;

        /// <summary>The folder opened by <see cref="OpenAsync"/> (the only way to get a mailbox, so always set after it).</summary>
        private IMailFolder Opened => _folder ?? throw new InvalidOperationException("The folder is not open.");
        private TcpClient? _tcp;
        private string? _certificateProblem;

        private ImapMailbox(ImapMailboxOptions options)
        {
            _options = options;
            _client = new ImapClient { Timeout = (int)Math.Min(int.MaxValue, options.Timeout.TotalMilliseconds), CheckCertificateRevocation = false };
            _client.ServerCertificateValidationCallback = Judge;
        }

        /// <summary>The folder opened.</summary>
        public string Folder => _folder?.FullName ?? _options.Folder;

        /// <summary>How many messages the folder holds.</summary>
        public int Count => _folder?.Count ?? 0;

        /// <summary>Connects, secures, logs in and opens the folder. Throws <see cref="ImapMailboxException"/>.</summary>
        public static async Task<ImapMailbox> OpenAsync(ImapMailboxOptions options, CancellationToken ct)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var mailbox = new ImapMailbox(options);
            try
            {
                await mailbox.ConnectAsync(ct).ConfigureAwait(false);
                return mailbox;
            }
            catch
            {
                mailbox.Dispose();
                throw;
            }
        }

        private async Task ConnectAsync(CancellationToken ct)
        {
            IPAddress[] addresses;
            if (IPAddress.TryParse(_options.Host.Trim('[', ']'), out var literal)) addresses = new[] { literal };
            else
            {
                try { addresses = await System.Net.Dns.GetHostAddressesAsync(_options.Host).ConfigureAwait(false); }
                catch (SocketException ex)
                {
                    throw new ImapMailboxException(ImapFailure.ConnectFailed, $"The IMAP server name '{_options.Host}' could not be resolved: {ex.Message}", ex);
                }
            }
            TcpClient tcp;
            try
            {
                tcp = await TransportConnector.ConnectAsync(addresses, _options.Port, _options.Timeout, ct).ConfigureAwait(false);
            }
            catch (TransportConnectException ex)
            {
                throw new ImapMailboxException(ex.Failure == ConnectFailure.Timeout ? ImapFailure.Timeout : ImapFailure.ConnectFailed,
                    $"Could not connect to the IMAP server {_options.Host} port {_options.Port}: {ex.Message}", ex);
            }
            _tcp = tcp;
            var secure = _options.Security == ImapSecurity.Implicit ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
            // Reaching past this means TLS is established and judged (SslOnConnect), or STARTTLS succeeded (StartTls throws
            // NotSupportedException when the server does not offer it): no credential is ever sent in clear.
            await Step("connecting", async t => { await _client.ConnectAsync(tcp.GetStream(), _options.Host.Trim('[', ']'), _options.Port, secure, t).ConfigureAwait(false); return true; }, ct).ConfigureAwait(false);
            if (!_client.IsSecure)
                throw new ImapMailboxException(ImapFailure.TlsUnavailable,
                    $"The IMAP server {_options.Host} port {_options.Port} did not secure the connection; MailOps does not log in without TLS.");
            // One attempt per run: SASL PLAIN when offered (inside TLS), else MailKit's choice. Letting MailKit try every
            // mechanism after a refusal would count several failures against the account (fail2ban, lockouts).
            var credential = new NetworkCredential(_options.UserName, _options.Password);
            await Step("logging in", async t =>
            {
                if (_client.AuthenticationMechanisms.Contains("PLAIN"))
                    await _client.AuthenticateAsync(new SaslMechanismPlain(credential), t).ConfigureAwait(false);
                else
                    await _client.AuthenticateAsync(credential, t).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            _folder = await Step($"opening the folder '{_options.Folder}'", async t =>
            {
                var folder = await _client.GetFolderAsync(_options.Folder, t).ConfigureAwait(false);
                await folder.OpenAsync(_options.ReadWrite ? FolderAccess.ReadWrite : FolderAccess.ReadOnly, t).ConfigureAwait(false);
                return folder;
            }, ct).ConfigureAwait(false);
        }

        /// <summary>
        /// One IMAP step within the deadline. MailKit's own Timeout does not bound reads on a stream it was handed, and
        /// .NET Framework's socket reads ignore cancellation tokens, so the deadline (or Ctrl+C) closes the socket: the
        /// step ends at once either way. Failures become <see cref="ImapMailboxException"/>s; Ctrl+C stays an
        /// <see cref="OperationCanceledException"/>.
        /// </summary>
        private async Task<T> Step<T>(string doing, Func<CancellationToken, Task<T>> work, CancellationToken ct)
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                deadline.CancelAfter(_options.Timeout);
                using (deadline.Token.Register(() => _tcp?.Dispose()))
                {
                    try
                    {
                        return await work(deadline.Token).ConfigureAwait(false);
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(ct);
                    }
                    catch (Exception ex) when (deadline.IsCancellationRequested)
                    {
                        throw new ImapMailboxException(ImapFailure.Timeout,
                            $"The IMAP server {_options.Host} port {_options.Port} did not answer within {_options.Timeout.TotalSeconds:0.#} s while {doing}.", ex);
                    }
                    catch (Exception ex)
                    {
                        throw Translate(ex, doing);
                    }
                }
            }
        }

        private bool Judge(object sender, System.Security.Cryptography.X509Certificates.X509Certificate certificate, X509Chain chain, System.Net.Security.SslPolicyErrors errors)
        {
            if (certificate == null)
            {
                _certificateProblem = "the server presented no certificate";
                return false;
            }
            var leaf = new X509Certificate2(certificate);
            var presented = new List<X509Certificate2>();
            if (chain != null)
            {
                foreach (var c in chain.ChainPolicy.ExtraStore) presented.Add(new X509Certificate2(c));
                foreach (var e in chain.ChainElements) presented.Add(new X509Certificate2(e.Certificate));
            }
            var verdict = CertificateJudge.BuildChain(leaf, presented, _options.TrustedCertificates, DateTime.UtcNow);
            var host = _options.Host.Trim('[', ']');
            var nameOk = CertificateJudge.MatchesHostName(leaf, host);
            if (verdict.Valid && nameOk) return true;
            _certificateProblem = !verdict.Valid
                ? $"its certificate ({leaf.Subject}) is not trusted: {verdict.Status}{(Strings.IsNullOrEmpty(verdict.Information) ? "" : " (" + verdict.Information + ")")}"
                : $"its certificate names {CertificateJudge.Describe(CertificateJudge.GetDnsNames(leaf))}, not {host}";
            return false;
        }

        private Exception Translate(Exception ex, string doing)
        {
            var where = $"the IMAP server {_options.Host} port {_options.Port}";
            switch (ex)
            {
                case ImapMailboxException _:
                    return ex;
                case AuthenticationException _:
                    return new ImapMailboxException(ImapFailure.AuthenticationFailed,
                        $"{where} refused the login of '{_options.UserName}': {ex.Message}", ex);
                case SslHandshakeException _:
                case System.Security.Authentication.AuthenticationException _:
                    var inner = ex;
                    while (inner.InnerException != null) inner = inner.InnerException;
                    return new ImapMailboxException(ImapFailure.CertificateRejected, _certificateProblem != null
                        ? $"TLS with {where} was refused: {_certificateProblem}."
                        : _options.Security == ImapSecurity.Implicit
                            ? $"TLS with {where} failed: {inner.Message} (is port {_options.Port} an IMAPS port? STARTTLS servers usually listen on port 143)"
                            : $"TLS with {where} failed after STARTTLS: {inner.Message}", ex);
                case NotSupportedException _ when doing == "connecting":
                    return new ImapMailboxException(ImapFailure.TlsUnavailable,
                        $"{where} does not offer STARTTLS; MailOps never sends a password over a plain connection.", ex);
                case FolderNotFoundException _:
                    return new ImapMailboxException(ImapFailure.FolderNotFound, $"{where} has no folder '{_options.Folder}'.", ex);
                case TimeoutException _:
                    return new ImapMailboxException(ImapFailure.Timeout, $"{where} did not answer within {_options.Timeout.TotalSeconds:0.#} s while {doing}.", ex);
                case OperationCanceledException _:
                    return new ImapMailboxException(ImapFailure.Timeout, $"{where} did not answer within {_options.Timeout.TotalSeconds:0.#} s while {doing}.", ex);
                case ImapCommandException _:
                    return new ImapMailboxException(ImapFailure.CommandFailed, $"{where} refused a command while {doing}: {ex.Message}", ex);
                default:
                    return new ImapMailboxException(ImapFailure.ConnectionLost, $"The connection to {where} failed while {doing}: {ex.Message}", ex);
            }
        }

        /// <summary>The messages to import, in UID order: all of them, or only those not \Seen, optionally only those
        /// that arrived on or after <paramref name="since"/> (IMAP SINCE: the day, the server's internal date).</summary>
        public Task<IReadOnlyList<ImapMessageInfo>> ListAsync(DateTime? since, bool unseenOnly, CancellationToken ct) =>
            Step<IReadOnlyList<ImapMessageInfo>>("listing the messages", async t =>
            {
                SearchQuery query = SearchQuery.All;
                if (unseenOnly) query = SearchQuery.NotSeen;
                if (since.HasValue) query = query == SearchQuery.All ? SearchQuery.DeliveredAfter(since.Value) : query.And(SearchQuery.DeliveredAfter(since.Value));
                var folder = Opened;
                var uids = await folder.SearchAsync(query, t).ConfigureAwait(false);
                if (uids.Count == 0) return new ImapMessageInfo[0];
                var summaries = await folder.FetchAsync(uids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Size), t).ConfigureAwait(false);
                var validity = folder.UidValidity;
                return summaries.Where(s => s.UniqueId.IsValid).OrderBy(s => s.UniqueId.Id)
                    .Select(s => new ImapMessageInfo(s.UniqueId.Id, Clean(s.Envelope?.MessageId), s.Envelope?.Date, Url(validity, s.UniqueId.Id), s.Size))
                    .ToList();
            }, ct);

        private static string? Clean(string? id) => Strings.IsNullOrEmpty(id) ? null : TextSafety.Escape(id.Trim().Trim('<', '>'));

        private string Url(uint validity, uint uid)
        {
            var scheme = _options.Security == ImapSecurity.Implicit ? "imaps" : "imap";
            var defaultPort = _options.Security == ImapSecurity.Implicit ? 993 : 143;
            var host = _options.Host.Contains(":") && !_options.Host.StartsWith("[", StringComparison.Ordinal) ? "[" + _options.Host + "]" : _options.Host;
            var user = Uri.EscapeDataString(_options.UserName ?? "");
            var port = _options.Port == defaultPort ? "" : ":" + _options.Port;
            var folder = string.Join("/", Folder.Split(_folder?.DirectorySeparator ?? '/').Select(Uri.EscapeDataString));
            return $"{scheme}://{user}@{host}{port}/{folder};UIDVALIDITY={validity}/;UID={uid}";
        }

        /// <summary>The whole message (BODY.PEEK[]: \Seen is not set). The caller disposes the stream.</summary>
        public Task<Stream> FetchAsync(ImapMessageInfo message, CancellationToken ct) =>
            Step($"fetching message UID {message.Uid}", t => Opened.GetStreamAsync(new UniqueId(message.Uid), t), ct);

        /// <summary>Sets \Seen on one message.</summary>
        public Task MarkSeenAsync(ImapMessageInfo message, CancellationToken ct) =>
            Step($"flagging message UID {message.Uid} as seen",
                t => Opened.StoreAsync(new UniqueId(message.Uid), new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, t), ct);

        private IMailFolder? _archive;

        /// <summary>Opens (and, when <paramref name="create"/>, creates and subscribes) the folder messages are moved to.
        /// Returns whether it was created; a missing folder when <paramref name="create"/> is false is FolderNotFound.</summary>
        public async Task<bool> OpenArchiveAsync(string name, bool create, CancellationToken ct)
        {
            _archive = await Step($"opening the archive folder '{name}'", async t =>
            {
                try { return await _client.GetFolderAsync(name, t).ConfigureAwait(false); }
                catch (FolderNotFoundException) { return null; }
            }, ct).ConfigureAwait(false);
            if (_archive != null) return false;
            if (!create)
                throw new ImapMailboxException(ImapFailure.FolderNotFound, $"The IMAP server {_options.Host} has no folder '{name}' to move imported messages to.");
            _archive = await Step($"creating the archive folder '{name}'", async t =>
            {
                var root = _client.GetFolder(_client.PersonalNamespaces.Count > 0 ? _client.PersonalNamespaces[0] : new FolderNamespace('/', ""));
                // MailKit gives null when the server does not list the folder it has just created.
                var created = await root.CreateAsync(name, true, t).ConfigureAwait(false)
                    ?? throw new ImapMailboxException(ImapFailure.CommandFailed,
                        $"The IMAP server {_options.Host} port {_options.Port} did not list the archive folder '{name}' after creating it.");
                await created.SubscribeAsync(t).ConfigureAwait(false);
                return created;
            }, ct).ConfigureAwait(false);
            return true;
        }

        /// <summary>Moves one message to the archive folder (MOVE, or COPY + \Deleted + UID EXPUNGE where MOVE is missing).</summary>
        public Task MoveAsync(ImapMessageInfo message, CancellationToken ct)
        {
            var archive = _archive ?? throw new InvalidOperationException("OpenArchiveAsync first.");
            return Step($"moving message UID {message.Uid} to '{archive.FullName}'", t => Opened.MoveToAsync(new UniqueId(message.Uid), archive, t), ct);
        }

        /// <summary>Passes rows and problems of one fetched message (a reader's ReadStream) on, each row stamped with the
        /// message's UID, Message-ID and Date.</summary>
        public static IEnumerable<object> Stamp(IEnumerable<object> rows, ImapMessageInfo message)
        {
            foreach (var item in rows)
            {
                if (item is IMailboxSourced r) r.SetMailboxSource(message.Uid, message.MessageId, message.Date);
                yield return item;
            }
        }

        public void Dispose()
        {
            try
            {
                // LOGOUT, at most 2 s: a silent server is cut off by closing the socket.
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
                using (cts.Token.Register(() => _tcp?.Dispose()))
                    if (_client.IsConnected) _client.Disconnect(true, cts.Token);
            }
            catch (Exception)
            {
                // the connection is going anyway
            }
            _client.Dispose();
            _tcp?.Dispose();
        }
    }

    /// <summary>A row that can carry the IMAP message it was read from.</summary>
    internal interface IMailboxSourced
    {
        void SetMailboxSource(uint uid, string? messageId, DateTimeOffset? date);
    }
}
