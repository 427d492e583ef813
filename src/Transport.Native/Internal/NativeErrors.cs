using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using EchoHost.Transport.Native.Interop.Linux;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Turns errno values into the exceptions Kestrel and applications expect from a transport.</summary>
internal static class NativeErrors
{
    public static Exception Exception(string call, int errno)
        => new SocketException(errno == 0 ? (int)SocketError.SocketError : ToSocketError(errno), $"{call} failed: {Describe(errno)}");

    /// <summary>The exception that completes a connection's pipes when a receive or send fails.</summary>
    public static Exception ConnectionError(int errno) => errno switch
    {
        Errno.ECONNRESET or Errno.EPIPE or Errno.ECONNABORTED or Errno.ETIMEDOUT
            => new ConnectionResetException(Describe(errno), new SocketException(ToSocketError(errno))),
        _ => new IOException(Describe(errno), new SocketException(ToSocketError(errno))),
    };

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static bool IsOutOfDescriptors(int errno) => errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM;

    private static int ToSocketError(int errno) => errno switch
    {
        Errno.ECONNRESET => (int)SocketError.ConnectionReset,
        Errno.EPIPE => (int)SocketError.Shutdown,
        Errno.ECONNABORTED => (int)SocketError.ConnectionAborted,
        Errno.ETIMEDOUT => (int)SocketError.TimedOut,
        Errno.EMFILE or Errno.ENFILE => (int)SocketError.TooManyOpenSockets,
        Errno.ENOBUFS or Errno.ENOMEM => (int)SocketError.NoBufferSpaceAvailable,
        Errno.EBADF or Errno.ENOTSOCK => (int)SocketError.NotSocket,
        Errno.EINVAL => (int)SocketError.InvalidArgument,
        _ => (int)SocketError.SocketError,
    };
}
