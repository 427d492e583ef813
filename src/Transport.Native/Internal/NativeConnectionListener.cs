using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Listens on one endpoint and accepts when Kestrel asks. The kernel's accept queue (its length is the backlog) is the
/// only queue: nothing is accepted that Kestrel has not asked for, and a wait for a connection is cancellable. Each
/// accepted socket goes to an event loop: the next one in turn, or with <c>ReusePort</c> the loop that owns the
/// listening socket it arrived on.
/// </summary>
internal sealed class NativeConnectionListener : IConnectionListener
{
    private const int MinBackoffMilliseconds = 10;
    private const int MaxBackoffMilliseconds = 1000;

    private readonly ListenSocket[] _sockets;
    private readonly EventLoopGroup _loops;
    private readonly ILogger _logger;
    private readonly ReadinessSignal _readable = new();
    private readonly Lock _acceptGate = new();
    private readonly string? _unixSocketPath;
    private bool _backingOff;
    private bool _lowOnDescriptors;
    private int _next;
    private volatile bool _unbound;

    private NativeConnectionListener(EndPoint endPoint, ListenSocket[] sockets, EventLoopGroup loops, ILogger logger, string? unixSocketPath)
    {
        EndPoint = endPoint;
        _sockets = sockets;
        _loops = loops;
        _logger = logger;
        _unixSocketPath = unixSocketPath;
    }

    public EndPoint EndPoint { get; }

    public static NativeConnectionListener Bind(EndPoint endPoint, EventLoopGroup loops, NativeTransportOptions options, ILogger logger)
    {
        List<Socket> sockets = ListenSockets.Open(endPoint, options, loops.Count, out EndPoint boundEndPoint, out string? unixSocketPath);
        var listenSockets = new ListenSocket[sockets.Count];
        var listener = new NativeConnectionListener(boundEndPoint, listenSockets, loops, logger, unixSocketPath);
        for (int i = 0; i < sockets.Count; i++)
        {
            listenSockets[i] = new ListenSocket(listener, sockets[i], loops[i % loops.Count]);
            listenSockets[i].Register();
        }

        NativeLog.Listening(logger, boundEndPoint.ToString() ?? "", sockets.Count, loops.Count, PollerFactory.NameOf(options.Engine) ?? "none");
        return listener;
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        int backoff = MinBackoffMilliseconds;
        while (!_unbound)
        {
            _readable.Reset();
            int errno = 0;
            NativeConnection? connection = null;
            AcceptResult result = _lowOnDescriptors && !DescriptorHeadroom.IsAvailable(_sockets[0].Fd)
                ? AcceptResult.OutOfResources
                : TryAccept(out connection, out errno);
            switch (result)
            {
                case AcceptResult.Accepted:
                    // This one is served; the next waits until the process has descriptors to spare again.
                    _lowOnDescriptors = DescriptorHeadroom.IsWithin((int)connection!.Handle);
                    connection.Start();
                    return connection;
                case AcceptResult.Empty:
                    await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
                    backoff = MinBackoffMilliseconds;
                    break;
                case AcceptResult.OutOfResources:
                    _lowOnDescriptors = true;
                    string reason = errno == 0 ? $"within {DescriptorHeadroom.Size} descriptors of the process's limit" : NativeErrors.Describe(errno);
                    NativeLog.AcceptOutOfResources(_logger, EndPoint.ToString() ?? "", reason, backoff);
                    _sockets[0].Loop.Metrics.AcceptFailed(errno);

                    // The pending connections stay in the kernel's queue; retrying at once would spin a core. The
                    // loop wakes the acceptor later (a timer would need a thread, which may not start without
                    // descriptors), and connections arriving meanwhile do not cut the wait short.
                    Volatile.Write(ref _backingOff, true);
                    _sockets[0].Loop.ScheduleAfter(backoff, static listener => ((NativeConnectionListener)listener!).OnBackoffElapsed(), this);
                    await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
                    backoff = Math.Min(backoff * 2, MaxBackoffMilliseconds);
                    break;
                case AcceptResult.Closed:
                    return null;
            }
        }

        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        lock (_acceptGate)
        {
            if (_unbound)
            {
                return ValueTask.CompletedTask;
            }

            _unbound = true;
            foreach (ListenSocket socket in _sockets)
            {
                socket.Close();
            }
        }

        if (_unixSocketPath is not null)
        {
            File.Delete(_unixSocketPath);
        }

        _readable.Set();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    private void OnBackoffElapsed()
    {
        Volatile.Write(ref _backingOff, false);
        _readable.Set();
    }

    private void OnReadable()
    {
        if (Volatile.Read(ref _backingOff))
        {
            return;
        }

        _readable.Set();
    }

    private unsafe AcceptResult TryAccept(out NativeConnection? connection, out int errno)
    {
        connection = null;
        errno = 0;
        byte* address = stackalloc byte[SockAddr.StorageSize];
        lock (_acceptGate)
        {
            if (_unbound)
            {
                return AcceptResult.Closed;
            }

            for (int attempt = 0; attempt < _sockets.Length; attempt++)
            {
                ListenSocket listenSocket = _sockets[(int)((uint)_next++ % (uint)_sockets.Length)];
                int addressLength = SockAddr.StorageSize;
                int fd = Accept(listenSocket.Fd, address, &addressLength);
                if (fd >= 0)
                {
                    connection = CreateConnection(fd, listenSocket, new ReadOnlySpan<byte>(address, addressLength));
                    return AcceptResult.Accepted;
                }

                errno = Marshal.GetLastPInvokeError();
                if (errno == Sys.EAGAIN || errno == Sys.EINTR || errno == Sys.ECONNABORTED || errno == Sys.EPROTO || errno == Sys.EPERM)
                {
                    // Nothing queued here, or a connection that died before it was accepted: try the next socket.
                    continue;
                }

                if (NativeErrors.IsOutOfDescriptors(errno))
                {
                    return AcceptResult.OutOfResources;
                }

                NativeLog.AcceptFailed(_logger, EndPoint.ToString() ?? "", NativeErrors.Describe(errno));
                return errno == Sys.EBADF || errno == Sys.EINVAL || errno == Sys.ENOTSOCK ? AcceptResult.Closed : AcceptResult.OutOfResources;
            }
        }

        return AcceptResult.Empty;
    }

    /// <summary>Accepts a non-blocking, close-on-exec socket, or returns -1 with errno.</summary>
    private static unsafe int Accept(int listenFd, byte* address, int* addressLength)
    {
        if (Sys.HasAccept4)
        {
            return Libc.Accept4(listenFd, address, addressLength, Sys.AcceptFlags);
        }

        // macOS: the accepted socket inherits O_NONBLOCK from the listening one (BSD semantics); close-on-exec is set
        // after, and SIGPIPE is turned off per socket since sends cannot ask it per call.
        int fd = Libc.Accept(listenFd, address, addressLength);
        if (fd >= 0)
        {
            Libc.IoCtl(fd, Sys.FIOCLEX);
            int on = 1;
            Libc.SetSockOpt(fd, Sys.SOL_SOCKET, Sys.SO_NOSIGPIPE, &on, sizeof(int));
        }

        return fd;
    }

    private NativeConnection CreateConnection(int fd, ListenSocket listenSocket, ReadOnlySpan<byte> peerAddress)
    {
        EventLoop loop = _sockets.Length > 1 ? listenSocket.Loop : _loops.Next();
        return new NativeConnection(fd, loop, EndPoint, peerAddress, _loops.MemoryPool, _logger);
    }

    private enum AcceptResult
    {
        Accepted,
        Empty,
        OutOfResources,
        Closed,
    }

    /// <summary>A listening socket registered with a loop, which only tells the listener that connections wait.</summary>
    private sealed class ListenSocket(NativeConnectionListener listener, Socket socket, EventLoop loop) : IEventHandler
    {
        private ulong _token;
        private bool _registered;

        public int Fd { get; } = (int)socket.Handle;

        public EventLoop Loop => loop;

        // Registration and closing both run on the loop, in the order they were asked for.
        public void Register() => loop.Schedule(static state => ((ListenSocket)state!).RegisterOnLoop(), this);

        public void Close() => loop.Schedule(static state => ((ListenSocket)state!).CloseOnLoop(), this);

        public void OnReady(Readiness readiness) => listener.OnReadable();

        private void RegisterOnLoop()
        {
            int errno = loop.Register(Fd, this, Interest.Read, out _token);
            _registered = errno == 0;
            if (!_registered)
            {
                NativeLog.AcceptFailed(listener._logger, listener.EndPoint.ToString() ?? "", NativeErrors.Describe(errno));
            }

            // Connections may have queued before the registration: let the acceptor look.
            listener.OnReadable();
        }

        private void CloseOnLoop()
        {
            // The registration goes before the descriptor closes, so that no event can name a reused number.
            if (_registered)
            {
                loop.Unregister(Fd, _token);
                _registered = false;
            }

            socket.Dispose();
        }
    }
}
