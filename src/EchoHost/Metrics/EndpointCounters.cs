using EchoHost.Configuration;
using EchoHost.Connections;

namespace EchoHost.Metrics;

/// <summary>
/// The metrics' view of one endpoint: its labels (name, protocol, transport), which series it has, and its counts as
/// read from the endpoint's <see cref="LiveConnections"/>.
/// </summary>
internal sealed class EndpointCounters(EndpointDefinition endpoint, string transport, LiveConnections live, int messageTypeSlots)
{
    public string Name => endpoint.Name;

    /// <summary>The endpoint's protocol as a label value: <c>echo</c>, <c>framed</c> or <c>http</c>.</summary>
    public string Protocol => endpoint.ProtocolName;

    /// <summary>The transport as a label value: <c>native</c> or <c>sockets</c>.</summary>
    public string Transport => transport;

    public bool IsFramed => endpoint.Protocol.IsFramed;

    /// <summary>Whether the endpoint speaks TLS, so that its handshake failures are a series of their own.</summary>
    public bool IsTls => endpoint.Tls is not null;

    /// <summary>Connections that closed before their TLS handshake completed; they are not counted as accepted.</summary>
    public long TlsHandshakeFailures => live.TlsHandshakeFailures;

    /// <summary>Whether the endpoint's bytes are counted (not HTTP's: Kestrel's HTTP layer reads and writes them).</summary>
    public bool CountsBytes => endpoint.Protocol.CountsBytes;

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
