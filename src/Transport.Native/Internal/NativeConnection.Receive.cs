using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private static readonly Action<object?> s_onFlushed = static state => ((NativeConnection)state!).OnFlushed();

    // Loop-thread state of the receiving side.
    private bool _readable;
    private bool _peerClosing;
    private bool _receivePaused;
    private bool _receiveDone;

    private void OnReadable(bool peerClosing)
    {
        _readable = true;
        _peerClosing |= peerClosing;
        if (!_receivePaused && !_receiveDone)
        {
            Receive();
        }
    }

    /// <summary>
    /// Reads while the socket has data. Memory is taken from the pipe only now that the socket is readable, so an idle
    /// connection holds no buffer. When the application is behind (the pipe is past <c>MaxReadBufferSize</c>), reading
    /// stops until its flush completes: back-pressure reaches the peer through TCP's window. It stops too while the
    /// transport's total is past <c>MaxTotalReadBufferSize</c> and this application is behind
    /// (<see cref="ConnectionPipe.WaitForBudget"/>); both waits end the same way.
    /// </summary>
    private unsafe void Receive()
    {
        while (_readable)
        {
            ValueTask<FlushResult> budget = _input.WaitForBudget();
            if (!budget.IsCompleted)
            {
                _loop.Metrics.ReceivePausedForBudget();
                WaitForApplication();
                return;
            }

            Memory<byte> memory = _input.GetMemory();
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
                _input.Advance((int)received);
                ValueTask<FlushResult> flush = _input.FlushAsync();
                if (!flush.IsCompleted)
                {
                    _loop.Metrics.ReceivePaused();
                    WaitForApplication();
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
                    // Nothing to read after all: the block goes back, as an idle connection holds none.
                    _input.ReturnUnusedMemory();
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

    /// <summary>Stops reading until the application has caught up: the input's pending flush completes, on the loop.</summary>
    private void WaitForApplication()
    {
        _receivePaused = true;
        _input.OnFlushCompleted(s_onFlushed, this);
    }

    private void OnFlushed()
    {
        FlushResult result;
        try
        {
            result = _input.GetPendingFlushResult();
        }
        catch (Exception ex)
        {
            result = default;
            CompleteReceive(ex);
        }

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
        _input.CompleteWriter(error);

        // As in Kestrel's Sockets transport: the end of the input is the connection closing for the application,
        // though its output stays writable (half-close).
        FireConnectionClosed();
    }
}
