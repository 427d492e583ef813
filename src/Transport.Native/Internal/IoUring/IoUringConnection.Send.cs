using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal.IoUring;

internal sealed partial class IoUringConnection
{
    /// <summary>Segments of one gather send: with 4 KiB blocks, 64 KiB, the default <c>MaxWriteBufferSize</c>.</summary>
    private const int MaxSendSegments = 16;

    // One send in flight at a time; flushes made meanwhile leave together with the next, submitted with the turn's
    // other operations.
    private bool _sendInFlight;
    private ReadOnlySequence<byte> _sendBuffer;
    private bool _sendIsLast;
    private long _sendOffered;

    // What an operation in flight names: the pins of its segments, and its msghdr and iovecs in native memory (made
    // with the first gather send, freed when the connection lets go of its slot).
    private MemoryHandle[]? _sendPins;
    private int _sendPinCount;
    private unsafe MsgHdr* _message;

    /// <summary>Submits one read's buffer; true when the caller should read the output again.</summary>
    protected override bool TrySend(ReadResult result)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (Closed)
        {
            OutputPipe.AdvanceTo(buffer.End);
            CompleteSend(CloseError);
            return false;
        }

        if (buffer.IsEmpty)
        {
            OutputPipe.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                Finish();
                return false;
            }

            return true;
        }

        Submit(buffer);
        _sendBuffer = buffer;
        _sendIsLast = result.IsCompleted && _sendOffered == buffer.Length;
        _sendInFlight = true;
        return false;
    }

    /// <summary>Pins the buffer's segments (up to <see cref="MaxSendSegments"/>) and submits a send, or a gather send for more than one.</summary>
    private unsafe void Submit(in ReadOnlySequence<byte> buffer)
    {
        MemoryHandle[] pins = _sendPins ??= new MemoryHandle[MaxSendSegments];
        if (buffer.IsSingleSegment)
        {
            pins[0] = buffer.First.Pin();
            _sendPinCount = 1;
            _sendOffered = buffer.Length;
            _ring.Send(Fd, (byte*)pins[0].Pointer, (uint)buffer.Length, UserData(SendOperation));
            return;
        }

        if (_message is null)
        {
            _message = (MsgHdr*)NativeMemory.AllocZeroed((nuint)(sizeof(MsgHdr) + MaxSendSegments * sizeof(IoVec)));
            _message->Iov = (IoVec*)(_message + 1);
        }

        IoVec* iov = _message->Iov;
        int count = 0;
        long offered = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            pins[count] = segment.Pin();
            iov[count].Base = (byte*)pins[count].Pointer;
            iov[count].Length = (nuint)segment.Length;
            offered += segment.Length;
            if (++count == MaxSendSegments)
            {
                break;
            }
        }

        _sendPinCount = count;
        _sendOffered = offered;
        _message->IovLength = (nuint)count;
        _ring.SendMessage(Fd, _message, UserData(SendOperation));
    }

    private void OnSent(int result)
    {
        _sendInFlight = false;
        for (int i = 0; i < _sendPinCount; i++)
        {
            _sendPins![i].Dispose();
            _sendPins[i] = default;
        }

        _sendPinCount = 0;
        ReadOnlySequence<byte> buffer = _sendBuffer;
        _sendBuffer = default;
        if (Closed)
        {
            OutputPipe.AdvanceTo(buffer.End);
            CompleteSend(CloseError);
            return;
        }

        if (result == -Errno.EAGAIN)
        {
            // Nothing was sent: a send that waited long for room (its poll woke many times without enough) is handed
            // to a kernel worker, where the non-blocking socket answers EAGAIN instead of waiting. The peer is behind
            // reading, not gone: offer the same bytes again, in a new send that waits for room afresh.
            Loop.Metrics.SendPaused();
            Submit(buffer);
            _sendBuffer = buffer;
            _sendInFlight = true;
            return;
        }

        if (result < 0)
        {
            OutputPipe.AdvanceTo(buffer.End);
            Exception error = NativeErrors.ConnectionError(-result);
            SendError = error;
            CompleteSend(error);
            Close(error, reset: false);
            return;
        }

        OutputPipe.AdvanceTo(buffer.GetPosition(result));
        if (result < _sendOffered)
        {
            // The kernel waited for room and took part: the peer is behind reading.
            Loop.Metrics.SendPaused();
        }
        else if (_sendIsLast)
        {
            Finish();
            return;
        }

        Send();
    }

    /// <summary>The application has finished writing and all of it is sent: FIN.</summary>
    private void Finish()
    {
        Libc.Shutdown(Fd, Sys.SHUT_WR);
        CompleteSend(null);
    }

    private unsafe void FreeSendMemory()
    {
        if (_message is not null)
        {
            NativeMemory.Free(_message);
            _message = null;
        }
    }
}
