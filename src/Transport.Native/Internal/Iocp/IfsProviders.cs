using EchoHost.Transport.Native.Interop.Windows;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// Whether every TCP provider of this machine's Winsock catalog hands out IFS handles. A layered service provider that
/// does not may queue a completion for a call that succeeded at once even when asked not to, so the engine skips
/// completions on success only when all are IFS (as the runtime's Sockets do).
/// </summary>
internal static unsafe class IfsProviders
{
    /// <summary>Reads the catalog; call once Winsock is started.</summary>
    public static bool AllTcpProvidersAreIfs()
    {
        int* protocols = stackalloc int[] { WinSockConstants.IPPROTO_TCP, 0 };
        uint length = 0;
        if (WinSock.WSAEnumProtocols(protocols, null, &length) >= 0 || length == 0)
        {
            return false;
        }

        byte[] buffer = new byte[length];
        fixed (byte* infos = buffer)
        {
            int count = WinSock.WSAEnumProtocols(protocols, infos, &length);
            if (count <= 0)
            {
                return false;
            }

            for (int i = 0; i < count; i++)
            {
                byte* info = infos + (i * WinSockConstants.ProtocolInfoSize);
                uint serviceFlags = *(uint*)(info + WinSockConstants.ProtocolInfoServiceFlags1Offset);
                int protocol = *(int*)(info + WinSockConstants.ProtocolInfoProtocolOffset);
                if (protocol == WinSockConstants.IPPROTO_TCP && (serviceFlags & WinSockConstants.XP1_IFS_HANDLES) == 0)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
