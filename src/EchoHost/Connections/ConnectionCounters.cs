using EchoHost.Limits;

namespace EchoHost.Metrics;

/// <summary>
/// What one connection has done so far. Only the connection writes its fields, with plain additions (no interlocked
/// operation, no call per byte or message); the metrics and the Stats handler read them while it lives, and its
/// <see cref="EndpointCounters"/> keeps the sums once it has closed.
/// </summary>
internal class ConnectionCounters
{
    public long BytesReceived;
    public long BytesSent;

    /// <summary>What the limits watch of the connection (its reads, its address); set before the connection opens.</summary>
    internal ConnectionWatch? Watch;

    // The endpoint's list of live connections, kept in the counters themselves so that tracking allocates nothing more.
    internal ConnectionCounters? Previous;
    internal ConnectionCounters? Next;
}
