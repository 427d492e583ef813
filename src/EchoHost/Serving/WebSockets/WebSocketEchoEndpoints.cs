using EchoHost.Configuration;
using EchoHost.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.WebSockets;

/// <summary>The <see cref="WebSocketEchoEndpoint"/> of every http endpoint, and how a request finds its own.</summary>
internal sealed class WebSocketEchoEndpoints
{
    private readonly WebSocketEchoEndpoint[] _endpoints;

    public WebSocketEchoEndpoints(EchoHostSettings settings, LiveConnectionRegistry live, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(ProtocolBindings.ConnectionsCategory);
        _endpoints =
        [
            .. settings.Endpoints
                .Where(e => e.Protocol == EndpointProtocol.Http)
                .Select(e => new WebSocketEchoEndpoint(e, live.ForWebSockets(e), settings.Limits.For(e).IdleTimeout, time, logger)),
        ];
    }

    public IReadOnlyList<WebSocketEchoEndpoint> All => _endpoints;

    /// <summary>
    /// Puts the endpoint's <see cref="WebSocketEchoEndpoint"/> in each connection's features, where the request that
    /// asks for a WebSocket finds it (an HTTP request sees its connection's features).
    /// </summary>
    public static void Use(ListenOptions listenOptions, EndpointDefinition endpoint)
    {
        var webSockets = listenOptions.ApplicationServices.GetService<WebSocketEchoEndpoints>();
        if (webSockets is null)
        {
            // WebSockets are turned off.
            return;
        }

        var own = Array.Find(webSockets._endpoints, e => e.Definition.Name == endpoint.Name)!;
        listenOptions.Use(next => connection =>
        {
            connection.Features.Set(own);
            return next(connection);
        });
    }
}
