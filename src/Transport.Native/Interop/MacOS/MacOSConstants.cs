namespace EchoHost.Transport.Native.Interop.MacOS;

/// <summary>macOS's errno values (<c>sys/errno.h</c>).</summary>
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
    public const int EPROTO = 100;      // sys/errno.h
}

/// <summary>macOS's socket, descriptor and resource values.</summary>
internal static class SocketConstants
{
    public const int AF_INET = 2;               // sys/socket.h
    public const int AF_INET6 = 30;             // sys/socket.h

    public const int SOL_SOCKET = 0xffff;       // sys/socket.h

    /// <summary>In clock ticks on macOS (<c>SO_LINGER_SEC</c> takes seconds); the transport only sets 0, the same in both.</summary>
    public const int SO_LINGER = 0x0080;        // sys/socket.h

    /// <summary>Lets several sockets bind the port; unlike Linux, macOS does not spread connections over them.</summary>
    public const int SO_REUSEPORT = 0x0200;     // sys/socket.h

    /// <summary>No SIGPIPE from a send to a closed connection: an option per socket (macOS has no <c>MSG_NOSIGNAL</c>).</summary>
    public const int SO_NOSIGPIPE = 0x1022;     // sys/socket.h

    public const int SHUT_WR = 1;               // sys/socket.h

    public const int RLIMIT_NOFILE = 8;         // sys/resource.h

    /// <summary><c>_IO('f', 1)</c>: sets close-on-exec, taking no argument.</summary>
    public const uint FIOCLEX = 0x20006601;     // sys/filio.h

    /// <summary><c>struct sockaddr</c> starts with <c>uint8_t sa_len</c>, then <c>sa_family_t sa_family</c> (one byte).</summary>
    public const bool SockAddrHasLength = true; // sys/socket.h

    /// <summary>No <c>accept4</c>: <c>accept</c>, then close-on-exec; the socket inherits O_NONBLOCK from the listener.</summary>
    public const bool HasAccept4 = false;       // sys/socket.h
}

/// <summary>macOS's kqueue values (<c>sys/event.h</c>).</summary>
internal static class KqueueConstants
{
    public const short EVFILT_READ = -1;        // sys/event.h
    public const short EVFILT_WRITE = -2;       // sys/event.h
    public const short EVFILT_USER = -10;       // sys/event.h

    public const ushort EV_ADD = 0x0001;        // sys/event.h
    public const ushort EV_DELETE = 0x0002;     // sys/event.h
    public const ushort EV_CLEAR = 0x0020;      // sys/event.h
    public const ushort EV_RECEIPT = 0x0040;    // sys/event.h
    public const ushort EV_ERROR = 0x4000;      // sys/event.h
    public const ushort EV_EOF = 0x8000;        // sys/event.h

    public const uint NOTE_TRIGGER = 0x01000000; // sys/event.h
}
