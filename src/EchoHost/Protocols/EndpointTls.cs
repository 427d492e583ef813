using EchoHost.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace EchoHost.Protocols;

/// <summary>
/// TLS on an endpoint: Kestrel's HTTPS connection middleware, which serves any connection handler and not HTTP alone,
/// between two small middlewares that notice a handshake that did not complete. Kestrel drops such a connection
/// quietly (its own Debug line aside); this counts it and logs it in the connection category.
/// </summary>
internal static class EndpointTls
{
    /// <summary>Adds TLS to <paramref name="listenOptions"/> when <paramref name="endpoint"/> has it; does nothing otherwise.</summary>
    public static void Use(ListenOptions listenOptions, EndpointDefinition endpoint, ConnectionTracker tracker)
    {
        if (endpoint.Tls is not { } tls)
        {
            return;
        }

        var options = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.Certificate,
            ServerCertificateChain = tls.Chain,
            SslProtocols = tls.Protocols,
            HandshakeTimeout = tls.HandshakeTimeout,
            ClientCertificateMode = tls.ClientCertificateMode,
        };

        if (endpoint.Protocol != EndpointProtocol.Http)
        {
            // Kestrel offers ALPN for HTTP/1.1 and HTTP/2 on every TLS endpoint; echo and framed are neither.
            options.OnAuthenticate = static (_, authentication) => authentication.ApplicationProtocols = null;
        }

        listenOptions.Use(next => connection => WatchAsync(connection, next, tracker));
        listenOptions.UseHttps(options);
        listenOptions.Use(next => connection =>
        {
            connection.Features.Get<HandshakeWatch>()!.Completed = true;
            return next(connection);
        });
    }

    private static async Task WatchAsync(ConnectionContext connection, ConnectionDelegate next, ConnectionTracker tracker)
    {
        var watch = new HandshakeWatch();
        connection.Features.Set(watch);
        await next(connection);
        if (!watch.Completed)
        {
            tracker.TlsHandshakeFailed(connection);
        }
    }

    /// <summary>Set once the connection has passed the TLS middleware, i.e. its handshake completed.</summary>
    private sealed class HandshakeWatch
    {
        public bool Completed { get; set; }
    }
}
