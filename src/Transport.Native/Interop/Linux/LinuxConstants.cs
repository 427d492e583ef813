namespace EchoHost.Transport.Native.Interop.Linux;

/// <summary>Linux's errno values: <c>asm-generic/errno-base.h</c> and <c>asm-generic/errno.h</c> (the same on x86-64 and arm64).</summary>
internal static class Errno
{
    public const int EPERM = 1;         // asm-generic/errno-base.h
    public const int EINTR = 4;         // asm-generic/errno-base.h
    public const int EBADF = 9;         // asm-generic/errno-base.h
    public const int EAGAIN = 11;       // asm-generic/errno-base.h
    public const int ENOMEM = 12;       // asm-generic/errno-base.h
    public const int EINVAL = 22;       // asm-generic/errno-base.h
    public const int ENFILE = 23;       // asm-generic/errno-base.h
    public const int EMFILE = 24;       // asm-generic/errno-base.h
    public const int EPIPE = 32;        // asm-generic/errno-base.h
    public const int EPROTO = 71;       // asm-generic/errno.h
    public const int ENOTSOCK = 88;     // asm-generic/errno.h
    public const int EADDRINUSE = 98;   // asm-generic/errno.h
    public const int EADDRNOTAVAIL = 99; // asm-generic/errno.h
    public const int ECONNABORTED = 103; // asm-generic/errno.h
    public const int ECONNRESET = 104;  // asm-generic/errno.h
    public const int ENOBUFS = 105;     // asm-generic/errno.h
    public const int ENOSYS = 38;       // asm-generic/errno.h
    public const int EBUSY = 16;        // asm-generic/errno-base.h
    public const int ETIME = 62;        // asm-generic/errno.h
    public const int ECANCELED = 125;   // asm-generic/errno.h
    public const int ENOENT = 2;        // asm-generic/errno-base.h
    public const int ETIMEDOUT = 110;   // asm-generic/errno.h
    public const int ECONNREFUSED = 111; // asm-generic/errno.h
    public const int EINPROGRESS = 115; // asm-generic/errno.h
}

/// <summary><c>sys/epoll.h</c> and <c>sys/eventfd.h</c>.</summary>
internal static partial class Epoll
{
    public const uint EPOLLIN = 0x001;      // sys/epoll.h
    public const uint EPOLLOUT = 0x004;     // sys/epoll.h
    public const uint EPOLLERR = 0x008;     // sys/epoll.h
    public const uint EPOLLHUP = 0x010;     // sys/epoll.h
    public const uint EPOLLRDHUP = 0x2000;  // sys/epoll.h
    public const uint EPOLLET = 1u << 31;   // sys/epoll.h

    public const int EPOLL_CTL_ADD = 1;     // sys/epoll.h
    public const int EPOLL_CTL_DEL = 2;     // sys/epoll.h
    public const int EPOLL_CTL_MOD = 3;     // sys/epoll.h

    public const int EPOLL_CLOEXEC = 0x80000; // sys/epoll.h

    public const int EFD_NONBLOCK = 0x800;  // sys/eventfd.h
    public const int EFD_CLOEXEC = 0x80000; // sys/eventfd.h
}

/// <summary>Linux's socket and resource values (glibc's <c>bits/</c> headers, from the kernel's <c>asm-generic/</c>).</summary>
internal static class SocketConstants
{
    public const int AF_INET = 2;               // bits/socket.h
    public const int AF_INET6 = 10;             // bits/socket.h

    public const int SOCK_NONBLOCK = 0x800;     // bits/socket_type.h
    public const int SOCK_CLOEXEC = 0x80000;    // bits/socket_type.h

    public const int SOL_SOCKET = 1;            // asm-generic/socket.h
    public const int SO_LINGER = 13;            // asm-generic/socket.h
    public const int SO_REUSEPORT = 15;         // asm-generic/socket.h

    /// <summary>
    /// The peer's address, as <c>accept</c> gives it: unlike <c>getpeername</c>, also once the peer has reset. The
    /// length asked for must not exceed the address's.
    /// </summary>
    public const int SO_PEERNAME = 28;          // asm-generic/socket.h

    /// <summary>No SIGPIPE from a send to a closed connection: a flag per call (Linux has no <c>SO_NOSIGPIPE</c>).</summary>
    public const int MSG_NOSIGNAL = 0x4000;     // bits/socket.h

    public const int SHUT_WR = 1;               // sys/socket.h

    public const int RLIMIT_NOFILE = 7;         // bits/resource.h

    /// <summary><c>struct sockaddr</c> starts with <c>sa_family_t sa_family</c> (two bytes, host order); no length.</summary>
    public const bool SockAddrHasLength = false; // bits/socket.h

    public const bool HasAccept4 = true;        // sys/socket.h
}
