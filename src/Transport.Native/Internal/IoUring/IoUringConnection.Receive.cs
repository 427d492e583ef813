using System.IO.Pipelines;
using EchoHost.Transport.Native.Interop.Linux;
using Ring = EchoHost.Transport.Native.Interop.Linux.IoUring;

namespace EchoHost.Transport.Native.Internal.IoUring;

internal sealed partial class IoUringConnection
{
    // Loop-thread state of the receiving side.
    private bool _receiveArmed;
    private bool _receiveMultishot;
    private bool _receiveCancelRequested;

    /// <summary>
    /// Whether the transport's total of buffered bytes is past half of <c>MaxTotalReadBufferSize</c>. A multishot
    /// receive may take up to 32 buffers from a socket in one wake-up, before the loop sees any of them; near the
    /// total, receives take one buffer at a time instead, so that a connection stops within a buffer of it, as epoll's do.
    /// </summary>
    private bool NearReadBudget => Loop.Budget is { } budget && !budget.IsUnderLowWater;

    /// <summary>
    /// Arms a receive, taking a buffer from the loop's ring only when data arrives, so an idle connection holds no
    /// buffer: a multishot one, which completes each time data arrives and ends when the peer finishes, on an error,
    /// when the ring has no buffer left or when cancelled; or, near the read budget, a receive of one buffer.
    /// </summary>
    private void ArmReceive()
    {
        _receiveArmed = true;
        _receiveMultishot = !NearReadBudget;
        _ring.Receive(Fd, UserData(ReceiveOperation), _receiveMultishot);
    }

    private void OnReceived(int result, uint flags)
    {
        if ((flags & Ring.IORING_CQE_F_MORE) == 0)
        {
            _receiveArmed = false;
            _receiveCancelRequested = false;
        }

        if (result > 0)
        {
            ushort bufferId = (ushort)(flags >> Ring.IORING_CQE_BUFFER_SHIFT);
            if (!ReceiveDone)
            {
                CopyToInput(_ring.Buffer(bufferId, result));
            }

            _ring.Recycle(bufferId);

            // Near the read budget a multishot receive gives way to receives of one buffer (armed again below once it ends).
            if (_receiveArmed && _receiveMultishot && NearReadBudget)
            {
                CancelReceive();
            }
        }
        else if (result == 0)
        {
            // The peer's FIN: the input ends, the output stays open (half-close). But a reset that a send met
            // first is reported to that send only, and reads then see an end: the input ends with that error.
            CompleteReceive(SendError);
        }
        else if (result != -Errno.ENOBUFS && result != -Errno.ECANCELED && result != -Errno.EAGAIN && !Closed)
        {
            Close(NativeErrors.ConnectionError(-result), reset: false);
        }

        // Ended for want of a buffer (the loop's ring ran dry within one turn: buffers are back by now), after a pause
        // that is over, with EAGAIN (a receive whose poll woke many times for nothing is handed to a kernel worker,
        // where the non-blocking socket does not wait; nothing was lost), or a receive of one buffer done: arm again.
        if (!_receiveArmed && result != 0 && !ReceiveDone && !ReceivePaused && !Closed)
        {
            ArmReceive();
        }
    }

    /// <summary>
    /// Copies a receive's bytes into the input pipe and flushes them. When the application is behind (the pipe past
    /// <c>MaxReadBufferSize</c>, or the transport's total past <c>MaxTotalReadBufferSize</c> while this application
    /// is behind), the receive is cancelled until its flush completes: back-pressure reaches the peer through TCP's
    /// window. What arrives before the cancellation takes effect is written but not flushed until then: what the kernel
    /// received for the connection in the turn it paused, at most its multishot retries (32 buffers, 128 KiB), or one
    /// buffer near the read budget (<see cref="NearReadBudget"/>).
    /// </summary>
    private void CopyToInput(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Memory<byte> memory = InputPipe.GetMemory();
            int length = Math.Min(memory.Length, data.Length);
            data[..length].CopyTo(memory.Span);
            InputPipe.Advance(length);
            data = data[length..];
        }

        if (ReceivePaused)
        {
            return;
        }

        Flush();
    }

    private void Flush()
    {
        ValueTask<FlushResult> flush = InputPipe.FlushAsync();
        if (!flush.IsCompleted)
        {
            Loop.Metrics.ReceivePaused();
            Pause();
            return;
        }

        if (flush.GetAwaiter().GetResult().IsCompleted)
        {
            // The application has stopped reading.
            CompleteReceive(null);
            return;
        }

        ValueTask<FlushResult> budget = InputPipe.WaitForBudget();
        if (!budget.IsCompleted)
        {
            Loop.Metrics.ReceivePausedForBudget();
            Pause();
        }
    }

    /// <summary>Stops receiving until the application has caught up: the pending flush completes, and the receive is cancelled.</summary>
    private void Pause()
    {
        WaitForApplication();
        CancelReceive();
    }

    /// <summary>
    /// A cancellation that found the receive running (<c>EALREADY</c>) or failed otherwise leaves it going: ask again
    /// while it should stop. Not found (<c>ENOENT</c>): it has ended, and its last completion is on its way.
    /// </summary>
    private void OnCancelled(int result)
    {
        if (result < 0 && result != -Errno.ENOENT && _receiveArmed && (ReceivePaused || ReceiveDone || Closed))
        {
            _receiveCancelRequested = false;
            CancelReceive();
        }
    }

    private void CancelReceive()
    {
        if (_receiveArmed && !_receiveCancelRequested)
        {
            _receiveCancelRequested = true;
            _ring.Cancel(UserData(ReceiveOperation), UserData(CancelOperation));
        }
    }

    protected override void ResumeReceive()
    {
        if (InputPipe.UnflushedBytes > 0)
        {
            // What arrived while paused.
            Flush();
        }

        if (!ReceivePaused && !ReceiveDone && !_receiveArmed && !Closed)
        {
            ArmReceive();
        }
    }

    protected override void OnReceiveEnding() => CancelReceive();
}
