using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;

namespace EchoHost.Protocols.Framed;

/// <summary>
/// Process-wide counters of the framed endpoints, read by the Stats handler. Connections count into their own fields
/// and publish here once per batch of frames (one interlocked add per counter and batch, never one per byte or frame),
/// so that busy connections on different cores do not fight over these cache lines.
/// </summary>
internal sealed class FramedStats
{
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private long _activeConnections;
    private long _totalConnections;
    private long _messagesHandled;
    private long _errors;
    private long _bytesReceived;
    private long _bytesSent;

    public long ActiveConnections => Volatile.Read(ref _activeConnections);

    public long TotalConnections => Volatile.Read(ref _totalConnections);

    public long MessagesHandled => Volatile.Read(ref _messagesHandled);

    public long Errors => Volatile.Read(ref _errors);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _activeConnections);
        Interlocked.Increment(ref _totalConnections);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    public void AddReceived(long bytes)
    {
        if (bytes != 0)
        {
            Interlocked.Add(ref _bytesReceived, bytes);
        }
    }

    /// <summary>Publishes what a connection has answered and sent since it last did.</summary>
    public void AddAnswered(long messagesHandled, long errors, long bytesSent)
    {
        if (messagesHandled != 0)
        {
            Interlocked.Add(ref _messagesHandled, messagesHandled);
        }

        if (errors != 0)
        {
            Interlocked.Add(ref _errors, errors);
        }

        if (bytesSent != 0)
        {
            Interlocked.Add(ref _bytesSent, bytesSent);
        }
    }

    /// <summary>The most bytes <see cref="TryWriteJson"/> can need: seven 20-digit numbers and the names.</summary>
    public const int MaxJsonBytes = 512;

    /// <summary>Writes the Stats handler's JSON object into <paramref name="destination"/>, without allocating.</summary>
    public bool TryWriteJson(Span<byte> destination, out int written)
    {
        var uptimeSeconds = (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        return Utf8.TryWrite(
            destination,
            CultureInfo.InvariantCulture,
            $"{{\"activeConnections\":{ActiveConnections},\"totalConnections\":{TotalConnections},\"messagesHandled\":{MessagesHandled},\"errors\":{Errors},\"bytesReceived\":{BytesReceived},\"bytesSent\":{BytesSent},\"uptimeSeconds\":{uptimeSeconds}}}",
            out written);
    }
}
