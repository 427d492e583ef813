using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// One accepted socket. All its I/O runs on the thread of its <see cref="EventLoop"/>: reads when the poller says it
/// is readable (<c>Receive</c>), writes when the application flushes or the socket drains (<c>Send</c>), and closes
/// when the application disposes or aborts it (<c>Close</c>). The application sees a pair of pipes.
/// </summary>
internal sealed partial class NativeConnection : TransportConnection, IEventHandler
{
    private readonly EventLoop _loop;
    private readonly ILogger _logger;
    private readonly int _fd;

    // From the socket to the application (the loop writes, counting the transport's read budget), and back.
    private readonly ConnectionPipe _input;
    private readonly ConnectionPipe _output;

    private ulong _token;

    private NativeConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, ILogger logger)
        : base(listenEndPoint, peerAddress)
    {
        _input = new ConnectionPipe(loop.InputOptions, loop.Budget);
        _output = new ConnectionPipe(loop.OutputOptions);
        _fd = fd;
        _loop = loop;
        _logger = logger;
        MemoryPool = loop.MemoryPool;
    }

    public override PipeReader Input => _input;

    public override PipeWriter Output => _output.Writer;

    public override MemoryPool<byte> MemoryPool { get; }

    public override nint Handle => _fd;

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
        int errno = _loop.Register(_fd, this, Interest.Read | Interest.Write, out _token);
        if (errno != 0)
        {
            NativeLog.RegisterFailed(_logger, ConnectionId, NativeErrors.Describe(errno));
            _registered = false;
            Close(NativeErrors.ConnectionError(errno), reset: true);
            return;
        }

        _registered = true;
        Send();
    }

    protected override unsafe EndPoint? QueryLocalEndPoint()
    {
        byte* address = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        lock (this)
        {
            if (_closed || Libc.GetSockName(_fd, address, &length) != 0)
            {
                return null;
            }
        }

        return SockAddr.ToIPEndPoint(new ReadOnlySpan<byte>(address, length));
    }
}
