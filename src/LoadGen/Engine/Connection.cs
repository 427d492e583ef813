namespace EchoHost.LoadGen.Engine;

internal enum ConnectionState
{
    New,
    Connecting,
    Open,
    Closed,
}

/// <summary>
/// One client connection and where its two byte streams stand. Messages are numbered from 0; message <c>n</c> is
/// <see cref="Pattern.Message"/> of the connection's block. Owned by one <see cref="Worker"/>: no locking.
/// </summary>
internal sealed class Connection
{
    public Connection(int number, byte[] pattern, IPv4Endpoint source)
    {
        Number = number;
        Pattern = pattern;
        Source = source;
    }

    /// <summary>The connection's number in the run: seeds its pattern.</summary>
    public int Number { get; }

    public byte[] Pattern { get; }

    /// <summary>The address to bind before connecting; <see cref="IPv4Endpoint.Any"/> leaves the choice to the kernel.</summary>
    public IPv4Endpoint Source { get; }

    public int Fd { get; set; } = -1;

    public ConnectionState State { get; set; }

    /// <summary>The epoll events the connection is registered for.</summary>
    public uint Interest { get; set; }

    /// <summary>Messages asked for so far: the sender writes messages until <see cref="Sent"/> reaches this.</summary>
    public long Due { get; set; }

    /// <summary>Messages written completely.</summary>
    public long Sent { get; set; }

    /// <summary>Bytes of message <see cref="Sent"/> written so far.</summary>
    public int SendOffset { get; set; }

    /// <summary>Messages answered (raw echo: in order; framed: every message below this one has been answered).</summary>
    public long Received { get; set; }

    /// <summary>Raw echo: bytes of message <see cref="Received"/> that came back so far.</summary>
    public int ReceiveOffset { get; set; }

    /// <summary>When the connect was issued (burst) or when the message in flight was asked for (closed loop), in ticks.</summary>
    public long StartTicks { get; set; }

    /// <summary>Messages of this connection that came back and were verified.</summary>
    public long Completed { get; set; }

    /// <summary>The framed workloads' buffers and answer window; null for raw echo.</summary>
    public FramedConnectionState? Framed { get; set; }

    public long InFlight => Sent - Received + (SendOffset > 0 ? 1 : 0);

    /// <summary>Makes a closed connection new for its next connect (the soak's churn): it counts from message 0 again.</summary>
    public void Restart()
    {
        Due = Sent = Received = 0;
        SendOffset = ReceiveOffset = 0;
        Framed?.Clear();
    }

    /// <summary>True when everything asked for has been written and has come back.</summary>
    public bool IsQuiet => Due == Sent && SendOffset == 0 && Received == Sent;
}
