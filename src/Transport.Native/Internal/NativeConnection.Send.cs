using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private readonly Action _onOutputReadable;
    private ValueTask<ReadResult> _pendingRead;

    // Sending runs on whichever thread resumes it: the application's, inside its flush (the output pipe's reader
    // scheduler is inline, so a flush sends at once without a hop to the loop), or the loop's, when the socket drains.
    // Only one of them runs it at a time; the lock keeps the loop from closing the descriptor under a send.
    private readonly Lock _sendLock = new();
    private bool _waitingWritable;
    private int _writableEvents;
    private bool _sendDone;

    // Why a send failed (a reset), for the receiving side, which would otherwise see only an end of input.
    private Exception? _sendError;

    private void OnWritable()
    {
        lock (_sendLock)
        {
            _writableEvents++;
            if (!_waitingWritable)
            {
                return;
            }

            _waitingWritable = false;
        }

        Send();
    }

    /// <summary>
    /// Sends what the application has flushed, all of it in one gather call, so flushes that pile up while a send
    /// waits go out together. Waits for the application's next flush or, when the socket is full, for the poller.
    /// </summary>
    private void Send()
    {
        while (true)
        {
            ValueTask<ReadResult> read = _output.Reader.ReadAsync();
            if (!read.IsCompleted)
            {
                // Nothing may touch the send state after this: the continuation can run at once, on another thread.
                _pendingRead = read;
                read.GetAwaiter().UnsafeOnCompleted(_onOutputReadable);
                return;
            }

            if (!TrySend(read.GetAwaiter().GetResult()))
            {
                return;
            }
        }
    }

    private void OnOutputReadable()
    {
        ValueTask<ReadResult> read = _pendingRead;
        _pendingRead = default;
        ReadResult result;
        try
        {
            result = read.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            // The application completed its output with an error: abort, as Kestrel's Sockets transport does.
            CompleteSend(ex);
            CloseOnLoop(ex, reset: true);
            return;
        }

        if (TrySend(result))
        {
            Send();
        }
    }

    /// <summary>Sends one read's buffer; true when the caller should read the output again.</summary>
    private bool TrySend(ReadResult result)
    {
        PipeReader reader = _output.Reader;
        ReadOnlySequence<byte> buffer = result.Buffer;
        long sent = 0;
        long offered = 0;
        int errno = 0;
        int writableEvents;
        bool closed;
        lock (_sendLock)
        {
            closed = _closed;
            writableEvents = _writableEvents;
            if (!closed && !buffer.IsEmpty)
            {
                sent = GatherSend.Send(_fd, buffer, out offered, out errno);
            }
        }

        if (closed)
        {
            reader.AdvanceTo(buffer.End);
            CompleteSend(_closeError);
            return false;
        }

        if (sent < 0)
        {
            if (errno != Sys.EAGAIN)
            {
                reader.AdvanceTo(buffer.End);
                Exception error = NativeErrors.ConnectionError(errno);
                Volatile.Write(ref _sendError, error);
                CompleteSend(error);
                CloseOnLoop(error, reset: false);
                return false;
            }

            sent = 0;
        }

        if (sent < buffer.Length)
        {
            reader.AdvanceTo(buffer.GetPosition(sent));

            // A short send means the socket's buffer is full and the edge-triggered poller will say when it drains;
            // a call that took all it was given (more segments than one call takes) goes on at once.
            return sent == offered || !ParkUntilWritable(writableEvents);
        }

        reader.AdvanceTo(buffer.End);
        if (result.IsCompleted)
        {
            // The application has finished writing and all of it is sent: FIN.
            lock (_sendLock)
            {
                if (!_closed)
                {
                    Libc.Shutdown(_fd, Sys.SHUT_WR);
                }
            }

            CompleteSend(null);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Waits for the poller's next writable event, unless one came since the send that found the socket full (it
    /// would be the only one) or the socket was closed meanwhile: then the caller goes on.
    /// </summary>
    private bool ParkUntilWritable(int writableEventsSeen)
    {
        lock (_sendLock)
        {
            if (_closed || _writableEvents != writableEventsSeen)
            {
                return false;
            }

            _waitingWritable = true;
            _loop.Metrics.SendPaused();
            return true;
        }
    }

    /// <summary>Ends the sending side; called by whoever runs it, or by the loop when it closes a parked one.</summary>
    private void CompleteSend(Exception? error)
    {
        lock (_sendLock)
        {
            if (_sendDone)
            {
                return;
            }

            _sendDone = true;
            _waitingWritable = false;
        }

        _output.Reader.Complete(error);
        _loop.Schedule(static state => ((NativeConnection)state!).OnSendCompleted(), this);
    }
}
