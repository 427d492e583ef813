using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using EchoHost.Transport.Native.Internal.IoUring;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Listens on one endpoint. The loop that owns a listening socket accepts as the C servers do: on each readiness, until
/// the kernel's queue is empty, so that a burst of clients never overflows it. Accepted sockets wait in a bounded
/// queue of the listener's until Kestrel asks for them, and an ask that finds one waiting completes at once: no
/// signal, no thread hop per connection. Each accepted socket goes to an event loop: the next one in turn, or with
/// <c>ReusePort</c> the loop that owns the listening socket it arrived on. On the io_uring engine a loop accepts with
/// a multishot accept on its ring instead (<c>NativeConnectionListener.Ring.cs</c>), under the same limits.
/// </summary>
internal sealed partial class NativeConnectionListener : IConnectionListener
{
    /// <summary>
    /// Accepted sockets that may wait for Kestrel; past it the loops stop accepting and clients wait in the kernel's
    /// queue. As many as that queue holds by default (<c>net.core.somaxconn</c>).
    /// </summary>
    internal const int MaxWaiting = 4096;

    private readonly ListenSocket[] _sockets;
    private readonly EventLoopGroup _loops;
    private readonly ILogger _logger;
    private readonly Channel<AcceptedSocket> _accepted = Channel.CreateUnbounded<AcceptedSocket>();
    private readonly Lock _unbindGate = new();
    private readonly string? _unixSocketPath;
    private int _waiting;
    private int _stalled;
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

        NativeLog.Listening(logger, boundEndPoint.ToString() ?? "", sockets.Count, loops.Count, loops.EngineName);
        return listener;
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!_unbound)
        {
            if (_accepted.Reader.TryRead(out AcceptedSocket accepted))
            {
                OnTaken();
                if (_unbound)
                {
                    Libc.Close(accepted.Fd);
                    break;
                }

                return StartConnection(accepted);
            }

            if (!await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        return null;
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Task[] closed;
        lock (_unbindGate)
        {
            if (_unbound)
            {
                return;
            }

            _unbound = true;
            closed = Array.ConvertAll(_sockets, socket => socket.Close());
        }

        // Sockets accepted that Kestrel will not ask for are closed; a loop that accepts one after this closes it itself.
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out AcceptedSocket accepted))
        {
            Libc.Close(accepted.Fd);
        }

        if (_unixSocketPath is not null)
        {
            File.Delete(_unixSocketPath);
        }

        // Once unbound, clients are refused: the loops have closed the listening sockets.
        await Task.WhenAll(closed).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    /// <summary>Queues a socket a loop accepted; false when the listener is unbound (the caller closes it).</summary>
    private bool Offer(in AcceptedSocket accepted)
    {
        Interlocked.Increment(ref _waiting);
        if (_accepted.Writer.TryWrite(accepted))
        {
            return true;
        }

        Interlocked.Decrement(ref _waiting);
        return false;
    }

    /// <summary>
    /// True when the queue has room for one more. When it has none the loop stops accepting, and the next socket
    /// Kestrel takes sets it going again (<see cref="OnTaken"/>).
    /// </summary>
    private bool HasRoom()
    {
        if (Volatile.Read(ref _waiting) < MaxWaiting)
        {
            return true;
        }

        Interlocked.Exchange(ref _stalled, 1);

        // Kestrel may have taken the queue down between the look and the flag, and seen no flag: look again.
        if (Volatile.Read(ref _waiting) < MaxWaiting && Interlocked.Exchange(ref _stalled, 0) == 1)
        {
            return true;
        }

        return false;
    }

    private void OnTaken()
    {
        Interlocked.Decrement(ref _waiting);
        if (Volatile.Read(ref _stalled) == 1 && Interlocked.Exchange(ref _stalled, 0) == 1)
        {
            foreach (ListenSocket socket in _sockets)
            {
                socket.AcceptSoon();
            }
        }
    }

    private TransportConnection StartConnection(in AcceptedSocket accepted)
    {
        EventLoop loop = _sockets.Length > 1 ? accepted.Socket.Loop : _loops.Next();
        SockAddr.Buffer address = accepted.Address;
        return _loops.StartConnection(accepted.Fd, loop, EndPoint, ((ReadOnlySpan<byte>)address)[..accepted.AddressLength], _logger);
    }

    /// <summary>A socket a loop accepted, with the peer's address as accept returned it.</summary>
    private readonly struct AcceptedSocket(int fd, ListenSocket socket, ReadOnlySpan<byte> address)
    {
        public readonly int Fd = fd;
        public readonly ListenSocket Socket = socket;
        public readonly int AddressLength = Math.Min(address.Length, SockAddr.BufferSize);
        public readonly SockAddr.Buffer Address = Copy(address);

        private static SockAddr.Buffer Copy(ReadOnlySpan<byte> address)
        {
            SockAddr.Buffer buffer = default;
            address[..Math.Min(address.Length, SockAddr.BufferSize)].CopyTo(buffer);
            return buffer;
        }
    }

    /// <summary>A listening socket registered with a loop, which accepts from it on that loop's thread.</summary>
    private sealed partial class ListenSocket(NativeConnectionListener listener, Socket socket, EventLoop loop) : IEventHandler
    {
        private const int MinBackoffMilliseconds = 10;
        private const int MaxBackoffMilliseconds = 1000;

        // Loop-thread state.
        private ulong _token;
        private bool _registered;
        private bool _closed;
        private bool _backingOff;
        private bool _lowOnDescriptors;
        private int _backoff = MinBackoffMilliseconds;

        public int Fd { get; } = (int)socket.Handle;

        public EventLoop Loop => loop;

        // Registration and closing both run on the loop, in the order they were asked for.
        public void Register() => loop.Schedule(static state => ((ListenSocket)state!).RegisterOnLoop(), this);

        private readonly TaskCompletionSource _closedOnLoop = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Closes the socket on its loop; the task completes once it is closed.</summary>
        public Task Close()
        {
            loop.Schedule(static state => ((ListenSocket)state!).CloseOnLoop(), this);
            return _closedOnLoop.Task;
        }

        /// <summary>Accepts again on the loop, after the listener's queue was full.</summary>
        public void AcceptSoon() => loop.Schedule(static state => ((ListenSocket)state!).AcceptAll(), this);

        public void OnReady(Readiness readiness) => AcceptAll();

        private void RegisterOnLoop()
        {
            if (loop.Poller is IoUringPoller ring)
            {
                RegisterOnRing(ring);
                return;
            }

            int errno = loop.Register(Fd, this, Interest.Read, out _token);
            _registered = errno == 0;
            if (!_registered)
            {
                NativeLog.AcceptFailed(listener._logger, listener.EndPoint.ToString() ?? "", NativeErrors.Describe(errno));
            }

            // Connections may have queued before the registration.
            AcceptAll();
        }

        private void CloseOnLoop()
        {
            if (_ring is not null)
            {
                CloseOnRing();
                return;
            }

            // The registration goes before the descriptor closes, so that no event can name a reused number.
            if (_registered)
            {
                loop.Unregister(Fd, _token);
                _registered = false;
            }

            _closed = true;
            socket.Dispose();
            _closedOnLoop.TrySetResult();
        }

        /// <summary>
        /// Accepts until the kernel's queue is empty (the edge-triggered poller reports only new arrivals), the
        /// listener's queue is full, or the process is short of descriptors.
        /// </summary>
        private unsafe void AcceptAll()
        {
            if (_closed || _backingOff)
            {
                return;
            }

            if (_ring is not null)
            {
                ArmAccept();
                return;
            }

            byte* address = stackalloc byte[SockAddr.StorageSize];
            ulong limit = DescriptorHeadroom.CurrentLimit();
            while (listener.HasRoom())
            {
                if (_lowOnDescriptors && !DescriptorHeadroom.IsAvailable(Fd))
                {
                    BackOff(0);
                    return;
                }

                int addressLength = SockAddr.StorageSize;
                int fd = Accept(Fd, address, &addressLength);
                if (fd >= 0)
                {
                    if (!OnAccepted(fd, new ReadOnlySpan<byte>(address, addressLength), limit))
                    {
                        return;
                    }

                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Sys.EAGAIN || !OnAcceptFailed(errno))
                {
                    return;
                }
            }
        }

        /// <summary>Queues an accepted socket for Kestrel; false when the listener is unbound (the socket is closed).</summary>
        private bool OnAccepted(int fd, ReadOnlySpan<byte> address, ulong limit)
        {
            // This one is served; the next waits until the process has descriptors to spare again.
            _lowOnDescriptors = DescriptorHeadroom.IsWithin(fd, limit);
            _backoff = MinBackoffMilliseconds;
            if (!listener.Offer(new AcceptedSocket(fd, this, address)))
            {
                Libc.Close(fd);
                return false;
            }

            return true;
        }

        /// <summary>
        /// What an accept that failed with <paramref name="errno"/> means: true when the next may succeed at once;
        /// false when accepting stops (backing off, or for good on a socket that cannot accept).
        /// </summary>
        private bool OnAcceptFailed(int errno)
        {
            if (errno == Sys.EINTR || errno == Sys.ECONNABORTED || errno == Sys.EPROTO || errno == Sys.EPERM)
            {
                // A connection that died before it was accepted: the next may be fine.
                return true;
            }

            if (!NativeErrors.IsOutOfDescriptors(errno))
            {
                NativeLog.AcceptFailed(listener._logger, listener.EndPoint.ToString() ?? "", NativeErrors.Describe(errno));
                if (errno == Sys.EBADF || errno == Sys.EINVAL || errno == Sys.ENOTSOCK)
                {
                    return false;
                }
            }

            BackOff(errno);
            return false;
        }

        /// <summary>
        /// Stops accepting for a while: the pending connections stay in the kernel's queue, and retrying at once would
        /// spin a core. The loop itself resumes (a timer would need a thread, which may not start without
        /// descriptors), and connections arriving meanwhile do not cut the wait short. errno 0: the headroom.
        /// </summary>
        private void BackOff(int errno)
        {
            if (errno == 0 || NativeErrors.IsOutOfDescriptors(errno))
            {
                _lowOnDescriptors = true;
            }

            string reason = errno == 0 ? $"within {DescriptorHeadroom.Size} descriptors of the process's limit" : NativeErrors.Describe(errno);
            NativeLog.AcceptOutOfResources(listener._logger, listener.EndPoint.ToString() ?? "", reason, _backoff);
            loop.Metrics.AcceptFailed(errno);
            _backingOff = true;
            CancelAccept();
            loop.ScheduleAfter(_backoff, static state =>
            {
                var socket = (ListenSocket)state!;
                socket._backingOff = false;
                socket.AcceptAll();
            }, this);
            _backoff = Math.Min(_backoff * 2, MaxBackoffMilliseconds);
        }

        /// <summary>Accepts a non-blocking, close-on-exec socket, or returns -1 with errno.</summary>
        private static unsafe int Accept(int listenFd, byte* address, int* addressLength)
        {
            if (Sys.HasAccept4)
            {
                return Libc.Accept4(listenFd, address, addressLength, Sys.AcceptFlags);
            }

            // macOS: the accepted socket inherits O_NONBLOCK from the listening one (BSD semantics); close-on-exec is
            // set after, and SIGPIPE is turned off per socket since sends cannot ask it per call.
            int fd = Libc.Accept(listenFd, address, addressLength);
            if (fd >= 0)
            {
                Libc.IoCtl(fd, Sys.FIOCLEX);
                int on = 1;
                Libc.SetSockOpt(fd, Sys.SOL_SOCKET, Sys.SO_NOSIGPIPE, &on, sizeof(int));
            }

            return fd;
        }
    }
}
