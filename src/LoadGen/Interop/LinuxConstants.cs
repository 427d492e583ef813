namespace EchoHost.LoadGen.Interop;

/// <summary>The Linux constants the load engine passes to <see cref="Libc"/>.</summary>
internal static class LinuxConstants
{
    public const int AF_INET = 2;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_LINGER = 13;
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int IP_BIND_ADDRESS_NO_PORT = 24;

    public const int MSG_NOSIGNAL = 0x4000;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;

    public const int RLIMIT_NOFILE = 7;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EINPROGRESS = 115;
}
