namespace EchoHost.Transport.Native.Interop.FreeBsd;

/// <summary>FreeBSD's errno values (<c>sys/errno.h</c>).</summary>
internal static class Errno
{
    public const int EPERM = 1;         // sys/errno.h
    public const int ENOENT = 2;        // sys/errno.h
    public const int EINTR = 4;         // sys/errno.h
    public const int EBADF = 9;         // sys/errno.h
    public const int ENOMEM = 12;       // sys/errno.h
    public const int EINVAL = 22;       // sys/errno.h
    public const int ENFILE = 23;       // sys/errno.h
    public const int EMFILE = 24;       // sys/errno.h
    public const int EPIPE = 32;        // sys/errno.h
    public const int EAGAIN = 35;       // sys/errno.h
    public const int ENOTSOCK = 38;     // sys/errno.h
    public const int ECONNABORTED = 53; // sys/errno.h
    public const int ECONNRESET = 54;   // sys/errno.h
    public const int ENOBUFS = 55;      // sys/errno.h
    public const int ETIMEDOUT = 60;    // sys/errno.h
    public const int EPROTO = 92;       // sys/errno.h
}

/// <summary>FreeBSD's socket and resource values.</summary>
internal static class SocketConstants
{
    public const int AF_INET = 2;                   // sys/socket.h
    public const int AF_INET6 = 28;                 // sys/socket.h

    public const int SOCK_NONBLOCK = 0x20000000;    // sys/socket.h
    public const int SOCK_CLOEXEC = 0x10000000;     // sys/socket.h

    public const int SOL_SOCKET = 0xffff;           // sys/socket.h
    public const int SO_LINGER = 0x0080;            // sys/socket.h

    /// <summary>
    /// <c>SO_REUSEPORT_LB</c> (FreeBSD 12+), not <c>SO_REUSEPORT</c>: only the former spreads connections over the
    /// sockets, as Linux's <c>SO_REUSEPORT</c> does.
    /// </summary>
    public const int SO_REUSEPORT_LB = 0x00010000;  // sys/socket.h

    /// <summary>No SIGPIPE from a send to a closed connection: a flag per call.</summary>
    public const int MSG_NOSIGNAL = 0x00020000;     // sys/socket.h

    public const int SHUT_WR = 1;                   // sys/socket.h

    public const int RLIMIT_NOFILE = 8;             // sys/resource.h

    /// <summary><c>struct sockaddr</c> starts with <c>uint8_t sa_len</c>, then <c>sa_family_t sa_family</c> (one byte).</summary>
    public const bool SockAddrHasLength = true;     // sys/socket.h

    /// <summary><c>accept4</c> exists since FreeBSD 10.</summary>
    public const bool HasAccept4 = true;            // sys/socket.h
}

/// <summary>FreeBSD's kqueue values (<c>sys/event.h</c>).</summary>
internal static class KqueueConstants
{
    public const short EVFILT_READ = -1;        // sys/event.h
    public const short EVFILT_WRITE = -2;       // sys/event.h
    public const short EVFILT_USER = -11;       // sys/event.h

    public const ushort EV_ADD = 0x0001;        // sys/event.h
    public const ushort EV_DELETE = 0x0002;     // sys/event.h
    public const ushort EV_CLEAR = 0x0020;      // sys/event.h
    public const ushort EV_RECEIPT = 0x0040;    // sys/event.h
    public const ushort EV_ERROR = 0x4000;      // sys/event.h
    public const ushort EV_EOF = 0x8000;        // sys/event.h

    public const uint NOTE_TRIGGER = 0x01000000; // sys/event.h
}
