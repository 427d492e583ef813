using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Transport.Native.Interop.Linux;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    private readonly Action _onOutputReadable;
    private ValueTask<ReadResult> _pendingRead;

    // Loop-thread state of the sending side.
    private bool _readPending;
    private bool _waitingWritable;
    private bool _sendDone;

    private void OnWritable()
    {
        if (_waitingWritable)
        {
            _waitingWritable = false;
            Send();
        }
    }

    /// <summary>
    /// Sends what the application has flushed, all of it in one gather call: flushes that arrive while the loop is
    /// busy are coalesced into one system call. Waits for the application or, when the socket is full, for the poller.
    /// </summary>
    private void Send()
    {
        while (!_sendDone)
        {
            ValueTask<ReadResult> read = _output.Reader.ReadAsync();
            if (!read.IsCompleted)
            {
                _readPending = true;
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
        _readPending = false;
        ReadResult result;
        try
        {
            result = _pendingRead.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            // The application completed its output with an error: abort, as Kestrel's Sockets transport does.
            _pendingRead = default;
            CompleteSend(ex);
            Close(ex, reset: true);
            return;
        }

        _pendingRead = default;
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
        if (_closed)
        {
            reader.AdvanceTo(buffer.End);
            CompleteSend(_closeError);
            return false;
        }

        if (!buffer.IsEmpty)
        {
            long sent = _loop.Gather.Send(_fd, buffer, out long offered, out int errno);
            if (sent < 0)
            {
                if (errno == Errno.EAGAIN)
                {
                    reader.AdvanceTo(buffer.Start);
                    _waitingWritable = true;
                    return false;
                }

                reader.AdvanceTo(buffer.End);
                Close(NativeErrors.ConnectionError(errno), reset: false);
                return false;
            }

            BytesSent += sent;
            if (sent < buffer.Length)
            {
                reader.AdvanceTo(buffer.GetPosition(sent));

                // A short send means the socket's buffer is full; the edge-triggered poller says when it drains.
                // Only a call that was not given the whole buffer (more segments than one call takes) goes on at once.
                _waitingWritable = sent < offered;
                return !_waitingWritable;
            }

            reader.AdvanceTo(buffer.End);
        }

        if (result.IsCompleted)
        {
            // The application has finished writing and all of it is sent: FIN.
            CompleteSend(null);
            Libc.Shutdown(_fd, SocketConstants.SHUT_WR);
            if (_disposeRequested)
            {
                Close(null, reset: false);
            }

            return false;
        }

        return true;
    }

    private void CompleteSend(Exception? error)
    {
        if (_sendDone)
        {
            return;
        }

        _sendDone = true;
        _waitingWritable = false;
        _output.Reader.Complete(error);
        if (_receiveDone)
        {
            FireConnectionClosed();
        }

        TryCompleteDispose();
    }
}
