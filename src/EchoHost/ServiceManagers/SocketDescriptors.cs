using System.Runtime.InteropServices;
using EchoHost.Configuration;

namespace EchoHost.ServiceManagers;

/// <summary>
/// Checks that a handed-over descriptor is a listening stream socket, so that a wrong unit (a datagram socket, a FIFO)
/// is said at start-up rather than found by the transport, and marks it close-on-exec so that no program the service
/// might start inherits a listening socket. The calls are POSIX; their constants differ between Linux and the BSDs
/// (macOS, FreeBSD). <c>fcntl</c> is variadic, which Apple's arm64 ABI passes differently from a P/Invoke, so
/// close-on-exec is set with <c>ioctl(FIOCLEX)</c>, which takes no argument.
/// </summary>
internal static partial class SocketDescriptors
{
    private const string Library = "libc";
    private const int SockStream = 1;

    private static readonly bool Bsd = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();
    private static readonly int SolSocket = Bsd ? 0xffff : 1;
    private static readonly int SoType = Bsd ? 0x1008 : 3;
    private static readonly int SoAcceptConn = Bsd ? 0x0002 : 30;
    private static readonly nuint FioClex = Bsd ? 0x20006601u : 0x5451u;

    /// <summary>Throws <see cref="EchoHostConfigurationException"/> unless <paramref name="socket"/> is a listening stream socket; then sets close-on-exec.</summary>
    public static void Prepare(InheritedSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!TryGetOption(socket.Descriptor, SoType, out var type, out var errno))
        {
            throw new EchoHostConfigurationException($"The {socket} is not a socket: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        if (type != SockStream || !TryGetOption(socket.Descriptor, SoAcceptConn, out var listening, out _) || listening == 0)
        {
            throw new EchoHostConfigurationException(
                $"The {socket} is not a listening stream socket; endpoints take ListenStream= sockets (SockType stream under launchd)");
        }

        if (IoCtl(socket.Descriptor, FioClex) != 0)
        {
            throw new EchoHostConfigurationException(
                $"The {socket} cannot be marked close-on-exec: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>Reads an integer option of level <c>SOL_SOCKET</c>; false with errno when the call fails.</summary>
    private static unsafe bool TryGetOption(int descriptor, int option, out int value, out int errno)
    {
        int result = 0;
        int length = sizeof(int);
        if (GetSockOpt(descriptor, SolSocket, option, &result, &length) != 0)
        {
            value = 0;
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        value = result;
        errno = 0;
        return true;
    }

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOpt(int socket, int level, int option, int* value, int* length);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoCtl(int descriptor, nuint request);
}
