using System.Net.Sockets;
using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal.Iocp;

/// <summary>
/// Turns Winsock errors into the exceptions Kestrel and applications expect from a transport, as its Sockets transport
/// does. Winsock's codes are <see cref="SocketError"/>'s values.
/// </summary>
internal static class IocpErrors
{
    /// <summary>What an operation that ended because the transport closed its socket reports.</summary>
    public const int Aborted = (int)SocketError.OperationAborted;

    public static Exception Exception(string call, int error) => new SocketException(error == 0 ? (int)SocketError.SocketError : error, $"{call} failed with {(SocketError)error}");

    /// <summary>The exception that completes a connection's pipes when a receive or send fails.</summary>
    public static Exception ConnectionError(int error) => (SocketError)error switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.NetworkReset or SocketError.Shutdown
            or SocketError.TimedOut or SocketError.OperationAborted
            => new ConnectionResetException(((SocketError)error).ToString(), new SocketException(error)),
        _ => new IOException(((SocketError)error).ToString(), new SocketException(error)),
    };

    /// <summary>
    /// The Winsock error of a completion's NTSTATUS, as <c>WSAGetOverlappedResult</c> would give it; that call needs the
    /// socket, which the transport may have closed by the time the completion arrives.
    /// </summary>
    public static int FromNtStatus(uint status) => status switch
    {
        NtStatus.Success => 0,
        NtStatus.Cancelled => (int)SocketError.OperationAborted,
        NtStatus.ConnectionReset or NtStatus.RemoteDisconnect or NtStatus.ConnectionDisconnected or NtStatus.PipeDisconnected
            => (int)SocketError.ConnectionReset,
        NtStatus.LocalDisconnect or NtStatus.ConnectionAborted => (int)SocketError.ConnectionAborted,
        NtStatus.IoTimeout => (int)SocketError.TimedOut,
        NtStatus.InsufficientResources or NtStatus.NoMemory => (int)SocketError.NoBufferSpaceAvailable,
        NtStatus.InvalidHandle => (int)SocketError.NotSocket,
        _ => (int)SocketError.SocketError,
    };
}
