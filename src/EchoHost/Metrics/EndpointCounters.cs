using EchoHost.Configuration;
using EchoHost.Limits;

namespace EchoHost.Metrics;

/// <summary>
/// One endpoint's connections: how many were accepted and closed, the live ones, and the sums of those that closed.
/// Opening and closing take a lock (once per connection); reading sums the closed ones and the live ones under it.
/// <paramref name="protocol"/> names connections that speak other than the endpoint's protocol (an http endpoint's
/// WebSockets).
/// </summary>
internal sealed class EndpointCounters(EndpointDefinition endpoint, string transport, int messageTypeSlots, string? protocol = null)
{
    private readonly Lock _gate = new();
    private ConnectionCounters? _live;
    private long _accepted;
    private long _closed;
    private long _tlsHandshakeFailures;
    private readonly FramedCounters _closedTotals = new(messageTypeSlots);

    public string Name => endpoint.Name;

    /// <summary>The protocol as a label value: <c>echo</c>, <c>framed</c>, <c>http</c> or <c>websocket</c>.</summary>
    public string Protocol { get; } = protocol ?? endpoint.Protocol.ToString().ToLowerInvariant();

    /// <summary>The transport as a label value: <c>native</c> or <c>sockets</c>.</summary>
    public string Transport => transport;

    public bool IsFramed => endpoint.Protocol == EndpointProtocol.Framed && protocol is null;

    /// <summary>Whether the endpoint speaks TLS, so that its handshake failures are a series of their own.</summary>
    public bool IsTls => endpoint.Tls is not null && protocol is null;

    /// <summary>Connections that closed before their TLS handshake completed; they are not counted as accepted.</summary>
    public long TlsHandshakeFailures => Interlocked.Read(ref _tlsHandshakeFailures);

    public void TlsHandshakeFailed() => Interlocked.Increment(ref _tlsHandshakeFailures);

    /// <summary>HTTP connections are counted, their bytes are not: Kestrel's HTTP layer reads and writes them.</summary>
    public bool CountsBytes => endpoint.Protocol != EndpointProtocol.Http || protocol is not null;

    /// <summary>Counts a new connection, whose counts are read from <paramref name="counters"/> while it lives.</summary>
    public T Open<T>(T counters)
        where T : ConnectionCounters
    {
        lock (_gate)
        {
            _accepted++;
            counters.Next = _live;
            if (_live is not null)
            {
                _live.Previous = counters;
            }

            _live = counters;
        }

        return counters;
    }

    public void Close(ConnectionCounters counters)
    {
        lock (_gate)
        {
            if (counters.Previous is null)
            {
                _live = counters.Next;
            }
            else
            {
                counters.Previous.Next = counters.Next;
            }

            if (counters.Next is not null)
            {
                counters.Next.Previous = counters.Previous;
            }

            counters.Previous = counters.Next = null;
            Add(_closedTotals, counters);
            _closed++;
        }
    }

    /// <summary>Adds the watches of the live connections to <paramref name="watches"/>, for the limits' sweep.</summary>
    public void CollectWatches(List<ConnectionWatch> watches)
    {
        lock (_gate)
        {
            for (var live = _live; live is not null; live = live.Next)
            {
                if (live.Watch is { } watch)
                {
                    watches.Add(watch);
                }
            }
        }
    }

    /// <summary>A consistent picture of the endpoint: the closed connections' sums plus the live ones' counts.</summary>
    public EndpointSnapshot Read()
    {
        var totals = new FramedCounters(_closedTotals.MessagesHandled.Length);
        return new EndpointSnapshot(AddTo(totals), totals);
    }

    /// <summary>Adds the endpoint's counts to <paramref name="totals"/>; returns the connections accepted and closed.</summary>
    public ConnectionCount AddTo(FramedCounters totals)
    {
        lock (_gate)
        {
            Add(totals, _closedTotals);
            for (var live = _live; live is not null; live = live.Next)
            {
                Add(totals, live);
            }

            return new ConnectionCount(_accepted, _closed);
        }
    }

    private static void Add(FramedCounters totals, ConnectionCounters counters)
    {
        totals.BytesReceived += counters.BytesReceived;
        totals.BytesSent += counters.BytesSent;
        if (counters is FramedCounters framed)
        {
            AddAll(totals.FramesReceived, framed.FramesReceived);
            AddAll(totals.FramesSent, framed.FramesSent);
            AddAll(totals.MessagesHandled, framed.MessagesHandled);
            AddAll(totals.Errors, framed.Errors);
        }
    }

    private static void AddAll(long[] totals, long[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            totals[i] += values[i];
        }
    }
}

/// <summary>Connections accepted and closed so far.</summary>
internal readonly record struct ConnectionCount(long Accepted, long Closed)
{
    public long Active => Accepted - Closed;
}

/// <summary>What <see cref="EndpointCounters.Read"/> saw.</summary>
internal readonly record struct EndpointSnapshot(ConnectionCount Connections, FramedCounters Totals);
