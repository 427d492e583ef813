using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Turns errno values into the exceptions Kestrel and applications expect from a transport.</summary>
internal static class NativeErrors
{
    public static Exception Exception(string call, int errno)
        => new SocketException(errno == 0 ? (int)SocketError.SocketError : ToSocketError(errno), $"{call} failed: {Describe(errno)}");

    /// <summary>The exception that completes a connection's pipes when a receive or send fails.</summary>
    public static Exception ConnectionError(int errno)
        => errno == Sys.ECONNRESET || errno == Sys.EPIPE || errno == Sys.ECONNABORTED || errno == Sys.ETIMEDOUT
            ? new ConnectionResetException(Describe(errno), new SocketException(ToSocketError(errno)))
            : new IOException(Describe(errno), new SocketException(ToSocketError(errno)));

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static bool IsOutOfDescriptors(int errno) => errno == Sys.EMFILE || errno == Sys.ENFILE || errno == Sys.ENOBUFS || errno == Sys.ENOMEM;

    // errno values differ by system (Sys), so they are compared, not matched as constants.
    private static int ToSocketError(int errno)
    {
        SocketError error =
            errno == Sys.ECONNRESET ? SocketError.ConnectionReset :
            errno == Sys.EPIPE ? SocketError.Shutdown :
            errno == Sys.ECONNABORTED ? SocketError.ConnectionAborted :
            errno == Sys.ETIMEDOUT ? SocketError.TimedOut :
            errno == Sys.EMFILE || errno == Sys.ENFILE ? SocketError.TooManyOpenSockets :
            errno == Sys.ENOBUFS || errno == Sys.ENOMEM ? SocketError.NoBufferSpaceAvailable :
            errno == Sys.EBADF || errno == Sys.ENOTSOCK ? SocketError.NotSocket :
            errno == Sys.EINVAL ? SocketError.InvalidArgument :
            SocketError.SocketError;
        return (int)error;
    }
}
