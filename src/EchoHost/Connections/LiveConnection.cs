namespace EchoHost.Connections;

/// <summary>
/// One live connection as its endpoint's <see cref="LiveConnections"/> holds it: its counts, which the metrics read,
/// and its watch, which the limits' sweep reads (none for a WebSocket, which keeps its own idle clock). The entry
/// carries its own links, so that tracking allocates nothing more than the entry.
/// </summary>
internal sealed class LiveConnection(ConnectionCounters counters, ConnectionWatch? watch, IRequestGate? requests)
{
    public ConnectionCounters Counters => counters;

    public ConnectionWatch? Watch => watch;

    /// <summary>Takes a token from the connection's request bucket; true when the request may be served (or none applies).</summary>
    public bool TryTakeRequest() => requests is null || requests.TryTake();

    internal LiveConnection? Previous;
    internal LiveConnection? Next;
}

/// <summary>A bucket of requests that a connection draws from before each one it serves (a rate limit, say).</summary>
internal interface IRequestGate
{
    bool TryTake();
}
