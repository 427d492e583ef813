using System.Diagnostics;
using EchoHost.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EchoHost.Protocols;

/// <summary>
/// What serves each protocol on a Kestrel endpoint. The one place that knows which protocols this build serves:
/// the framed protocol arrives with a later change, which replaces its two branches here.
/// </summary>
internal static class ProtocolBindings
{
    /// <summary>Fails start-up, before anything listens, for a protocol this build does not serve.</summary>
    public static void EnsureAvailable(EndpointDefinition endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Protocol == EndpointProtocol.Framed)
        {
            throw new EchoHostConfigurationException(
                $"{endpoint.Describe()}: the framed protocol is not available in this build; remove the endpoint or set EchoHost:Endpoints:{endpoint.Name}:Enabled=false");
        }
    }

    /// <summary>Makes <paramref name="listenOptions"/> speak <paramref name="protocol"/>.</summary>
    public static void Apply(ListenOptions listenOptions, EndpointProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        switch (protocol)
        {
            case EndpointProtocol.Echo:
                // A connection handler takes the connection before Kestrel's HTTP layer would see it.
                listenOptions.UseConnectionHandler<EchoConnectionHandler>();
                break;
            case EndpointProtocol.Http:
                // Health and metrics are scraped over HTTP/1.1; without TLS there is no negotiation of HTTP/2 anyway.
                listenOptions.Protocols = HttpProtocols.Http1;
                break;
            case EndpointProtocol.Framed:
                throw new UnreachableException("EnsureAvailable rejects the framed protocol before Kestrel is configured.");
            default:
                throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol.");
        }
    }
}
