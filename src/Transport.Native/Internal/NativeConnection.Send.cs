using System.Buffers;
using System.IO.Pipelines;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

internal sealed partial class NativeConnection
{
    // Set when the socket was full: the poller says when it drains.
    private bool _waitingWritable;

    private void OnWritable()
    {
        if (_waitingWritable)
        {
            _waitingWritable = false;
            if (!SendDone)
            {
                Send();
            }
        }
    }

    /// <summary>Sends one read's buffer, all of it in one gather call; true when the caller should read the output again.</summary>
    protected override bool TrySend(ReadResult result)
    {
        ConnectionPipe reader = OutputPipe;
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (Closed)
        {
            reader.AdvanceTo(buffer.End);
            CompleteSend(CloseError);
            return false;
        }

        long sent = 0;
        long offered = 0;
        int errno = 0;
        if (!buffer.IsEmpty)
        {
            sent = GatherSend.Send(Fd, buffer, out offered, out errno);
        }

        if (sent < 0)
        {
            if (errno != Sys.EAGAIN)
            {
                reader.AdvanceTo(buffer.End);
                Exception error = NativeErrors.ConnectionError(errno);
                SendError = error;
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
            Loop.Metrics.SendPaused();
            return false;
        }

        reader.AdvanceTo(buffer.End);
        if (result.IsCompleted)
        {
            // The application has finished writing and all of it is sent: FIN.
            Libc.Shutdown(Fd, Sys.SHUT_WR);
            CompleteSend(null);
            return false;
        }

        return true;
    }
}
