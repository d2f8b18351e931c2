using System;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailOps.Testing
{
    /// <summary>
    /// A real HTTPS server (Kestrel) on 127.0.0.1 and a free port. The certificate is chosen per SNI name, so one server
    /// plays many policy hosts (good, expired, wrong name...). Never listens on anything but loopback.
    /// </summary>
    public sealed class LoopbackHttpsServer : IDisposable
    {
        private readonly WebApplication _app;

        private LoopbackHttpsServer(WebApplication app, int port)
        {
            _app = app;
            Port = port;
        }

        public int Port { get; }

        public static LoopbackHttpsServer Start(Func<string, X509Certificate2> certificateForSni, RequestDelegate handler) =>
            Start(name => SslStreamCertificateContext.Create(certificateForSni(name), null, offline: true), handler);

        /// <summary>Starts with a certificate context per SNI name: the leaf plus the intermediates the server sends.</summary>
        public static LoopbackHttpsServer Start(Func<string, SslStreamCertificateContext> contextForSni, RequestDelegate handler)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Listen(IPAddress.Loopback, 0, listen =>
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = ctx => new ValueTask<SslServerAuthenticationOptions>(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = contextForSni(ctx.ClientHelloInfo.ServerName ?? ""),
                        }),
                    }));
            });
            var app = builder.Build();
            app.Run(handler);
            app.StartAsync().GetAwaiter().GetResult();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new LoopbackHttpsServer(app, new Uri(address).Port);
        }

        public void Dispose()
        {
            _app.StopAsync().GetAwaiter().GetResult();
            ((IAsyncDisposable)_app).DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
