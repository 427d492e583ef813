using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;

namespace EchoHost.EndToEnd.Tests;

/// <summary>How EchoHost ends: SIGTERM drains and exits 0; clients that vanish leave no error behind.</summary>
public partial class ShutdownTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Sigterm_closes_client_connections_and_exits_with_0(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        var endPoint = await process.EndPointAsync("echo");
        using var idle = await Loopback.ConnectAsync(endPoint);
        using var busy = await Loopback.ConnectAsync(endPoint);
        await Loopback.SendAllAsync(busy, "before the signal"u8.ToArray());
        var echoed = new byte["before the signal"u8.Length];
        await Loopback.ReadExactlyAsync(busy, echoed);

        process.Terminate();

        Assert.True(await Loopback.WaitForCloseAsync(idle));
        Assert.True(await Loopback.WaitForCloseAsync(busy));
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Contains("Stopped", process.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("", process.StandardError);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Clients_that_reset_leave_no_error_in_the_log(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        var endPoint = await process.EndPointAsync("echo");
        for (var i = 0; i < 20; i++)
        {
            var socket = await Loopback.ConnectAsync(endPoint);
            await Loopback.SendAllAsync(socket, Loopback.Payload(128 * 1024, i));
            Loopback.Reset(socket);
        }

        var payload = Loopback.Payload(1000);
        Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));

        // A graceful stop waits for every connection's handler, so all they would log is in the output after it.
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.DoesNotMatch(ErrorLine(), process.StandardOutput);
        Assert.Equal("", process.StandardError);
    }

    [GeneratedRegex(@" (ERR|FTL) ")]
    private static partial Regex ErrorLine();
}
