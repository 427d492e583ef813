using EchoHost.Connections;

namespace EchoHost.Metrics;

/// <summary>
/// The metrics' view of one endpoint's connections of one protocol (its own, or an http endpoint's WebSockets): their
/// labels (name, protocol, transport), which series they have, and their counts as read from their
/// <see cref="LiveConnections"/>.
/// </summary>
internal sealed class EndpointCounters(string transport, LiveConnections live, int messageTypeSlots)
{
    public string Name => live.EndpointName;

    /// <summary>The protocol as a label value: <c>echo</c>, <c>framed</c>, <c>http</c> or <c>websocket</c>.</summary>
    public string Protocol => live.Protocol.Name;

    /// <summary>The transport as a label value: <c>native</c> or <c>sockets</c>.</summary>
    public string Transport => transport;

    public bool IsFramed => live.Protocol.IsFramed;

    /// <summary>
    /// Whether these connections are carried over connections of the endpoint's own protocol (an http endpoint's
    /// WebSockets), which count them already.
    /// </summary>
    public bool IsCarried => live.Protocol != live.Endpoint.Protocol;

    /// <summary>Whether the endpoint speaks TLS, so that its handshake failures are a series of their own.</summary>
    public bool IsTls => live.Endpoint.Tls is not null && !IsCarried;

    /// <summary>Connections that closed before their TLS handshake completed; they are not counted as accepted.</summary>
    public long TlsHandshakeFailures => live.TlsHandshakeFailures;

    /// <summary>Whether the connections' bytes are counted (not HTTP's: Kestrel's HTTP layer reads and writes them).</summary>
    public bool CountsBytes => live.Protocol.CountsBytes;

    /// <summary>A consistent picture of the endpoint: the closed connections' sums plus the live ones' counts.</summary>
    public EndpointSnapshot Read()
    {
        var totals = new FramedCounters(messageTypeSlots);
        return new EndpointSnapshot(live.AddTo(totals), totals);
    }

    /// <summary>Adds the endpoint's counts to <paramref name="totals"/>; returns the connections accepted and closed.</summary>
    public ConnectionCount AddTo(FramedCounters totals) => live.AddTo(totals);
}

/// <summary>What <see cref="EndpointCounters.Read"/> saw.</summary>
internal readonly record struct EndpointSnapshot(ConnectionCount Connections, FramedCounters Totals);
