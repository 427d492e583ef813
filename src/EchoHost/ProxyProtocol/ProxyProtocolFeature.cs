using System.Net;

namespace EchoHost.ProxyProtocol;

/// <summary>
/// On a connection of an endpoint with the PROXY protocol: the proxy's own address, now that the connection's
/// <c>RemoteEndPoint</c> is the client's that the header gave. Connection middleware and HTTP requests
/// (<c>HttpContext.Features</c>) read it with <c>Features.Get&lt;ProxyProtocolFeature&gt;()</c>.
/// </summary>
public sealed class ProxyProtocolFeature(EndPoint? proxyEndPoint, IPEndPoint? destinationEndPoint)
{
    /// <summary>The proxy that connected and sent the header (null for a Unix domain socket peer on some transports).</summary>
    public EndPoint? ProxyEndPoint { get; } = proxyEndPoint;

    /// <summary>The address the client reached at the proxy; null when the header gave none (LOCAL, UNKNOWN, AF_UNSPEC).</summary>
    public IPEndPoint? DestinationEndPoint { get; } = destinationEndPoint;
}
