using Microsoft.AspNetCore.Connections;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private readonly CancellationTokenSource _closedSource = new();
    private CancellationToken? _connectionClosedOverride;
    private int _closedFired;
    private ConnectionAbortedException? _abortReason;
    private TaskCompletionSource? _disposed;

    // Loop-thread state of the descriptor. A lock on the connection itself (an object of its own would cost each
    // connection 40 bytes) only keeps the descriptor from closing under an application thread that asks it for its
    // local address (ResolveLocalEndPoint).
    private bool _registered;
    private bool _closed;
    private bool _disposeRequested;
    private Exception? _closeError;

    /// <summary>Fires on the thread pool once the input has ended (the peer's FIN, an error) or the socket is closed.</summary>
    public override CancellationToken ConnectionClosed
    {
        get => _connectionClosedOverride ?? _closedSource.Token;
        set => _connectionClosedOverride = value;
    }

    /// <summary>Closes the socket at once with a reset (RST); the application's reads end with <paramref name="abortReason"/>.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, abortReason ?? new ConnectionAbortedException(), null) is null)
        {
            _loop.Schedule(static state =>
            {
                var connection = (NativeConnection)state!;
                connection.Close(connection._abortReason, reset: true);
            }, this);
        }
    }

#pragma warning disable CA2215 // ConnectionContext.DisposeAsync does nothing
    /// <summary>
    /// Ends the application's side of both pipes, lets what is left be sent (then FIN), closes the socket, and
    /// completes once nothing runs for the connection any more.
    /// </summary>
    public override ValueTask DisposeAsync()
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _disposed, disposed, null) is { } existing)
        {
            return new ValueTask(existing.Task);
        }

        _input.Complete();
        _output.CompleteWriter();
        _loop.Schedule(static state => ((NativeConnection)state!).OnDispose(), this);
        return new ValueTask(disposed.Task);
    }
#pragma warning restore CA2215

    private void OnDispose()
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

    private void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closedSource, preferLocal: false);
        }
    }

    private void TryCompleteDispose()
    {
        if (_disposeRequested && _closed && _sendDone)
        {
            _disposed!.TrySetResult();
        }
    }
}
