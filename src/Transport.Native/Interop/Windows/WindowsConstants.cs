namespace EchoHost.Transport.Native.Interop.Windows;

/// <summary>Values from <c>winsock2.h</c>, <c>ws2def.h</c>, <c>mswsock.h</c> and <c>winerror.h</c>.</summary>
internal static class WinSockConstants
{
    public const nint InvalidSocket = -1;

    public const int SOCK_STREAM = 1;
    public const int IPPROTO_TCP = 6;
    public const uint WSA_FLAG_OVERLAPPED = 0x01;
    public const uint WSA_FLAG_NO_HANDLE_INHERIT = 0x80;

    public const int SOL_SOCKET = 0xFFFF;
    public const int SO_LINGER = 0x0080;
    public const int SO_UPDATE_ACCEPT_CONTEXT = 0x700B;
    public const int TCP_NODELAY = 0x0001;
    public const int SD_SEND = 1;

    public const uint SIO_GET_EXTENSION_FUNCTION_POINTER = 0xC8000006;

    /// <summary><c>sizeof(WSAPROTOCOL_INFOW)</c>, and where its fields of interest lie.</summary>
    public const int ProtocolInfoSize = 628;
    public const int ProtocolInfoServiceFlags1Offset = 0;
    public const int ProtocolInfoProtocolOffset = 92;

    /// <summary>The provider's sockets are real handles of the kernel's file system (no layered provider in between).</summary>
    public const uint XP1_IFS_HANDLES = 0x00020000;

    /// <summary><c>WSAID_ACCEPTEX</c>.</summary>
    public static readonly Guid AcceptExId = new(0xb5367df1, 0xcbac, 0x11cf, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92);
}

/// <summary>Values from <c>winbase.h</c> and <c>winerror.h</c>.</summary>
internal static class Win32Constants
{
    public const uint Infinite = 0xFFFFFFFF;
    public const byte FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
    public const byte FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

    public const int ERROR_INVALID_HANDLE = 6;
    public const int ERROR_ABANDONED_WAIT_0 = 735;
    public const int ERROR_OPERATION_ABORTED = 995;
    public const int ERROR_IO_PENDING = 997;
}

/// <summary>The NTSTATUS values a socket operation's completion carries, from <c>ntstatus.h</c>.</summary>
internal static class NtStatus
{
    public const uint Success = 0;
    public const uint IoTimeout = 0xC00000B5;
    public const uint InsufficientResources = 0xC000009A;
    public const uint Cancelled = 0xC0000120;
    public const uint LocalDisconnect = 0xC000013B;
    public const uint RemoteDisconnect = 0xC000013C;
    public const uint ConnectionDisconnected = 0xC000020C;
    public const uint ConnectionReset = 0xC000020D;
    public const uint ConnectionAborted = 0xC0000241;
    public const uint InvalidHandle = 0xC0000008;
    public const uint NoMemory = 0xC0000017;
    public const uint PipeDisconnected = 0xC00000B0;
}
