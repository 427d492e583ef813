using EchoHost.Configuration;

namespace EchoHost.Connections;

/// <summary>The <see cref="LiveConnections"/> of every configured endpoint, by endpoint.</summary>
internal sealed class LiveConnectionRegistry
{
    private readonly LiveConnections[] _endpoints;

    public LiveConnectionRegistry(EchoHostSettings settings, MessageTypeSlots messageTypes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(messageTypes);
        _endpoints = settings.Endpoints.Select(e => new LiveConnections(e.Name, messageTypes.Names.Length)).ToArray();
    }

    public LiveConnections For(EndpointDefinition endpoint) =>
        Array.Find(_endpoints, e => e.EndpointName == endpoint.Name) ?? throw new ArgumentException($"Endpoint {endpoint.Name} is not configured.", nameof(endpoint));
}
