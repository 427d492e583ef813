using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal.IoUring;

/// <summary>
/// One accepted socket of the io_uring engine. All its I/O runs on the thread of its <see cref="EventLoop"/>, as
/// operations on the loop's ring: a multishot receive into the loop's provided buffers, copied into the input pipe
/// (<c>Receive</c>); a send or gather send of what the application flushed (<c>Send</c>); and cancellation and close
/// through the ring (<c>Close</c>). The connection keeps its slot on the loop until the last of its operations has
/// completed, so no completion ever reaches another connection, and the memory a send names outlives it.
/// </summary>
internal sealed partial class IoUringConnection : TransportConnection, ICompletionHandler
{
    // The connection's operations, in the top byte of their user_data.
    private const byte ReceiveOperation = 1;
    private const byte SendOperation = 2;
    private const byte CancelOperation = 3;
    private const byte CloseOperation = 4;

    private readonly EventLoop _loop;
    private readonly IoUringPoller _ring;
    private readonly int _fd;

    // From the socket to the application (the loop writes, counting the transport's read budget), and back.
    private readonly ConnectionPipe _input;
    private readonly ConnectionPipe _output;

    private ulong _token;

    private IoUringConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress)
        : base(listenEndPoint, peerAddress)
    {
        _input = new ConnectionPipe(loop.InputOptions, loop.Budget);
        _output = new ConnectionPipe(loop.OutputOptions);
        _fd = fd;
        _loop = loop;
        _ring = (IoUringPoller)loop.Poller;
        MemoryPool = loop.MemoryPool;
    }

    public override PipeReader Input => _input;

    public override PipeWriter Output => _output.Writer;

    public override MemoryPool<byte> MemoryPool { get; }

    public override nint Handle => _fd;

    /// <summary>
    /// Makes the connection of an accepted socket and hands it to its loop, which starts receiving and sending what
    /// the application writes.
    /// </summary>
    public static TransportConnection Start(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress, ILogger logger)
    {
        var connection = new IoUringConnection(fd, loop, listenEndPoint, peerAddress);
        loop.Schedule(static state => ((IoUringConnection)state!).StartOnLoop(), connection);
        return connection;
    }

    public void OnReady(Readiness readiness)
    {
        // Nothing of this connection is registered for readiness: its operations complete instead.
    }

    public void OnCompleted(byte operation, int result, uint flags)
    {
        switch (operation)
        {
            case ReceiveOperation:
                OnReceived(result, flags);
                break;
            case SendOperation:
                OnSent(result);
                break;
            case CloseOperation:
                _closeInFlight = false;
                break;
        }

        ReleaseWhenIdle();
    }

    private void StartOnLoop()
    {
        _token = _loop.Register(this);
        _started = true;
        ArmReceive();
        Send();
    }

    private ulong UserData(byte operation) => IoUringPoller.UserData(_token, operation);

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
