using System.Buffers;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Linux;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Sends a <see cref="ReadOnlySequence{T}"/> with one <c>sendmsg</c> over its segments. One per loop: it holds the
/// <c>iovec</c> array and the pins of the segments for the length of the call.
/// </summary>
internal sealed unsafe class GatherBuffers
{
    private const int MaxSegments = 64;

    private readonly IoVec* _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxSegments * sizeof(IoVec)));
    private readonly MemoryHandle[] _pins = new MemoryHandle[MaxSegments];

    /// <summary>
    /// Sends as much of <paramref name="buffer"/> as the socket takes. Returns the bytes sent, or -1 with
    /// <paramref name="errno"/> set; <paramref name="offered"/> is how many bytes the call was given.
    /// </summary>
    public long Send(int fd, in ReadOnlySequence<byte> buffer, out long offered, out int errno)
    {
        int count = 0;
        offered = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            MemoryHandle pin = segment.Pin();
            _pins[count] = pin;
            _iov[count].Base = (byte*)pin.Pointer;
            _iov[count].Length = (nuint)segment.Length;
            offered += segment.Length;
            if (++count == MaxSegments)
            {
                break;
            }
        }

        MsgHdr message = default;
        message.Iov = _iov;
        message.IovLength = (nuint)count;

        nint sent;
        do
        {
            sent = Libc.SendMsg(fd, &message, SocketConstants.MSG_NOSIGNAL);
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (errno == Errno.EINTR);

        for (int i = 0; i < count; i++)
        {
            _pins[i].Dispose();
            _pins[i] = default;
        }

        return sent;
    }
}
