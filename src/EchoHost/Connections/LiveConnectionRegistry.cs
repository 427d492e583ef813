using EchoHost.Configuration;

namespace EchoHost.Connections;

/// <summary>
/// The <see cref="LiveConnections"/> of every configured endpoint, by endpoint, and of the WebSockets each http endpoint
/// carries when the WebSocket echo is on.
/// </summary>
internal sealed class LiveConnectionRegistry
{
    private readonly LiveConnections[] _all;

    public LiveConnectionRegistry(EchoHostSettings settings, MessageTypeSlots messageTypes, WebSocketEchoOptions? webSockets = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(messageTypes);
        var slots = messageTypes.Names.Length;
        _all =
        [
            .. settings.Endpoints.Select(e => new LiveConnections(e, e.Protocol, slots)),

            // The WebSockets of each http endpoint are connections of their own protocol, after the endpoints' own.
            .. settings.Endpoints
                .Where(e => e.Protocol == EndpointProtocol.Http && webSockets is { Enabled: true })
                .Select(e => new LiveConnections(e, EndpointProtocol.WebSocket, slots)),
        ];
    }

    /// <summary>Every endpoint's, then the WebSockets'.</summary>
    public IReadOnlyList<LiveConnections> All => _all;

    /// <summary>The connections of <paramref name="endpoint"/> that speak its own protocol.</summary>
    public LiveConnections For(EndpointDefinition endpoint) => Find(endpoint, endpoint.Protocol);

    /// <summary>The WebSockets of the http endpoint <paramref name="endpoint"/>.</summary>
    public LiveConnections ForWebSockets(EndpointDefinition endpoint) => Find(endpoint, EndpointProtocol.WebSocket);

    private LiveConnections Find(EndpointDefinition endpoint, EndpointProtocol protocol) =>
        Array.Find(_all, e => e.EndpointName == endpoint.Name && e.Protocol == protocol)
        ?? throw new ArgumentException($"Endpoint {endpoint.Name} has no {protocol} connections configured.", nameof(endpoint));
}
