using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Linux;

/// <summary>The calls of the epoll engine (glibc and musl); -1 and errno on failure, as <see cref="Unix.Libc"/>.</summary>
internal static unsafe partial class Epoll
{
    private const string Library = "libc";

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int Create1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int Ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int Wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);
}
