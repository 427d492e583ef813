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

    private readonly AddressFamily _family;

    public IocpConnection(nint socket, CompletionEngine engine, EndPoint listenEndPoint, AddressFamily family, ReadOnlySpan<byte> peerAddress)
        : base(listenEndPoint, peerAddress)
    {
        _input = new Pipe(engine.InputOptions);
        _output = new Pipe(engine.OutputOptions);
        _socket = socket;
        _engine = engine;
        _family = family;
        MemoryPool = engine.MemoryPool;
        _receive = new ReceiveOperation(this);
        _send = new SendOperation(this);
        _onFlushed = OnFlushed;
        _onOutputReadable = OnOutputReadable;
    }

    public override PipeReader Input => _input.Reader;

    public override PipeWriter Output => _output.Writer;

    public override MemoryPool<byte> MemoryPool { get; }

    public override nint Handle => _socket;

    /// <summary>Starts receiving (with a zero-byte read: no buffer until data arrives) and sending what the application writes.</summary>
    public void Start()
    {
        Receive(probe: true);
        Send();
    }

    protected override unsafe EndPoint? QueryLocalEndPoint()
    {
        byte* address = stackalloc byte[SockAddr.StorageSize];
        int length = SockAddr.StorageSize;
        lock (_gate)
        {
            if (_closed || WinSock.GetSockName(_socket, address, &length) != 0)
            {
                return null;
            }
        }

        return ToIPEndPoint(new ReadOnlySpan<byte>(address, length));
    }

    protected override EndPoint? ToEndPoint(ReadOnlySpan<byte> address) => ToIPEndPoint(address[..PeerAddressLength]);

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
