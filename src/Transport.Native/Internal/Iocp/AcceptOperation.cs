using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Windows;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// One outstanding <c>AcceptEx</c> of a listener: a socket made in advance for the connection, and room for the two
/// addresses AcceptEx writes. Reused, with a new socket, after each connection is handed to Kestrel.
/// </summary>
internal sealed unsafe class AcceptOperation(IocpListener listener) : IocpOperation(2 * AddressLength)
{
    /// <summary>Room for one address: AcceptEx wants the largest <c>sockaddr</c> of the family plus 16 bytes.</summary>
    private const int AddressLength = SockAddr.BufferSize + 16;

    /// <summary>The socket the next connection is accepted into; <see cref="WinSockConstants.InvalidSocket"/> between uses.</summary>
    public nint Socket { get; set; } = WinSockConstants.InvalidSocket;

    /// <summary>Issues the accept; returns 0 (done), ERROR_IO_PENDING, or the error.</summary>
    public int Issue(delegate* unmanaged<nint, nint, void*, uint, uint, uint, uint*, NativeOverlapped*, int> acceptEx, nint listenSocket)
    {
        Reset();
        uint received;
        return acceptEx(listenSocket, Socket, Extra, 0, AddressLength, AddressLength, &received, Overlapped) != 0
            ? 0
            : Marshal.GetLastSystemError();
    }

    public override void OnCompleted(int error, uint bytesTransferred) => listener.OnAcceptCompleted(this, error);
}
