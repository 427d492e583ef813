using System.Net;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// One accepted socket of a readiness engine (epoll, kqueue). All its I/O runs on the thread of its
/// <see cref="EventLoop"/>: reads when the poller says it is readable (<c>Receive</c>), writes when the application
/// flushes or the socket drains (<c>Send</c>), and closes when the application disposes or aborts it (<c>Close</c>).
/// The application sees a pair of pipes.
/// </summary>
internal sealed partial class NativeConnection : LoopConnection, IEventHandler
{
    private readonly ILogger _logger;
    private ulong _token;
    private bool _registered;

    private NativeConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, ILogger logger)
        : base(fd, loop, listenEndPoint, peerAddress)
    {
        _logger = logger;
    }

    protected override bool IsStarted => _registered;

    /// <summary>
    /// Makes the connection of an accepted socket and hands it to its loop, which registers it and starts sending what
    /// the application writes.
    /// </summary>
    public static TransportConnection Start(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, ILogger logger)
    {
        var connection = new NativeConnection(fd, loop, listenEndPoint, peerAddress, logger);
        loop.Schedule(static state => ((NativeConnection)state!).StartOnLoop(), connection);
        return connection;
    }

    public void OnReady(Readiness readiness)
    {
        if ((readiness & (Readiness.Readable | Readiness.ReadClosed | Readiness.Closed)) != 0)
        {
            OnReadable(peerClosing: (readiness & (Readiness.ReadClosed | Readiness.Closed)) != 0);
        }

        if ((readiness & (Readiness.Writable | Readiness.Closed)) != 0)
        {
            OnWritable();
        }
    }

    private void StartOnLoop()
    {
        int errno = Loop.Register(Fd, this, Interest.Read | Interest.Write, out _token);
        if (errno != 0)
        {
            NativeLog.RegisterFailed(_logger, ConnectionId, NativeErrors.Describe(errno));
            Close(NativeErrors.ConnectionError(errno), reset: true);
            return;
        }

        _registered = true;
        Send();
    }
}
