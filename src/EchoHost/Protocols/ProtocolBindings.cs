using EchoHost.Configuration;
using EchoHost.Protocols.Framed;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EchoHost.Protocols;

/// <summary>What serves each protocol on a Kestrel endpoint: the one place that knows which protocols exist.</summary>
internal static class ProtocolBindings
{
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
                listenOptions.UseConnectionHandler<FramedConnectionHandler>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol.");
        }
    }
}
