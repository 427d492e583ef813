using System.IO.Pipelines;
using EchoHost.Configuration;

namespace EchoHost.Connections;

/// <summary>
/// What the limits know of one live connection: when it last received bytes, the frame it is receiving (framed). The
/// connection writes a few fields per read (no allocation, no lock); the limits' periodic sweep reads them, and tells a
/// connection that has run out of time by cancelling its pending read, after which the connection reads
/// <see cref="TimedOut"/> and ends as its protocol says. Its clock is the host's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ConnectionWatch(EndpointLimits limits, string connectionId, PipeReader input, TimeProvider time)
{
    private readonly long _idleMilliseconds = (long)limits.IdleTimeout.TotalMilliseconds;
    private readonly long _graceMilliseconds = (long)limits.FrameGracePeriod.TotalMilliseconds;
    private IPendingWork? _work;
    private long _lastReceived = time.Milliseconds();
    private long _frameStarted;
    private long _frameBytes;
    private volatile bool _waiting;
    private int _timedOut = (int)ConnectionTimeout.None;

    public string ConnectionId => connectionId;

    /// <summary>Set once, by the sweep, when the connection has run out of time.</summary>
    public ConnectionTimeout TimedOut => (ConnectionTimeout)Volatile.Read(ref _timedOut);

    /// <summary>Work the connection has in hand (a framed connection's requests in flight): while any is, it is busy, not idle.</summary>
    public void Track(IPendingWork work) => _work = work;

    /// <summary>The connection is about to wait for the peer's bytes: the idle and frame clocks run only while it does.</summary>
    public void WaitingForPeer() => _waiting = true;

    /// <summary>A read returned.</summary>
    public void Received()
    {
        _waiting = false;
        Volatile.Write(ref _lastReceived, time.Milliseconds());
    }

    /// <summary>
    /// After a batch of frames: <paramref name="partialBytes"/> of a frame not yet complete are buffered;
    /// <paramref name="completedFrame"/> says whether the batch completed a frame, so that those bytes start a new one.
    /// </summary>
    public void FrameProgress(long partialBytes, bool completedFrame)
    {
        if (partialBytes == 0)
        {
            Volatile.Write(ref _frameStarted, 0);
        }
        else if (completedFrame || Volatile.Read(ref _frameStarted) == 0)
        {
            Volatile.Write(ref _frameStarted, Volatile.Read(ref _lastReceived));
        }

        Volatile.Write(ref _frameBytes, partialBytes);
    }

    /// <summary>
    /// The sweep's question at <paramref name="now"/> (<see cref="TimeProviderExtensions.Milliseconds"/> of the same
    /// provider): has the connection run out of time? If so it is told, once. <paramref name="framed"/> says whether
    /// the frame rule applies.
    /// </summary>
    public ConnectionTimeout Check(long now, bool framed)
    {
        if (TimedOut != ConnectionTimeout.None)
        {
            return ConnectionTimeout.None;
        }

        if (!_waiting || _work is { Pending: > 0 })
        {
            // Busy (handlers running, answers being sent, the server not reading): idle time starts when it is done,
            // and so does the time of a frame in progress (unless the connection has moved on to another meanwhile).
            Volatile.Write(ref _lastReceived, now);
            var started = Volatile.Read(ref _frameStarted);
            if (started != 0)
            {
                Interlocked.CompareExchange(ref _frameStarted, now, started);
            }

            return ConnectionTimeout.None;
        }

        var reason = ConnectionTimeout.None;
        var frameStarted = Volatile.Read(ref _frameStarted);
        var elapsed = now - frameStarted;
        if (framed && frameStarted != 0 && limits.MinFrameBytesPerSecond > 0 && elapsed > _graceMilliseconds
            && Volatile.Read(ref _frameBytes) * 1000 < limits.MinFrameBytesPerSecond * elapsed)
        {
            reason = ConnectionTimeout.SlowFrame;
        }
        else if (_idleMilliseconds > 0 && now - Volatile.Read(ref _lastReceived) >= _idleMilliseconds)
        {
            reason = ConnectionTimeout.Idle;
        }

        if (reason != ConnectionTimeout.None)
        {
            Volatile.Write(ref _timedOut, (int)reason);
            input.CancelPendingRead();
        }

        return reason;
    }
}

/// <summary>Work a connection has in hand besides reading, such as requests its handlers have not answered yet.</summary>
internal interface IPendingWork
{
    int Pending { get; }
}

/// <summary>Why the sweep ended a connection; the label values of <c>echohost.connections.timed_out</c> follow the order.</summary>
internal enum ConnectionTimeout
{
    None = -1,
    Idle,
    SlowFrame,
}
