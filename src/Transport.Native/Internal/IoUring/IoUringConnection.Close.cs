using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal.IoUring;

internal sealed partial class IoUringConnection
{
    // Loop-thread state of the descriptor. A lock on the connection itself only keeps the descriptor from closing
    // under an application thread that asks it for its local address (QueryLocalEndPoint).
    private bool _started;
    private bool _closed;
    private bool _closeInFlight;
    private bool _released;
    private bool _disposeRequested;
    private Exception? _closeError;

    protected override void OnAbort(ConnectionAbortedException reason)
        => _loop.Schedule(static state =>
        {
            var connection = (IoUringConnection)state!;
            connection.Close(connection.AbortReason, reset: true);
        }, this);

    protected override void OnDispose()
    {
        _input.Complete();
        _output.CompleteWriter();
        _loop.Schedule(static state => ((IoUringConnection)state!).OnDisposeOnLoop(), this);
    }

    private void OnDisposeOnLoop()
    {
        _disposeRequested = true;
        if (_sendDone || !_started)
        {
            Close(null, reset: false);
        }

        ReleaseWhenIdle();
    }

    private void OnSendCompleted()
    {
        if (_disposeRequested)
        {
            Close(null, reset: false);
        }

        ReleaseWhenIdle();
    }

    /// <summary>
    /// Closes the socket through the ring (with RST when <paramref name="reset"/>): every operation of the socket is
    /// cancelled and then the descriptor closed, and their completions still arrive; whatever waits for the
    /// application ends now. Loop thread.
    /// </summary>
    private unsafe void Close(Exception? error, bool reset)
    {
        if (_closed)
        {
            return;
        }

        lock (this)
        {
            _closed = true;
            _closeError = error;
            if (reset)
            {
                var linger = new Linger { OnOff = 1, Seconds = 0 };
                Libc.SetSockOpt(_fd, Sys.SOL_SOCKET, Sys.SO_LINGER, &linger, sizeof(Linger));
            }
        }

        if (_started)
        {
            // The cancellation covers the receive: no second one.
            _receiveCancelRequested = true;
            _closeInFlight = true;
            _ring.CancelAllAndClose(_fd, UserData(CancelOperation), UserData(CloseOperation));
        }
        else
        {
            Libc.Close(_fd);
        }

        CompleteReceive(error);
        if (!_sendInFlight && !_sendDone)
        {
            // Sending waits for the application: a cancelled read makes it see the socket closed. A send in flight
            // ends with its (cancelled) completion instead.
            _output.CancelPendingRead();
        }

        FireConnectionClosed();
    }

    /// <summary>
    /// Once the socket is closed and none of its operations can complete any more, gives the loop its slot back and
    /// frees the send memory; completes a disposal once both sides have ended as well.
    /// </summary>
    private void ReleaseWhenIdle()
    {
        if (!_released && _closed && !_closeInFlight && !_receiveArmed && !_sendInFlight)
        {
            _released = true;
            if (_started)
            {
                _loop.Release(_token);
            }

            FreeSendMemory();
        }

        if (_disposeRequested && _released && _sendDone)
        {
            CompleteDisposal();
        }
    }
}
