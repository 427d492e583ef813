using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal.IoUring;

internal sealed partial class IoUringConnection
{
    private bool _closeInFlight;
    private bool _released;

    /// <summary>
    /// Cancels every operation of the socket and then closes it, through the ring; their completions still arrive.
    /// </summary>
    protected override void CloseDescriptor()
    {
        if (!_started)
        {
            Libc.Close(Fd);
            return;
        }

        // The cancellation covers the receive: no second one.
        _receiveCancelRequested = true;
        _closeInFlight = true;
        _ring.CancelAllAndClose(Fd, UserData(CancelOperation), UserData(CloseOperation));
    }

    protected override void EndSendingOnClose(Exception? error)
    {
        // A send in flight ends with its (cancelled) completion instead.
        if (!_sendInFlight)
        {
            base.EndSendingOnClose(error);
        }
    }

    /// <summary>
    /// Once the socket is closed and none of its operations can complete any more, gives the loop its slot back and
    /// frees the send memory; only then may a disposal complete.
    /// </summary>
    protected override void TryCompleteDispose()
    {
        if (!_released && Closed && !_closeInFlight && !_receiveArmed && !_sendInFlight)
        {
            _released = true;
            if (_started)
            {
                Loop.Release(_token);
            }

            FreeSendMemory();
        }

        if (_released)
        {
            base.TryCompleteDispose();
        }
    }
}
