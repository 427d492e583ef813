using System.Buffers;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Sends a <see cref="ReadOnlySequence{T}"/> with one <c>sendmsg</c> over its segments.</summary>
internal static unsafe class GatherSend
{
    private const int MaxSegments = 64;

    // Sends run on application threads as well as on loops: the pins of a call belong to the thread making it.
    [ThreadStatic]
    private static MemoryHandle[]? t_pins;

    /// <summary>
    /// Sends as much of <paramref name="buffer"/> as the socket takes. Returns the bytes sent, or -1 with
    /// <paramref name="errno"/> set; <paramref name="offered"/> is how many bytes the call was given.
    /// </summary>
    public static long Send(int fd, in ReadOnlySequence<byte> buffer, out long offered, out int errno)
    {
        MemoryHandle[] pins = t_pins ??= new MemoryHandle[MaxSegments];
        IoVec* iov = stackalloc IoVec[MaxSegments];
        int count = 0;
        offered = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            MemoryHandle pin = segment.Pin();
            pins[count] = pin;
            iov[count].Base = (byte*)pin.Pointer;
            iov[count].Length = (nuint)segment.Length;
            offered += segment.Length;
            if (++count == MaxSegments)
            {
                break;
            }
        }

        MsgHdr message = default;
        message.Iov = iov;
        message.IovLength = (nuint)count;

        nint sent;
        do
        {
            // One segment, the common case of small messages, skips the kernel's copying and checking of a msghdr.
            sent = count == 1
                ? Libc.Send(fd, iov[0].Base, (nint)iov[0].Length, Sys.MSG_NOSIGNAL)
                : Libc.SendMsg(fd, &message, Sys.MSG_NOSIGNAL);
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (errno == Sys.EINTR);

        for (int i = 0; i < count; i++)
        {
            pins[i].Dispose();
            pins[i] = default;
        }

        return sent;
    }
}
