using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private static readonly Action<object?> s_onOutputReadable = static state => ((NativeConnection)state!).OnOutputReadable();

    // Sending runs on the loop only: the output pipe's reader scheduler is the loop, so an application's flush queues
    // the send to the end of the loop's turn. Flushes made within one turn of the application's work (Kestrel's
    // HTTP/1.1 flushes a response's head and its last chunk separately) leave in one gather call, and the loop's
    // own state needs no lock.
    private bool _waitingWritable;
    private bool _sendDone;

    // Why a send failed (a reset), for the receiving side, which would otherwise see only an end of input.
    private Exception? _sendError;

    private void OnWritable()
    {
        if (_waitingWritable)
        {
            _waitingWritable = false;
            Send();
        }
    }

    /// <summary>
    /// Sends what the application has flushed, all of it in one gather call, so flushes that pile up while a send
    /// waits go out together. Waits for the application's next flush or, when the socket is full, for the poller.
    /// </summary>
    private void Send()
    {
        while (true)
        {
            ValueTask<ReadResult> read = _output.ReadAsync();
            if (!read.IsCompleted)
            {
                _output.OnReadCompleted(s_onOutputReadable, this);
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
        ReadResult result;
        try
        {
            result = _output.GetPendingReadResult();
        }
        catch (Exception ex)
        {
            // The application completed its output with an error: abort, as Kestrel's Sockets transport does.
            CompleteSend(ex);
            Close(ex, reset: true);
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
        ConnectionPipe reader = _output;
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (_closed)
        {
            reader.AdvanceTo(buffer.End);
            CompleteSend(_closeError);
            return false;
        }

        long sent = 0;
        long offered = 0;
        int errno = 0;
        if (!buffer.IsEmpty)
        {
            sent = GatherSend.Send(_fd, buffer, out offered, out errno);
        }

        if (sent < 0)
        {
            if (errno != Sys.EAGAIN)
            {
                reader.AdvanceTo(buffer.End);
                Exception error = NativeErrors.ConnectionError(errno);
                _sendError = error;
                CompleteSend(error);
                Close(error, reset: false);
                return false;
            }

            sent = 0;
        }

        if (sent < buffer.Length)
        {
            reader.AdvanceTo(buffer.GetPosition(sent));

            // A short send means the socket's buffer is full and the edge-triggered poller will say when it drains;
            // a call that took all it was given (more segments than one call takes) goes on at once.
            if (sent == offered)
            {
                return true;
            }

            _waitingWritable = true;
            _loop.Metrics.SendPaused();
            return false;
        }

        reader.AdvanceTo(buffer.End);
        if (result.IsCompleted)
        {
            // The application has finished writing and all of it is sent: FIN.
            Libc.Shutdown(_fd, Sys.SHUT_WR);
            CompleteSend(null);
            return false;
        }

        return true;
    }

    /// <summary>Ends the sending side; called by whoever runs it, or by <c>Close</c> for one parked on the socket.</summary>
    private void CompleteSend(Exception? error)
    {
        if (_sendDone)
        {
            return;
        }

        _sendDone = true;
        _waitingWritable = false;
        _output.Complete(error);
        OnSendCompleted();
    }
}
