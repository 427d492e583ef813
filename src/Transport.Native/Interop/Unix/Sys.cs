using Linux = EchoHost.Transport.Native.Interop.Linux;
using MacOS = EchoHost.Transport.Native.Interop.MacOS;
using FreeBsd = EchoHost.Transport.Native.Interop.FreeBsd;

namespace EchoHost.Transport.Native.Interop.Unix;

/// <summary>
/// The values of the running system, picked once from the per-system tables (<c>Interop/Linux</c>,
/// <c>Interop/MacOS</c>, <c>Interop/FreeBsd</c>). They are <c>static readonly</c>: once this class is initialized the
/// JIT compiles them as constants, so the hot path compares errno with a constant and calls <see cref="Libc"/>
/// directly, as it would with <c>const</c> values of one system. Elsewhere (Windows) the Linux values stand, unused.
/// </summary>
internal static class Sys
{
    public static readonly int EPERM = Pick(Linux.Errno.EPERM, MacOS.Errno.EPERM, FreeBsd.Errno.EPERM);
    public static readonly int EINTR = Pick(Linux.Errno.EINTR, MacOS.Errno.EINTR, FreeBsd.Errno.EINTR);
    public static readonly int EBADF = Pick(Linux.Errno.EBADF, MacOS.Errno.EBADF, FreeBsd.Errno.EBADF);
    public static readonly int EAGAIN = Pick(Linux.Errno.EAGAIN, MacOS.Errno.EAGAIN, FreeBsd.Errno.EAGAIN);
    public static readonly int ENOMEM = Pick(Linux.Errno.ENOMEM, MacOS.Errno.ENOMEM, FreeBsd.Errno.ENOMEM);
    public static readonly int EINVAL = Pick(Linux.Errno.EINVAL, MacOS.Errno.EINVAL, FreeBsd.Errno.EINVAL);
    public static readonly int ENFILE = Pick(Linux.Errno.ENFILE, MacOS.Errno.ENFILE, FreeBsd.Errno.ENFILE);
    public static readonly int EMFILE = Pick(Linux.Errno.EMFILE, MacOS.Errno.EMFILE, FreeBsd.Errno.EMFILE);
    public static readonly int EPIPE = Pick(Linux.Errno.EPIPE, MacOS.Errno.EPIPE, FreeBsd.Errno.EPIPE);
    public static readonly int EPROTO = Pick(Linux.Errno.EPROTO, MacOS.Errno.EPROTO, FreeBsd.Errno.EPROTO);
    public static readonly int ENOTSOCK = Pick(Linux.Errno.ENOTSOCK, MacOS.Errno.ENOTSOCK, FreeBsd.Errno.ENOTSOCK);
    public static readonly int ECONNABORTED = Pick(Linux.Errno.ECONNABORTED, MacOS.Errno.ECONNABORTED, FreeBsd.Errno.ECONNABORTED);
    public static readonly int ECONNRESET = Pick(Linux.Errno.ECONNRESET, MacOS.Errno.ECONNRESET, FreeBsd.Errno.ECONNRESET);
    public static readonly int ENOBUFS = Pick(Linux.Errno.ENOBUFS, MacOS.Errno.ENOBUFS, FreeBsd.Errno.ENOBUFS);
    public static readonly int ETIMEDOUT = Pick(Linux.Errno.ETIMEDOUT, MacOS.Errno.ETIMEDOUT, FreeBsd.Errno.ETIMEDOUT);

    public static readonly int AF_INET = Pick(Linux.SocketConstants.AF_INET, MacOS.SocketConstants.AF_INET, FreeBsd.SocketConstants.AF_INET);
    public static readonly int AF_INET6 = Pick(Linux.SocketConstants.AF_INET6, MacOS.SocketConstants.AF_INET6, FreeBsd.SocketConstants.AF_INET6);
    public static readonly int SOL_SOCKET = Pick(Linux.SocketConstants.SOL_SOCKET, MacOS.SocketConstants.SOL_SOCKET, FreeBsd.SocketConstants.SOL_SOCKET);
    public static readonly int SO_LINGER = Pick(Linux.SocketConstants.SO_LINGER, MacOS.SocketConstants.SO_LINGER, FreeBsd.SocketConstants.SO_LINGER);

    /// <summary>The option that makes a group of listening sockets share a port and its connections.</summary>
    public static readonly int SO_REUSEPORT = Pick(Linux.SocketConstants.SO_REUSEPORT, MacOS.SocketConstants.SO_REUSEPORT, FreeBsd.SocketConstants.SO_REUSEPORT_LB);

    /// <summary>Set on each accepted socket where sends cannot say it themselves (macOS); 0 elsewhere.</summary>
    public static readonly int SO_NOSIGPIPE = Pick(0, MacOS.SocketConstants.SO_NOSIGPIPE, 0);

    /// <summary>Passed to every send; 0 where the socket carries <see cref="SO_NOSIGPIPE"/> instead (macOS).</summary>
    public static readonly int MSG_NOSIGNAL = Pick(Linux.SocketConstants.MSG_NOSIGNAL, 0, FreeBsd.SocketConstants.MSG_NOSIGNAL);

    public static readonly bool HasAccept4 = Pick(Linux.SocketConstants.HasAccept4, MacOS.SocketConstants.HasAccept4, FreeBsd.SocketConstants.HasAccept4);

    /// <summary><c>accept4</c>'s flags: non-blocking and close-on-exec (unused on macOS).</summary>
    public static readonly int AcceptFlags = Pick(
        Linux.SocketConstants.SOCK_NONBLOCK | Linux.SocketConstants.SOCK_CLOEXEC,
        0,
        FreeBsd.SocketConstants.SOCK_NONBLOCK | FreeBsd.SocketConstants.SOCK_CLOEXEC);

    public static readonly uint FIOCLEX = Pick(0u, MacOS.SocketConstants.FIOCLEX, 0u);

    public static readonly bool SockAddrHasLength = Pick(Linux.SocketConstants.SockAddrHasLength, MacOS.SocketConstants.SockAddrHasLength, FreeBsd.SocketConstants.SockAddrHasLength);

    public static readonly int SHUT_WR = Pick(Linux.SocketConstants.SHUT_WR, MacOS.SocketConstants.SHUT_WR, FreeBsd.SocketConstants.SHUT_WR);
    public static readonly int RLIMIT_NOFILE = Pick(Linux.SocketConstants.RLIMIT_NOFILE, MacOS.SocketConstants.RLIMIT_NOFILE, FreeBsd.SocketConstants.RLIMIT_NOFILE);

    private static T Pick<T>(T linux, T macOS, T freeBsd)
        => OperatingSystem.IsMacOS() ? macOS : OperatingSystem.IsFreeBSD() ? freeBsd : linux;
}
