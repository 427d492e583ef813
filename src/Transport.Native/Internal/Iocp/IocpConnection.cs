using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// One accepted socket of the IOCP engine. It has two overlapped operations, each reused for its direction: a receive
/// (<c>Receive</c>) and a send (<c>Send</c>); each direction has at most one call outstanding, and whichever thread
/// completes it carries on. Closing (<c>Close</c>) cancels what is outstanding and frees the operations' memory after
/// the last completion. The application sees a pair of pipes.
/// </summary>
internal sealed partial class IocpConnection : TransportConnection
{
    private readonly nint _socket;
    private readonly CompletionEngine _engine;

    // This engine keeps System.IO.Pipelines' pipes; the readiness engines have their own (ConnectionPipe).
    private readonly Pipe _input;
    private readonly Pipe _output;

    // Guards the socket's life: calls are made, and the socket closed, only under it.
    private readonly Lock _gate = new();

    // Endpoints are made when first asked for: many connections never are, and the objects cost more than the bytes.
    private readonly EndPoint _listenEndPoint;
    private readonly AddressFamily _family;
    private SockAddr.Buffer _peerAddress;
    private readonly int _peerAddressLength;
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;
    private bool _localResolved;
    private bool _remoteResolved;

    public IocpConnection(nint socket, CompletionEngine engine, EndPoint listenEndPoint, AddressFamily family, ReadOnlySpan<byte> peerAddress)
    {
        _input = new Pipe(engine.InputOptions);
        _output = new Pipe(engine.OutputOptions);
        _socket = socket;
        _engine = engine;
        _listenEndPoint = listenEndPoint;
        _family = family;
        _peerAddressLength = Math.Min(peerAddress.Length, SockAddr.BufferSize);
        peerAddress[.._peerAddressLength].CopyTo(_peerAddress);
        MemoryPool = engine.MemoryPool;
        _receive = new ReceiveOperation(this);
        _send = new SendOperation(this);
        _onFlushed = OnFlushed;
        _onOutputReadable = OnOutputReadable;
    }

    public override PipeReader Input => _input.Reader;

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
                _remoteEndPoint = ToIPEndPoint(_peerAddress[.._peerAddressLength]);
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

    public override nint Handle => _socket;

    /// <summary>Starts receiving (with a zero-byte read: no buffer until data arrives) and sending what the application writes.</summary>
    public void Start()
    {
        Receive(probe: true);
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
        lock (_gate)
        {
            if (_closed || WinSock.GetSockName(_socket, address, &length) != 0)
            {
                return _listenEndPoint;
            }
        }

        return ToIPEndPoint(new ReadOnlySpan<byte>(address, length)) ?? _listenEndPoint;
    }

    /// <summary>The endpoint of a Winsock <c>sockaddr</c>, read by the runtime, which knows this platform's layout.</summary>
    private IPEndPoint? ToIPEndPoint(ReadOnlySpan<byte> address)
    {
        var socketAddress = new SocketAddress(_family, address.Length);
        address.CopyTo(socketAddress.Buffer.Span);
        IPEndPoint template = socketAddress.Family == AddressFamily.InterNetworkV6 ? s_ipv6Template : s_ipv4Template;
        return socketAddress.Family is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? (IPEndPoint)template.Create(socketAddress)
            : null;
    }

    private static readonly IPEndPoint s_ipv4Template = new(IPAddress.Any, 0);
    private static readonly IPEndPoint s_ipv6Template = new(IPAddress.IPv6Any, 0);
}
