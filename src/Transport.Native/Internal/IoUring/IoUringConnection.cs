using System.Net;
using Microsoft.Extensions.Logging;

namespace EchoHost.Transport.Native.Internal.IoUring;

/// <summary>
/// One accepted socket of the io_uring engine. All its I/O runs on the thread of its <see cref="EventLoop"/>, as
/// operations on the loop's ring: a multishot receive into the loop's provided buffers, copied into the input pipe
/// (<c>Receive</c>); a send or gather send of what the application flushed (<c>Send</c>); and cancellation and close
/// through the ring (<c>Close</c>). The connection keeps its slot on the loop until the last of its operations has
/// completed, so no completion ever reaches another connection, and the memory a send names outlives it.
/// </summary>
internal sealed partial class IoUringConnection : LoopConnection, ICompletionHandler
{
    // The connection's operations, in the top byte of their user_data.
    private const byte ReceiveOperation = 1;
    private const byte SendOperation = 2;
    private const byte CancelOperation = 3;
    private const byte CloseOperation = 4;

    private readonly IoUringPoller _ring;
    private ulong _token;
    private bool _started;

    private IoUringConnection(int fd, EventLoop loop, EndPoint listenEndPoint, ReadOnlySpan<byte> peerAddress)
        : base(fd, loop, listenEndPoint, peerAddress)
    {
        _ring = (IoUringPoller)loop.Poller;
    }

    protected override bool IsStarted => _started;

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
            case CancelOperation:
                OnCancelled(result);
                break;
            case CloseOperation:
                _closeInFlight = false;
                break;
        }

        TryCompleteDispose();
    }

    private void StartOnLoop()
    {
        _token = Loop.Register(this);
        _started = true;
        ArmReceive();
        Send();
    }

    private ulong UserData(byte operation) => IoUringPoller.UserData(_token, operation);
}
