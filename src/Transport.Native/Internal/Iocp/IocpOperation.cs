using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// One kind of overlapped operation of one socket (a connection's receive, its send, a listener's accept), reused for
/// each call. Its OVERLAPPED and buffers live in native memory so that they never move while the kernel holds them;
/// a handle to this object sits beside the OVERLAPPED, so the completion finds its way back without a lookup. The
/// memory is freed only once no call is outstanding: the owner keeps count, and frees it after the last completion.
/// </summary>
internal abstract unsafe class IocpOperation
{
    private readonly Header* _header;

    protected IocpOperation(int extraBytes)
    {
        _header = (Header*)NativeMemory.AllocZeroed((nuint)(sizeof(Header) + extraBytes));
        _header->Self = GCHandle.ToIntPtr(GCHandle.Alloc(this));
    }

    public NativeOverlapped* Overlapped => &_header->Overlapped;

    /// <summary>The memory after the header, for the operation's buffers or addresses.</summary>
    protected byte* Extra => (byte*)(_header + 1);

    /// <summary>Clears the OVERLAPPED for the next call, as the kernel requires.</summary>
    public void Reset() => _header->Overlapped = default;

    /// <summary>Runs on a completion thread; <paramref name="error"/> is 0 or a Winsock error.</summary>
    public abstract void OnCompleted(int error, uint bytesTransferred);

    /// <summary>Releases the native memory; only once the kernel holds none of it.</summary>
    public void Free()
    {
        GCHandle.FromIntPtr(_header->Self).Free();
        NativeMemory.Free(_header);
    }

    /// <summary>Hands a dequeued completion to the operation it belongs to.</summary>
    public static void Dispatch(in OverlappedEntry entry)
    {
        var header = (Header*)entry.Overlapped;
        var operation = (IocpOperation)GCHandle.FromIntPtr(header->Self).Target!;
        operation.OnCompleted(IocpErrors.FromNtStatus((uint)entry.Internal), entry.NumberOfBytesTransferred);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        // First, so that the OVERLAPPED's address is the header's.
        public NativeOverlapped Overlapped;
        public nint Self;
    }
}
