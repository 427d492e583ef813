using Microsoft.AspNetCore.Connections;
using EchoHost.Transport.Native.Interop.Linux;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private readonly CancellationTokenSource _closedSource = new();
    private CancellationToken? _connectionClosedOverride;
    private int _closedFired;
    private ConnectionAbortedException? _abortReason;
    private TaskCompletionSource? _disposed;

    // Loop-thread state of the descriptor.
    private bool _registered;
    private bool _closed;
    private bool _disposeRequested;
    private Exception? _closeError;

    /// <summary>Fires on the thread pool once both directions have ended or the socket is closed.</summary>
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

    /// <summary>
    /// Ends the application's side of both pipes, lets the loop send what is left (then FIN), closes the socket, and
    /// completes once the loop is done with the connection.
    /// </summary>
#pragma warning disable CA2215 // ConnectionContext.DisposeAsync does nothing
    public override ValueTask DisposeAsync()
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _disposed, disposed, null) is { } existing)
        {
            return new ValueTask(existing.Task);
        }

        _input.Reader.Complete();
        _output.Writer.Complete();
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

    /// <summary>Closes the descriptor (with RST when <paramref name="reset"/>) and ends whatever is still running.</summary>
    private unsafe void Close(Exception? error, bool reset)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _closeError = error;
        if (_registered)
        {
            _loop.Unregister(_fd, _token);
        }

        if (reset)
        {
            var linger = new Linger { OnOff = 1, Seconds = 0 };
            Libc.SetSockOpt(_fd, SocketConstants.SOL_SOCKET, SocketConstants.SO_LINGER, &linger, sizeof(Linger));
        }

        Libc.Close(_fd);
        CompleteReceive(error);
        if (!_sendDone)
        {
            if (_readPending)
            {
                // The pending read returns cancelled; Send sees the socket closed and completes the output.
                _output.Reader.CancelPendingRead();
            }
            else
            {
                CompleteSend(error);
            }
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
