using System.Net;
using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Tests;

/// <summary>The few libc calls the tests use to look at a native handle from the outside.</summary>
internal static partial class LibC
{
    public const int SOL_SOCKET = 1;
    public const int SO_TYPE = 3;
    public const int SOCK_STREAM = 1;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    private const ushort AF_INET = 2;
    private const ushort AF_INET6 = 10;

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOpt(int fd, int level, int name, int* value, uint* length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static unsafe partial int GetSockName(int fd, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    private static unsafe partial int GetPeerName(int fd, byte* address, uint* length);

    /// <summary>An integer socket option of <paramref name="fd"/>; throws with errno when the call fails.</summary>
    public static unsafe int GetIntOption(nint fd, int level, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        if (GetSockOpt(checked((int)fd), level, name, &value, &length) != 0)
        {
            throw new InvalidOperationException($"getsockopt({fd}, {level}, {name}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        return value;
    }

    /// <summary>The local (getsockname) or peer (getpeername) address of a TCP socket.</summary>
    public static unsafe IPEndPoint GetEndPoint(nint fd, bool peer)
    {
        byte* buffer = stackalloc byte[128];
        uint length = 128;
        int rc = peer ? GetPeerName(checked((int)fd), buffer, &length) : GetSockName(checked((int)fd), buffer, &length);
        if (rc != 0)
        {
            throw new InvalidOperationException($"{(peer ? "getpeername" : "getsockname")}({fd}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        var bytes = new ReadOnlySpan<byte>(buffer, (int)length);
        ushort family = MemoryMarshal.Read<ushort>(bytes);
        int port = (bytes[2] << 8) | bytes[3];
        return family switch
        {
            AF_INET => new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port),
            AF_INET6 => new IPEndPoint(new IPAddress(bytes.Slice(8, 16)), port),
            _ => throw new InvalidOperationException($"Unexpected address family {family}."),
        };
    }
}
