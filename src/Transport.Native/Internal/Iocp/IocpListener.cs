using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// Listens on one TCP endpoint with a bounded number of <c>AcceptEx</c> calls outstanding on the completion port.
/// A completed accept waits in a queue until Kestrel asks for a connection; only then is its operation issued again,
/// so at most <see cref="OutstandingAccepts"/> connections are accepted ahead of Kestrel, and the rest wait in the
/// kernel's backlog. A wait for a connection is cancellable; after unbind it returns null.
/// </summary>
internal sealed class IocpListener : IConnectionListener
{
    /// <summary>Accepts kept outstanding (or accepted and waiting for Kestrel).</summary>
    public const int OutstandingAccepts = 16;

    private readonly Socket _socket;
    private readonly nint _listenSocket;
    private readonly CompletionEngine _engine;
    private readonly ILogger _logger;
    private readonly unsafe delegate* unmanaged<nint, nint, void*, uint, uint, uint, uint*, NativeOverlapped*, int> _acceptEx;
    private readonly ConcurrentQueue<AcceptOperation> _accepted = new();
    private readonly ReadinessSignal _acceptedSignal = new();

    // Operations are issued, and the listening socket closed, under the gate.
    private readonly Lock _gate = new();
    private bool _unbound;

    private unsafe IocpListener(EndPoint endPoint, Socket socket, CompletionEngine engine, ILogger logger, delegate* unmanaged<nint, nint, void*, uint, uint, uint, uint*, NativeOverlapped*, int> acceptEx)
    {
        EndPoint = endPoint;
        _socket = socket;
        _listenSocket = socket.Handle;
        _engine = engine;
        _logger = logger;
        _acceptEx = acceptEx;
    }

    public EndPoint EndPoint { get; }

    public static unsafe IocpListener Bind(EndPoint endPoint, CompletionEngine engine, NativeTransportOptions options, ILogger logger)
    {
        if (endPoint is not IPEndPoint)
        {
            throw new NotSupportedException($"The native transport's IOCP engine listens on TCP endpoints only, not on {endPoint.GetType().Name}.");
        }

        // One socket: SO_REUSEPORT has no Windows equivalent, and the completion port spreads the work anyway.
        Socket socket = ListenSockets.Open(endPoint, options, loopCount: 1, out EndPoint boundEndPoint, out _)[0];
        try
        {
            int error = engine.Associate(socket.Handle);
            if (error != 0)
            {
                throw IocpErrors.Exception("CreateIoCompletionPort", error);
            }

            var listener = new IocpListener(boundEndPoint, socket, engine, logger, LoadAcceptEx(socket.Handle));
            for (int i = 0; i < OutstandingAccepts; i++)
            {
                listener.Issue(new AcceptOperation(listener));
            }

            NativeLog.Listening(logger, boundEndPoint.ToString() ?? "", 1, engine.ThreadCount, engine.EngineName);
            return listener;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!Volatile.Read(ref _unbound))
        {
            _acceptedSignal.Reset();
            if (_accepted.TryDequeue(out AcceptOperation? operation))
            {
                nint socket = operation.Socket;
                operation.Socket = WinSockConstants.InvalidSocket;
                Issue(operation);
                if (TryCreateConnection(socket) is { } connection)
                {
                    return connection;
                }

                continue;
            }

            await _acceptedSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_unbound)
            {
                return ValueTask.CompletedTask;
            }

            _unbound = true;

            // Outstanding accepts complete, cancelled, once the listening socket is closed; they free themselves.
            _socket.Dispose();
        }

        // Connections accepted that Kestrel never asked for are reset.
        while (_accepted.TryDequeue(out AcceptOperation? operation))
        {
            CloseAcceptSocket(operation, reset: true);
            operation.Free();
        }

        _acceptedSignal.Set();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    /// <summary>Issues <paramref name="operation"/> with a new socket, or frees it when the listener is gone.</summary>
    private unsafe void Issue(AcceptOperation operation)
    {
        int error;
        lock (_gate)
        {
            if (_unbound)
            {
                operation.Free();
                return;
            }

            operation.Socket = WinSock.WSASocket((int)_socket.AddressFamily, WinSockConstants.SOCK_STREAM, WinSockConstants.IPPROTO_TCP, 0, 0,
                WinSockConstants.WSA_FLAG_OVERLAPPED | WinSockConstants.WSA_FLAG_NO_HANDLE_INHERIT);
            if (operation.Socket == WinSockConstants.InvalidSocket)
            {
                error = Marshal.GetLastPInvokeError();
            }
            else
            {
                error = operation.Issue(_acceptEx, _listenSocket);
                if (_engine.CompletesLater(error))
                {
                    return;
                }
            }
        }

        OnAcceptCompleted(operation, error);
    }

    /// <summary>Queues an accepted connection for Kestrel, or issues the operation again after a failure.</summary>
    internal void OnAcceptCompleted(AcceptOperation operation, int error)
    {
        if (error == 0)
        {
            _accepted.Enqueue(operation);
            _acceptedSignal.Set();
            lock (_gate)
            {
                if (!_unbound)
                {
                    return;
                }
            }

            // Unbound meanwhile, perhaps after its queue was emptied.
            if (_accepted.TryDequeue(out AcceptOperation? late))
            {
                CloseAcceptSocket(late, reset: true);
                late.Free();
            }

            return;
        }

        CloseAcceptSocket(operation, reset: false);
        if (Volatile.Read(ref _unbound))
        {
            operation.Free();
            return;
        }

        // A client that reset before it was accepted: accept again at once. A socket that could not be made: again
        // after a pause, in case the shortage lasts.
        NativeLog.AcceptedConnectionFailed(_logger, EndPoint.ToString() ?? "", ((SocketError)error).ToString());
        _engine.Metrics.AcceptFailed(((SocketError)error).ToString());
        _ = Task.Delay(error == (int)SocketError.ConnectionReset ? 0 : 100).ContinueWith(
            static (_, state) =>
            {
                var (listener, operation) = ((IocpListener, AcceptOperation))state!;
                listener.Issue(operation);
            }, (this, operation), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Makes the accepted socket a connection; null when it cannot be set up (it is closed then).</summary>
    private unsafe IocpConnection? TryCreateConnection(nint socket)
    {
        nint listenSocket = _listenSocket;
        byte* peer = stackalloc byte[SockAddr.StorageSize];
        int peerLength = SockAddr.StorageSize;

        // SO_UPDATE_ACCEPT_CONTEXT gives the socket its listener's properties, without which getpeername,
        // getsockname and shutdown fail on it.
        int error = WinSock.SetSockOpt(socket, WinSockConstants.SOL_SOCKET, WinSockConstants.SO_UPDATE_ACCEPT_CONTEXT, &listenSocket, sizeof(nint)) != 0
            || WinSock.GetPeerName(socket, peer, &peerLength) != 0
                ? Marshal.GetLastPInvokeError()
                : _engine.Associate(socket);
        if (error != 0)
        {
            NativeLog.AcceptedConnectionFailed(_logger, EndPoint.ToString() ?? "", ((SocketError)error).ToString());
            WinSock.CloseSocket(socket);
            return null;
        }

        if (_engine.NoDelay)
        {
            int on = 1;
            WinSock.SetSockOpt(socket, WinSockConstants.IPPROTO_TCP, WinSockConstants.TCP_NODELAY, &on, sizeof(int));
        }

        var connection = new IocpConnection(socket, _engine, EndPoint, _socket.AddressFamily, new ReadOnlySpan<byte>(peer, peerLength));
        connection.Start();
        return connection;
    }

    private static unsafe void CloseAcceptSocket(AcceptOperation operation, bool reset)
    {
        if (operation.Socket == WinSockConstants.InvalidSocket)
        {
            return;
        }

        if (reset)
        {
            var linger = new WinLinger { OnOff = 1, Seconds = 0 };
            WinSock.SetSockOpt(operation.Socket, WinSockConstants.SOL_SOCKET, WinSockConstants.SO_LINGER, &linger, sizeof(WinLinger));
        }

        WinSock.CloseSocket(operation.Socket);
        operation.Socket = WinSockConstants.InvalidSocket;
    }

    /// <summary>AcceptEx is an extension of Microsoft's provider, found through <c>WSAIoctl</c>, not exported.</summary>
    private static unsafe delegate* unmanaged<nint, nint, void*, uint, uint, uint, uint*, NativeOverlapped*, int> LoadAcceptEx(nint socket)
    {
        Guid id = WinSockConstants.AcceptExId;
        void* function = null;
        uint returned;
        if (WinSock.WSAIoctl(socket, WinSockConstants.SIO_GET_EXTENSION_FUNCTION_POINTER, &id, (uint)sizeof(Guid), &function, (uint)sizeof(void*), &returned, null, 0) != 0)
        {
            throw IocpErrors.Exception("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, AcceptEx)", Marshal.GetLastPInvokeError());
        }

        return (delegate* unmanaged<nint, nint, void*, uint, uint, uint, uint*, NativeOverlapped*, int>)function;
    }
}
