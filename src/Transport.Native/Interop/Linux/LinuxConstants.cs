namespace EchoHost.Transport.Native.Interop.Linux;

/// <summary>Values from Linux's uapi headers (asm-generic; the same on x86-64 and arm64).</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int EPROTO = 71;
    public const int ENOTSOCK = 88;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
}

/// <summary><c>sys/epoll.h</c>.</summary>
internal static class Epoll
{
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;

    public const int EPOLL_CLOEXEC = 0x80000;
}

/// <summary><c>sys/socket.h</c>, <c>netinet/in.h</c>, <c>sys/eventfd.h</c>, <c>sys/resource.h</c>.</summary>
internal static class SocketConstants
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int SOL_SOCKET = 1;
    public const int SO_LINGER = 13;
    public const int SO_REUSEPORT = 15;

    public const int MSG_NOSIGNAL = 0x4000;

    public const int SHUT_WR = 1;

    /// <summary><c>sys/resource.h</c>.</summary>
    public const int RLIMIT_NOFILE = 7;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;
}
