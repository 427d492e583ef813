namespace EchoHost.Connections;

/// <summary>
/// What one connection has done so far. Only the connection writes its fields, with plain additions (no interlocked
/// operation, no call per byte or message); the metrics and the Stats handler read them while it lives, and its
/// endpoint's <see cref="LiveConnections"/> keeps the sums once it has closed.
/// </summary>
internal class ConnectionCounters
{
    public long BytesReceived;
    public long BytesSent;
}
