using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Limits;
using EchoHost.ProxyProtocol;
using EchoHost.Serving.Framed;
using EchoHost.Serving.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving;

/// <summary>
/// Binds an endpoint to what serves its protocol: the PROXY protocol and TLS when the endpoint has them, connection
/// tracking, then the protocol's connection handler, found in <see cref="Handlers"/> by the endpoint's
/// <see cref="EndpointProtocol"/> descriptor.
/// </summary>
internal static class ProtocolBindings
{
    /// <summary>The log category of connection events (accepted, closed) of every endpoint.</summary>
    public const string ConnectionsCategory = "EchoHost.Connections";

    /// <summary>The connection handler of each protocol of <see cref="EndpointProtocol.All"/>.</summary>
    private static readonly Dictionary<EndpointProtocol, Action<ListenOptions, EndpointDefinition, ConnectionTracker>> Handlers = new()
    {
        // A connection handler takes the connection before Kestrel's HTTP layer would see it.
        [EndpointProtocol.Echo] = (listenOptions, _, tracker) => listenOptions.Run(
            ActivatorUtilities.CreateInstance<EchoConnectionHandler>(listenOptions.ApplicationServices, tracker).OnConnectedAsync),
        [EndpointProtocol.Framed] = (listenOptions, _, tracker) => listenOptions.Run(
            ActivatorUtilities.CreateInstance<FramedConnectionHandler>(listenOptions.ApplicationServices, tracker).OnConnectedAsync),
        [EndpointProtocol.Http] = UseHttp,
    };

    /// <summary>Makes <paramref name="listenOptions"/> speak the protocol of <paramref name="endpoint"/>, counting its connections.</summary>
    public static void Apply(ListenOptions listenOptions, EndpointDefinition endpoint)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(endpoint);
        var services = listenOptions.ApplicationServices;
        var limiter = services.GetRequiredService<ConnectionLimits>().For(endpoint);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(ConnectionsCategory);
        var tracker = new ConnectionTracker(services.GetRequiredService<LiveConnectionRegistry>().For(endpoint), limiter, logger);

        // The PROXY protocol, when the endpoint has it, comes first: everything after sees the client's address.
        ProxyProtocolAdmission.Use(listenOptions, endpoint, limiter, logger);

        // TLS, when the endpoint has it, comes right before what serves the protocol.
        EndpointTls.Use(listenOptions, endpoint, tracker);

        Handlers[endpoint.Protocol](listenOptions, endpoint, tracker);
    }

    private static void UseHttp(ListenOptions listenOptions, EndpointDefinition endpoint, ConnectionTracker tracker)
    {
        // Health and metrics are scraped over HTTP/1.1; with TLS, ALPN lets a client choose HTTP/2, as on any Kestrel
        // https endpoint (without it, a client could not negotiate HTTP/2 anyway).
        listenOptions.Protocols = endpoint.Tls is not null ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        listenOptions.Use(next =>
        {
            Func<ConnectionContext, ConnectionCounters, LiveConnection, Task> serve = (connection, _, _) => next(connection);
            return connection => tracker.TrackAsync(connection, new ConnectionCounters(), serve);
        });
        WebSocketEchoEndpoints.Use(listenOptions, endpoint);
    }
}
