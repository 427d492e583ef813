using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal.Iocp;

internal sealed partial class IocpConnection
{
    // Under _gate: the socket's state and the calls the kernel holds.
    private bool _closed;
    private bool _receivePending;
    private bool _sendPending;
    private bool _receiveDone;
    private bool _sendDone;
    private bool _disposeRequested;
    private bool _released;
    private Exception? _closeError;

    private bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    protected override void OnAbort(ConnectionAbortedException reason) => Close(reason, reset: true);

    protected override void OnDispose()
    {
        _input.Reader.Complete();
        _output.Writer.Complete();
        bool sendDone;
        lock (_gate)
        {
            _disposeRequested = true;
            sendDone = _sendDone;
        }

        if (sendDone)
        {
            Close(null, reset: false);
        }

        ReleaseWhenIdle();
    }

    /// <summary>
    /// Closes the socket (with RST when <paramref name="reset"/>): cancels the calls it has outstanding, whose
    /// completions still arrive, and wakes whichever side waits for the application, so each side ends on its own
    /// thread. Any thread.
    /// </summary>
    private unsafe void Close(Exception? error, bool reset)
    {
        bool receiveDone;
        bool sendDone;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _closeError = error;
            if (reset)
            {
                var linger = new WinLinger { OnOff = 1, Seconds = 0 };
                WinSock.SetSockOpt(_socket, WinSockConstants.SOL_SOCKET, WinSockConstants.SO_LINGER, &linger, sizeof(WinLinger));
            }

            // Cancelled calls complete with an error, through the port, after this returns.
            Kernel32.CancelIoEx(_socket, null);
            WinSock.CloseSocket(_socket);
            receiveDone = _receiveDone;
            sendDone = _sendDone;
        }

        if (!receiveDone)
        {
            // A receive that waits for the application's reading to resume ends now.
            _input.Writer.CancelPendingFlush();
        }

        if (!sendDone)
        {
            // A send that waits for the application's next flush sees the socket closed.
            _output.Reader.CancelPendingRead();
        }

        FireConnectionClosed();
        ReleaseWhenIdle();
    }

    private void CompleteReceive(Exception? error)
    {
        lock (_gate)
        {
            if (_receiveDone)
            {
                return;
            }

            _receiveDone = true;
        }

        _input.Writer.Complete(error);

        // As in Kestrel's Sockets transport: the end of the input is the connection closing for the application,
        // though its output stays writable (half-close).
        FireConnectionClosed();
    }

    /// <summary>Ends the sending side; a disposal that waited for it closes the socket.</summary>
    private void CompleteSend(Exception? error)
    {
        bool disposeRequested;
        lock (_gate)
        {
            if (_sendDone)
            {
                return;
            }

            _sendDone = true;
            disposeRequested = _disposeRequested;
        }

        _output.Reader.Complete(error);
        if (disposeRequested)
        {
            Close(null, reset: false);
        }
    }

    /// <summary>
    /// Frees the operations' memory once the socket is closed and the kernel has completed every call (no new call
    /// can start on a closed socket); completes a disposal once both sides have ended as well.
    /// </summary>
    private void ReleaseWhenIdle()
    {
        bool release;
        bool disposed;
        lock (_gate)
        {
            release = _closed && !_receivePending && !_sendPending && !_released;
            _released |= release;
            disposed = _disposeRequested && _released && _receiveDone && _sendDone;
        }

        if (release)
        {
            _receive.Free();
            _send.Free();
        }

        if (disposed)
        {
            CompleteDisposal();
        }
    }
}
