using System.Runtime.InteropServices;

namespace EchoHost.Transport.Native.Interop.Windows;

/// <summary>
/// The Winsock calls of the IOCP engine. Every call returns Winsock's result; on failure the caller reads
/// <see cref="Marshal.GetLastPInvokeError"/> (which is <c>WSAGetLastError</c>). Nothing here throws. Winsock is started
/// by the runtime's <see cref="System.Net.Sockets.Socket"/>, which opens the listening sockets first.
/// </summary>
internal static unsafe partial class WinSock
{
    private const string Library = "ws2_32.dll";

    [LibraryImport(Library, EntryPoint = "WSASocketW", SetLastError = true)]
    public static partial nint WSASocket(int addressFamily, int type, int protocol, nint protocolInfo, uint group, uint flags);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int WSARecv(nint socket, WsaBuf* buffers, uint bufferCount, uint* bytesReceived, uint* flags, NativeOverlapped* overlapped, nint completionRoutine);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int WSASend(nint socket, WsaBuf* buffers, uint bufferCount, uint* bytesSent, uint flags, NativeOverlapped* overlapped, nint completionRoutine);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int WSAIoctl(nint socket, uint controlCode, void* inBuffer, uint inLength, void* outBuffer, uint outLength, uint* bytesReturned, NativeOverlapped* overlapped, nint completionRoutine);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(nint socket, int level, int name, void* value, int length);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(nint socket, byte* address, int* length);

    [LibraryImport(Library, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(nint socket, byte* address, int* length);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(nint socket, int how);

    [LibraryImport(Library, EntryPoint = "WSAEnumProtocolsW", SetLastError = true)]
    public static partial int WSAEnumProtocols(int* protocols, byte* buffer, uint* bufferLength);

    [LibraryImport(Library, EntryPoint = "closesocket", SetLastError = true)]
    public static partial int CloseSocket(nint socket);
}
