using Microsoft.AspNetCore.Connections;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    // Loop-thread state of the descriptor. A lock on the connection itself (an object of its own would cost each
    // connection 40 bytes) only keeps the descriptor from closing under an application thread that asks it for its
    // local address (ResolveLocalEndPoint).
    private bool _registered;
    private bool _closed;
    private bool _disposeRequested;
    private Exception? _closeError;

    protected override void OnAbort(ConnectionAbortedException reason)
        => _loop.Schedule(static state =>
        {
            var connection = (NativeConnection)state!;
            connection.Close(connection.AbortReason, reset: true);
        }, this);

    protected override void OnDispose()
    {
        _input.Complete();
        _output.CompleteWriter();
        _loop.Schedule(static state => ((NativeConnection)state!).OnDisposeOnLoop(), this);
    }

    private void OnDisposeOnLoop()
    {
        _disposeRequested = true;
        if (_sendDone || !_registered)
        {
            Close(null, reset: false);
        }

        TryCompleteDispose();
    }

    private void OnSendCompleted()
    {
        if (_disposeRequested)
        {
            Close(null, reset: false);
        }

        TryCompleteDispose();
    }

    /// <summary>Closes the descriptor (with RST when <paramref name="reset"/>) and ends whatever still waits. Loop thread.</summary>
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
            if (_registered)
            {
                _loop.Unregister(_fd, _token);
            }

            if (reset)
            {
                var linger = new Linger { OnOff = 1, Seconds = 0 };
                Libc.SetSockOpt(_fd, Sys.SOL_SOCKET, Sys.SO_LINGER, &linger, sizeof(Linger));
            }

            Libc.Close(_fd);
        }

        CompleteReceive(error);
        if (_waitingWritable)
        {
            CompleteSend(error);
        }
        else if (!_sendDone)
        {
            // Sending waits for the application or is running: a cancelled read makes it see the socket closed.
            _output.CancelPendingRead();
        }

        FireConnectionClosed();
        TryCompleteDispose();
    }

    private void TryCompleteDispose()
    {
        if (_disposeRequested && _closed && _sendDone)
        {
            CompleteDisposal();
        }
    }
}
