using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    // Loop-thread state of the receiving side.
    private bool _readable;
    private bool _peerClosing;

    private void OnReadable(bool peerClosing)
    {
        _readable = true;
        _peerClosing |= peerClosing;
        if (!ReceivePaused && !ReceiveDone)
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
            ValueTask<FlushResult> budget = InputPipe.WaitForBudget();
            if (!budget.IsCompleted)
            {
                Loop.Metrics.ReceivePausedForBudget();
                WaitForApplication();
                return;
            }

            Memory<byte> memory = InputPipe.GetMemory();
            nint received;
            fixed (byte* buffer = memory.Span)
            {
                received = Libc.Recv(Fd, buffer, memory.Length, 0);
            }

            if (received > 0)
            {
                // A read that did not fill the buffer emptied the socket, and the edge-triggered poller reports new
                // data; but a FIN or an error that came with this edge is reported only once, so then read to the end.
                _readable = received == memory.Length || _peerClosing;
                InputPipe.Advance((int)received);
                ValueTask<FlushResult> flush = InputPipe.FlushAsync();
                if (!flush.IsCompleted)
                {
                    Loop.Metrics.ReceivePaused();
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
                CompleteReceive(SendError);
                return;
            }
            else
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Sys.EAGAIN)
                {
                    // Nothing to read after all: the block goes back, as an idle connection holds none.
                    InputPipe.ReturnUnusedMemory();
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

    protected override void ResumeReceive()
    {
        if (_readable)
        {
            Receive();
        }
    }
}
