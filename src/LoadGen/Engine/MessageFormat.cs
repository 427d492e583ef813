namespace EchoHost.LoadGen.Engine;

/// <summary>What goes on the wire for a message and how what comes back is verified: raw echo or framed Echo.</summary>
internal abstract class MessageFormat
{
    protected MessageFormat(int size)
    {
        Size = size;
    }

    /// <summary>Bytes of data per message (the whole message for raw echo, the Echo request's Data for framed).</summary>
    public int Size { get; }

    /// <summary>Bytes on the wire per message, each way.</summary>
    public abstract int WireSize { get; }

    /// <summary>How many messages a connection may have unanswered at once.</summary>
    public abstract long MaxInFlight { get; }

    /// <summary>Prepares a connection's state before it connects.</summary>
    public virtual void Attach(Connection connection)
    {
    }

    /// <summary>The bytes of message <paramref name="sequence"/>; the same bytes until the message is written completely.</summary>
    public abstract ReadOnlySpan<byte> Outgoing(Connection connection, long sequence);

    /// <summary>Where the next recv writes.</summary>
    public abstract Span<byte> ReceiveBuffer(Connection connection, Worker worker);

    /// <summary>
    /// Verifies the <paramref name="count"/> bytes just received into <see cref="ReceiveBuffer"/>; reports each message
    /// answered with <see cref="Worker.Completed"/> and anything wrong with <see cref="Worker.Fail"/>.
    /// </summary>
    public abstract void Received(Connection connection, Worker worker, int count);
}
