using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace MailOps.Testing
{
    /// <summary>Loopback ports for tests of "nothing listens here".</summary>
    public static class LoopbackPorts
    {
        private static readonly List<Socket> Held = new();

        /// <summary>
        /// A loopback TCP port where connections are refused, and stay refused for the life of the test process: the port is
        /// held by a socket that is bound but never listens (Linux answers a SYN to it with RST). A port found free and
        /// released (the old way) could be taken by a listener of a test running in parallel, or by a client's own
        /// ephemeral port, and then "refused" became "connected".
        /// </summary>
        public static int Refusing()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            lock (Held) Held.Add(socket);
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
    }
}
