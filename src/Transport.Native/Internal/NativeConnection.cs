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

    // Endpoints are made when first asked for: many connections never are, and the objects cost more than the bytes.
    private readonly EndPoint _listenEndPoint;
    private SockAddr.Buffer _peerAddress;
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;
    private bool _localResolved;
    private bool _remoteResolved;

    public NativeConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, MemoryPool<byte> memoryPool, ILogger logger)
    {
        _input = new ConnectionPipe(loop.InputOptions, loop.Budget);
        _output = new ConnectionPipe(loop.OutputOptions);
        _fd = fd;
        _loop = loop;
        _logger = logger;
        _listenEndPoint = listenEndPoint;
        peerAddress[..Math.Min(peerAddress.Length, SockAddr.BufferSize)].CopyTo(_peerAddress);
        MemoryPool = memoryPool;
    }

    public override PipeReader Input => _input;

    public override PipeWriter Output => _output.Writer;

    public override EndPoint? LocalEndPoint
    {
        get
        {
            if (!_localResolved)
            {
                _localEndPoint = ResolveLocalEndPoint();
                _localResolved = true;
            }

            return _localEndPoint;
        }

        set
        {
            _localEndPoint = value;
            _localResolved = true;
        }
    }

    public override EndPoint? RemoteEndPoint
    {
        get
        {
            if (!_remoteResolved)
            {
                _remoteEndPoint = SockAddr.ToIPEndPoint(_peerAddress);
                _remoteResolved = true;
            }

            return _remoteEndPoint;
        }

        set
        {
            _remoteEndPoint = value;
            _remoteResolved = true;
        }
    }

    public override MemoryPool<byte> MemoryPool { get; }

    public override nint Handle => _fd;

    /// <summary>Hands the connection to its loop, which registers it and starts sending what the application writes.</summary>
    public void Start() => _loop.Schedule(static state => ((NativeConnection)state!).StartOnLoop(), this);

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

    /// <summary>
    /// The listener's endpoint, unless it is a wildcard (0.0.0.0, [::]): then the address this connection reached,
    /// asked of the socket while it is open.
    /// </summary>
    private unsafe EndPoint? ResolveLocalEndPoint()
    {
        if (_listenEndPoint is not IPEndPoint { Address: var bound } || !(bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
        {
            return _listenEndPoint;
        }

        byte* address = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        lock (this)
        {
            if (_closed || Libc.GetSockName(_fd, address, &length) != 0)
            {
                return _listenEndPoint;
            }
        }

        return SockAddr.ToIPEndPoint(new ReadOnlySpan<byte>(address, length)) ?? _listenEndPoint;
    }
}
