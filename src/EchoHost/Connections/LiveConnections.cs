using EchoHost.Configuration;

namespace EchoHost.Connections;

/// <summary>
/// One endpoint's live connections: the one registry of them, written by the endpoint's connection tracker alone (open,
/// close) and read by the metrics (counts and sums) and the limits' sweep (watches), neither of which holds the other.
/// It keeps how many were accepted and closed, and the sums of those that closed. Opening and closing take a lock
/// (once per connection); reading sums the closed ones and the live ones under it.
/// </summary>
internal sealed class LiveConnections(EndpointDefinition endpoint, EndpointProtocol protocol, int messageTypeSlots)
{
    private readonly Lock _gate = new();
    private readonly FramedCounters _closedTotals = new(messageTypeSlots);
    private LiveConnection? _live;
    private long _accepted;
    private long _closed;
    private long _tlsHandshakeFailures;

    public EndpointDefinition Endpoint => endpoint;

    public string EndpointName => endpoint.Name;

    /// <summary>What these connections speak: the endpoint's protocol, or one carried over it (an http endpoint's WebSockets).</summary>
    public EndpointProtocol Protocol => protocol;

    /// <summary>Connections that closed before their TLS handshake completed; they are not counted as accepted.</summary>
    public long TlsHandshakeFailures => Interlocked.Read(ref _tlsHandshakeFailures);

    public void TlsHandshakeFailed() => Interlocked.Increment(ref _tlsHandshakeFailures);

    /// <summary>Counts a new connection, whose counts and watch are read through <paramref name="connection"/> while it lives.</summary>
    public void Open(LiveConnection connection)
    {
        lock (_gate)
        {
            _accepted++;
            connection.Next = _live;
            if (_live is not null)
            {
                _live.Previous = connection;
            }

            _live = connection;
        }
    }

    public void Close(LiveConnection connection)
    {
        lock (_gate)
        {
            if (connection.Previous is null)
            {
                _live = connection.Next;
            }
            else
            {
                connection.Previous.Next = connection.Next;
            }

            if (connection.Next is not null)
            {
                connection.Next.Previous = connection.Previous;
            }

            connection.Previous = connection.Next = null;
            Add(_closedTotals, connection.Counters);
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

    /// <summary>Adds the endpoint's counts to <paramref name="totals"/>; returns the connections accepted and closed.</summary>
    public ConnectionCount AddTo(FramedCounters totals)
    {
        lock (_gate)
        {
            Add(totals, _closedTotals);
            for (var live = _live; live is not null; live = live.Next)
            {
                Add(totals, live.Counters);
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
