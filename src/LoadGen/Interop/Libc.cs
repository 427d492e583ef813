using System.Runtime.InteropServices;

namespace EchoHost.LoadGen.Interop;

/// <summary>
/// The calls of the load engine that the transport's interop (linked in: <c>Interop/Unix/Libc.cs</c>,
/// <c>Interop/Linux/Epoll.cs</c>) has no use for, being a server: opening and connecting a socket, reading its
/// error, raising the descriptor limit. Each returns the kernel's result; on -1 the caller reads
/// <see cref="Marshal.GetLastPInvokeError"/> for errno. Nothing here throws.
/// </summary>
internal static unsafe partial class ClientLibc
{
    private const string Library = "libc";

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockAddrIn* address, int length);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, SockAddrIn* address, int length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Library, EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, Transport.Native.Interop.Unix.RLimit* limit);
}

/// <summary>The Linux values of a client's socket that the transport's tables do not carry.</summary>
internal static class ClientConstants
{
    public const int SOCK_STREAM = 1;           // bits/socket_type.h
    public const int SO_ERROR = 4;              // asm-generic/socket.h
    public const int IPPROTO_IP = 0;            // netinet/in.h
    public const int IPPROTO_TCP = 6;           // netinet/in.h
    public const int TCP_NODELAY = 1;           // netinet/tcp.h
    public const int IP_BIND_ADDRESS_NO_PORT = 24; // linux/in.h
}

/// <summary><c>struct sockaddr_in</c>: family in host order, port and address in network order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockAddrIn
{
    public ushort Family;
    public ushort Port;
    public uint Address;
    public ulong Zero;
}
