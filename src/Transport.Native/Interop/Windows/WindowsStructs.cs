using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Windows;

/// <summary><c>WSABUF</c>: one buffer of a scatter/gather call.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct WsaBuf
{
    public uint Length;
    public byte* Buffer;
}

/// <summary><c>OVERLAPPED_ENTRY</c>: one completion as <c>GetQueuedCompletionStatusEx</c> returns it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct OverlappedEntry
{
    public nuint CompletionKey;

    /// <summary>The operation's <c>OVERLAPPED</c> (the runtime's <see cref="NativeOverlapped"/> is the same struct).</summary>
    public NativeOverlapped* Overlapped;

    /// <summary>The operation's NTSTATUS (the <c>Internal</c> field of its OVERLAPPED).</summary>
    public nuint Internal;
    public uint NumberOfBytesTransferred;
}

/// <summary>Winsock's <c>linger</c>: two <c>u_short</c>s, unlike the BSD struct.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WinLinger
{
    public ushort OnOff;
    public ushort Seconds;
}
