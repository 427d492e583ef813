using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Unix;

/// <summary>
/// The socket and descriptor calls of every Unix engine, declared as glibc, musl, macOS's libSystem and FreeBSD's libc
/// declare them (the names and signatures are POSIX; their constants differ by system and come from <see cref="Sys"/>).
/// <c>libc</c> is the runtime's name for the C library on each of them. Every call returns the kernel's result; on -1
/// the caller reads <see cref="Marshal.GetLastPInvokeError"/> for errno. Nothing here throws.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    /// <summary>Linux and FreeBSD; macOS has no <c>accept4</c> (see <see cref="Sys.HasAccept4"/>).</summary>
    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int sockfd, byte* addr, int* addrlen, int flags);

    [LibraryImport(Library, EntryPoint = "accept", SetLastError = true)]
    public static partial int Accept(int sockfd, byte* addr, int* addrlen);

    /// <summary>
    /// <c>ioctl</c> with a request that takes no argument (<c>FIOCLEX</c>). Calls that pass an argument
    /// (<c>fcntl(F_SETFL, …)</c>, <c>ioctl(FIONBIO, …)</c>) are variadic in C, which Apple's arm64 ABI passes on the
    /// stack where a P/Invoke would pass a register; so none is declared here.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoCtl(int fd, nuint request);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buf, nint count);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Library, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);

    [LibraryImport(Library, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* addr, int* addrlen);

    [LibraryImport(Library, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, byte* addr, int* addrlen);
}

/// <summary><c>struct iovec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}

/// <summary>
/// <c>struct msghdr</c> of 64-bit glibc and musl (56 bytes). macOS and FreeBSD declare <c>msg_iovlen</c> an
/// <c>int</c> and <c>msg_controllen</c> a <c>socklen_t</c> (48 bytes), but at the same offsets: with no control data
/// and little-endian storage, the bytes of a zeroed message with an iovec count below 2³¹ are the same, and the kernel
/// reads no further than its own size.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public int NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary><c>struct rlimit</c>: two 64-bit <c>rlim_t</c> on 64-bit Linux, macOS and FreeBSD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RLimit
{
    public ulong Current;
    public ulong Maximum;
}

/// <summary><c>struct linger</c>: two <c>int</c> everywhere.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Linger
{
    public int OnOff;
    public int Seconds;
}

/// <summary><c>struct timespec</c>: 64-bit <c>time_t</c> and <c>long</c> on 64-bit macOS and FreeBSD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}
