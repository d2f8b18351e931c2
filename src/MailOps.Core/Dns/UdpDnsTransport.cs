using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps.Dns
{
    /// <summary>
    /// UDP to one DNS server through one connected socket shared by every question to that server in the process, with
    /// one receive loop handing each datagram to the question with its message id. A connected socket only accepts
    /// datagrams from the server, and turns an ICMP "port unreachable" into an immediate error rather than a timeout.
    /// A datagram whose id no question is waiting for (a late answer, a stray or spoofed packet) is dropped. Sockets
    /// idle for a few seconds are closed by a sweep and opened again when needed.
    /// </summary>
    internal sealed class UdpDnsTransport
    {
        private static readonly ConcurrentDictionary<IPEndPoint, UdpDnsTransport> Pool = new ConcurrentDictionary<IPEndPoint, UdpDnsTransport>();
        private static Timer? _sweeper;
        private static readonly object SweeperLock = new object();
        private static readonly TimeSpan IdleClose = TimeSpan.FromSeconds(5);
        // Datagrams from each server that no question was waiting for, over the process' life (sockets come and go).
        private static readonly ConcurrentDictionary<IPEndPoint, System.Runtime.CompilerServices.StrongBox<long>> Strays =
            new ConcurrentDictionary<IPEndPoint, System.Runtime.CompilerServices.StrongBox<long>>();

        private readonly IPEndPoint _server;
        private readonly Socket _socket;
        private readonly ConcurrentDictionary<ushort, Waiter> _waiting = new ConcurrentDictionary<ushort, Waiter>();
        private readonly Timer _deadlines;

        /// <summary>A question in flight, and the task its asker awaits: completed with the datagram, with null at its
        /// deadline, cancelled, or failed. Whoever completes it has taken it out of <see cref="_waiting"/> first.</summary>
        private sealed class Waiter : TaskCompletionSource<byte[]?>
        {
            // Continuations run inline on the thread that completes the question (the receive thread for an answer):
            // the engine's next step, often the next question, follows without a hop through the thread pool. Engine
            // code never blocks on a task, so nothing waits on the receive thread.
            public readonly UdpDnsTransport Owner;
            public readonly long Deadline;
            public ushort Id;
            public CancellationTokenRegistration Registration;

            public Waiter(UdpDnsTransport owner, long deadline)
            {
                Owner = owner;
                Deadline = deadline;
            }

            /// <summary>Ends the wait for cancellation; the token's own callback.</summary>
            public void Cancel()
            {
                if (Owner.TakeOut(this)) TrySetCanceled();
            }
        }
        private readonly Random _random;
        private long _lastUsed;
        private volatile bool _closed;

        private UdpDnsTransport(IPEndPoint server)
        {
            _server = server;
            _socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                _socket.ReceiveBufferSize = 1 << 20;
            }
            catch (SocketException) { }
            _socket.Connect(server);
            using (var rng = System.Security.Cryptography.RandomNumberGenerator.Create())
            {
                var seed = new byte[4];
                rng.GetBytes(seed);
                _random = new Random(BitConverter.ToInt32(seed, 0));
            }
            _lastUsed = Environment.TickCount;
            new Thread(ReceiveLoop) { IsBackground = true, Name = "MailOps DNS " + server }.Start();
            _deadlines = new Timer(_ => ExpireDeadlines(), null, 20, 20);
        }

        /// <summary>How many datagrams from <paramref name="server"/> carried a message id no question was waiting for
        /// (dropped). A question that times out while this grows says so: a spoofing attempt, or a server or middlebox
        /// that rewrites ids, rather than silence.</summary>
        public static long StraysFrom(IPEndPoint server) =>
            Strays.TryGetValue(server, out var box) ? Interlocked.Read(ref box.Value) : 0;

        /// <summary>The shared transport to <paramref name="server"/>.</summary>
        public static UdpDnsTransport For(IPEndPoint server)
        {
            while (true)
            {
                var t = Pool.GetOrAdd(server, s => new UdpDnsTransport(s));
                if (!t._closed) { StartSweeper(); return t; }
                ((ICollection<KeyValuePair<IPEndPoint, UdpDnsTransport>>)Pool)
                    .Remove(new KeyValuePair<IPEndPoint, UdpDnsTransport>(server, t));
            }
        }

        private static void StartSweeper()
        {
            if (_sweeper != null) return;
            lock (SweeperLock)
            {
                if (_sweeper == null) _sweeper = new Timer(_ => Sweep(), null, IdleClose, IdleClose);
            }
        }

        private static void Sweep()
        {
            foreach (var kv in Pool)
            {
                var t = kv.Value;
                if (t._waiting.IsEmpty && unchecked(Environment.TickCount - Interlocked.Read(ref t._lastUsed)) > IdleClose.TotalMilliseconds)
                {
                    ((ICollection<KeyValuePair<IPEndPoint, UdpDnsTransport>>)Pool).Remove(kv);
                    t.Close();
                }
            }
        }

        private void Close()
        {
            _closed = true;
            _deadlines.Dispose();
            try { _socket.Dispose(); } catch (ObjectDisposedException) { }
            Fail(new ObjectDisposedException(nameof(UdpDnsTransport)));
        }

        /// <summary>Sends <paramref name="query"/> (its id is set here) and waits for the datagram with the same id, up
        /// to <paramref name="timeout"/>. Null on timeout; fails with SocketException (e.g. connection refused) or
        /// ObjectDisposedException (the socket was closed by the idle sweep: ask again) on a network error.</summary>
        /// <remarks>Not an async method: the task is the waiter itself, completed by the receive loop, the deadline sweep,
        /// the token or a socket failure, so a question costs no state machine of its own.</remarks>
        public Task<byte[]?> ExchangeAsync(byte[] query, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUsed, Environment.TickCount);
            var w = new Waiter(this, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
            lock (_random)
            {
                do w.Id = (ushort)_random.Next(0, 65536);
                while (!_waiting.TryAdd(w.Id, w));
            }
            try
            {
                if (_closed) throw new ObjectDisposedException(nameof(UdpDnsTransport));
                if (cancellationToken.CanBeCanceled)
                {
                    w.Registration = cancellationToken.Register(s => ((Waiter)s!).Cancel(), w);
                    if (w.Task.IsCompleted) return w.Task; // already cancelled: nothing sent
                }
                DnsWire.SetId(query, w.Id);
                _socket.Send(query);
            }
            catch (Exception ex)
            {
                if (TakeOut(w)) Finish(w, null, ex);
            }
            return w.Task;
        }

        /// <summary>Removes exactly this waiter (the id may by now belong to another question: ids are reused at random,
        /// and removing by id alone once dropped that question's waiter, whose answer was then a "stray"). True when
        /// the caller took it out and so completes it.</summary>
        private bool TakeOut(Waiter w) =>
            ((ICollection<KeyValuePair<ushort, Waiter>>)_waiting).Remove(new KeyValuePair<ushort, Waiter>(w.Id, w));

        /// <summary>Completes a waiter already taken out of <see cref="_waiting"/>: with the answer (or null at its
        /// deadline), or with the exception.</summary>
        private void Finish(Waiter w, byte[]? answer, Exception? failure)
        {
            w.Registration.Dispose();
            Interlocked.Exchange(ref _lastUsed, Environment.TickCount);
            if (failure != null) w.TrySetException(failure);
            else w.TrySetResult(answer);
        }

        /// <summary>Every 20 ms: questions past their deadline get null (a timeout). One timer per socket rather than
        /// one per question.</summary>
        private void ExpireDeadlines()
        {
            if (_waiting.IsEmpty) return;
            var now = Stopwatch.GetTimestamp();
            foreach (var kv in _waiting)
                if (kv.Value.Deadline <= now && TakeOut(kv.Value)) Finish(kv.Value, null, null);
        }

        /// <summary>A dedicated thread blocked in recv: each answer is handed over without going through the thread pool.</summary>
        private void ReceiveLoop()
        {
            var buffer = new byte[65535];
            while (!_closed)
            {
                int n;
                try
                {
                    n = _socket.Receive(buffer);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused || ex.SocketErrorCode == SocketError.ConnectionReset
                    || ex.SocketErrorCode == SocketError.HostUnreachable || ex.SocketErrorCode == SocketError.NetworkUnreachable)
                {
                    // ICMP unreachable for a datagram we sent: every question waiting on this server fails now.
                    Fail(ex);
                    continue;
                }
                catch (Exception ex)
                {
                    if (_closed) return;
                    Fail(ex);
                    continue;
                }
                if (n < DnsWire.HeaderLength) continue;
                if (_waiting.TryRemove(DnsWire.GetId(buffer), out var w))
                {
                    var copy = new byte[n];
                    Buffer.BlockCopy(buffer, 0, copy, 0, n);
                    try { Finish(w, copy, null); }
                    catch (Exception) { /* a continuation that throws must not end the loop */ }
                }
                else
                {
                    // Nobody asked (late, stray or spoofed): dropped, and counted for the timeout message.
                    Interlocked.Increment(ref Strays.GetOrAdd(_server, _ => new System.Runtime.CompilerServices.StrongBox<long>()).Value);
                }
            }
        }

        private void Fail(Exception ex)
        {
            foreach (var kv in _waiting)
                if (TakeOut(kv.Value)) Finish(kv.Value, null, ex);
        }
    }
}
