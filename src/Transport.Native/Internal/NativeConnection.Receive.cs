using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private Action? _onFlushed;
    private ValueTask<FlushResult> _pendingFlush;

    // Loop-thread state of the receiving side.
    private bool _readable;
    private bool _peerClosing;
    private bool _receivePaused;
    private bool _budgetPaused;
    private bool _receiveDone;

    private void OnReadable(bool peerClosing)
    {
        _readable = true;
        _peerClosing |= peerClosing;
        if (!_receivePaused && !_budgetPaused && !_receiveDone)
        {
            Receive();
        }
    }

    /// <summary>The application has consumed or examined enough for this connection to read again under the transport's budget.</summary>
    public void ResumeAfterBudget() => _loop.Schedule(static state => ((NativeConnection)state!).ResumeReceive(), this);

    private void ResumeReceive()
    {
        _budgetPaused = false;
        if (_readable && !_receivePaused && !_receiveDone)
        {
            Receive();
        }
    }

    /// <summary>
    /// Reads while the socket has data. Memory is taken from the pipe only now that the socket is readable, so an idle
    /// connection holds no buffer. When the application is behind (the pipe is past <c>MaxReadBufferSize</c>), reading
    /// stops until its flush completes: back-pressure reaches the peer through TCP's window. It stops too while the
    /// transport's total is past <c>MaxTotalReadBufferSize</c> and this application is behind (<see cref="BudgetedInput"/>).
    /// </summary>
    private unsafe void Receive()
    {
        PipeWriter writer = _input.Writer;
        while (_readable)
        {
            if (_budgetedInput is { } budgeted && budgeted.ShouldPause())
            {
                _budgetPaused = true;
                _loop.Metrics.ReceivePausedForBudget();
                return;
            }

            Memory<byte> memory = writer.GetMemory();
            nint received;
            fixed (byte* buffer = memory.Span)
            {
                received = Libc.Recv(_fd, buffer, memory.Length, 0);
            }

            if (received > 0)
            {
                // A read that did not fill the buffer emptied the socket, and the edge-triggered poller reports new
                // data; but a FIN or an error that came with this edge is reported only once, so then read to the end.
                _readable = received == memory.Length || _peerClosing;
                _budgetedInput?.OnReceived((int)received);
                writer.Advance((int)received);
                ValueTask<FlushResult> flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    _receivePaused = true;
                    _loop.Metrics.ReceivePaused();
                    _pendingFlush = flush;
                    flush.GetAwaiter().UnsafeOnCompleted(_onFlushed ??= OnFlushed);
                    return;
                }

                if (flush.GetAwaiter().GetResult().IsCompleted)
                {
                    // The application has stopped reading.
                    CompleteReceive(null);
                    return;
                }
            }
            else if (received == 0)
            {
                // The peer's FIN: the input ends, the output stays open (half-close). But a reset that a send met
                // first is reported to that send only, and reads then see an end: the input ends with that error.
                CompleteReceive(_sendError);
                return;
            }
            else
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Sys.EAGAIN)
                {
                    _readable = false;
                }
                else if (errno != Sys.EINTR)
                {
                    Close(NativeErrors.ConnectionError(errno), reset: false);
                    return;
                }
            }
        }
    }

    private void OnFlushed()
    {
        FlushResult result;
        try
        {
            result = _pendingFlush.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            result = default;
            CompleteReceive(ex);
        }

        _pendingFlush = default;
        _receivePaused = false;
        if (_receiveDone)
        {
            return;
        }

        if (result.IsCompleted)
        {
            CompleteReceive(null);
        }
        else if (_readable)
        {
            Receive();
        }
    }

    private void CompleteReceive(Exception? error)
    {
        if (_receiveDone)
        {
            return;
        }

        _receiveDone = true;
        _input.Writer.Complete(error);

        // As in Kestrel's Sockets transport: the end of the input is the connection closing for the application,
        // though its output stays writable (half-close).
        FireConnectionClosed();
    }
}
