using System.Net.Sockets;
using EchoHost.Transport.Native.Internal.Iocp;
using EchoHost.Transport.Native.Interop.Windows;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// The IOCP engine's error mapping, which is plain code and so runs here; the engine itself runs under Wine in the
/// end-to-end tests. A completion carries an NTSTATUS, which must become the Winsock error that Kestrel's Sockets
/// transport would have seen, and that error the exception it would have thrown.
/// </summary>
public sealed class IocpErrorsTests
{
    public static TheoryData<uint, SocketError> Statuses => new()
    {
        { NtStatus.Success, SocketError.Success },
        { NtStatus.Cancelled, SocketError.OperationAborted },
        { NtStatus.ConnectionReset, SocketError.ConnectionReset },
        { NtStatus.RemoteDisconnect, SocketError.ConnectionReset },
        { NtStatus.ConnectionDisconnected, SocketError.ConnectionReset },
        { NtStatus.LocalDisconnect, SocketError.ConnectionAborted },
        { NtStatus.ConnectionAborted, SocketError.ConnectionAborted },
        { NtStatus.IoTimeout, SocketError.TimedOut },
        { NtStatus.InsufficientResources, SocketError.NoBufferSpaceAvailable },
        { NtStatus.InvalidHandle, SocketError.NotSocket },
        { 0xC0000001, SocketError.SocketError },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void A_completion_status_becomes_the_winsock_error(uint status, SocketError expected)
        => Assert.Equal((int)expected, IocpErrors.FromNtStatus(status));

    [Theory]
    [InlineData(SocketError.ConnectionReset)]
    [InlineData(SocketError.ConnectionAborted)]
    [InlineData(SocketError.NetworkReset)]
    [InlineData(SocketError.Shutdown)]
    [InlineData(SocketError.TimedOut)]
    [InlineData(SocketError.OperationAborted)]
    public void A_connection_that_broke_ends_with_a_reset_exception(SocketError error)
    {
        var exception = IocpErrors.ConnectionError((int)error);

        var reset = Assert.IsType<ConnectionResetException>(exception);
        Assert.Equal(error, Assert.IsType<SocketException>(reset.InnerException).SocketErrorCode);
    }

    [Theory]
    [InlineData(SocketError.NoBufferSpaceAvailable)]
    [InlineData(SocketError.NotSocket)]
    [InlineData(SocketError.SocketError)]
    public void Other_errors_end_the_connection_with_an_io_exception(SocketError error)
    {
        var exception = IocpErrors.ConnectionError((int)error);

        var io = Assert.IsType<IOException>(exception);
        Assert.Equal(error, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
    }
}
