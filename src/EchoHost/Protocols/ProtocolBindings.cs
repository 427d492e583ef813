using EchoHost.Configuration;
using EchoHost.Limits;
using EchoHost.Metrics;
using EchoHost.Protocols.Framed;
using EchoHost.ProxyProtocol;
using EchoHost.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Protocols;

/// <summary>What serves each protocol on a Kestrel endpoint: the one place that knows which protocols exist.</summary>
internal static class ProtocolBindings
{
    /// <summary>The log category of connection events (accepted, closed) of every endpoint.</summary>
    public const string ConnectionsCategory = "EchoHost.Connections";

    /// <summary>Makes <paramref name="listenOptions"/> speak the protocol of <paramref name="endpoint"/>, counting its connections.</summary>
    public static void Apply(ListenOptions listenOptions, EndpointDefinition endpoint)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(endpoint);
        var services = listenOptions.ApplicationServices;
        var limiter = services.GetRequiredService<ConnectionLimits>().For(endpoint);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(ConnectionsCategory);
        var tracker = new ConnectionTracker(services.GetRequiredService<ServiceMetrics>().For(endpoint), limiter, logger);

        // The PROXY protocol, when the endpoint has it, comes first: everything after sees the client's address.
        ProxyProtocolAdmission.Use(listenOptions, endpoint, limiter, logger);

        // TLS, when the endpoint has it, comes right before what serves the protocol.
        EndpointTls.Use(listenOptions, endpoint, tracker);

        switch (endpoint.Protocol)
        {
            case EndpointProtocol.Echo:
                // A connection handler takes the connection before Kestrel's HTTP layer would see it.
                listenOptions.Run(ActivatorUtilities.CreateInstance<EchoConnectionHandler>(services, tracker).OnConnectedAsync);
                break;
            case EndpointProtocol.Http:
                // Health and metrics are scraped over HTTP/1.1; with TLS, ALPN lets a client choose HTTP/2, as on
                // any Kestrel https endpoint (without it, a client could not negotiate HTTP/2 anyway).
                listenOptions.Protocols = endpoint.Tls is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                listenOptions.Use(next =>
                {
                    Func<ConnectionContext, ConnectionCounters, Task> serve = (connection, _) => next(connection);
                    return connection => tracker.TrackAsync(connection, new ConnectionCounters(), serve);
                });
                WebSocketEchoEndpoints.Use(listenOptions, endpoint);
                break;
            case EndpointProtocol.Framed:
                listenOptions.Run(ActivatorUtilities.CreateInstance<FramedConnectionHandler>(services, tracker).OnConnectedAsync);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint.Protocol, "Unknown protocol.");
        }
    }
}
