using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using EchoHost.Hosting;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Tests;

/// <summary>The service's instruments (meter <c>EchoHost</c>) count what real clients did over real sockets.</summary>
public sealed class InstrumentTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Echo_connections_and_bytes_are_counted(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var metrics = new ServiceMeasurements(server);
        var echo = server.App.Services.GetRequiredService<ListeningEndpoints>().GetBound().Single(e => e.Definition.Name == "echo").EndPoint;

        var payload = Encoding.ASCII.GetBytes(new string('e', 1000));
        using (var socket = await Loopback.ConnectAsync(echo))
        {
            await Loopback.SendAllAsync(socket, payload);
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await Loopback.ReadToEndAsync(socket));
        }

        // The server closes its side after the echo; its count of closed connections follows.
        await metrics.WaitForAsync("echohost.connections.closed", ("endpoint", "echo"), 1);
        Assert.Equal(1, metrics.Read("echohost.connections.accepted", ("endpoint", "echo"), ("protocol", "echo"), ("transport", transport.ToLowerInvariant())));
        Assert.Equal(0, metrics.Read("echohost.connections.active", ("endpoint", "echo")));
        Assert.Equal(1000, metrics.Read("echohost.bytes.received", ("endpoint", "echo")));
        Assert.Equal(1000, metrics.Read("echohost.bytes.sent", ("endpoint", "echo")));
        Assert.Equal(0, metrics.Read("echohost.bytes.received", ("endpoint", "framed")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Framed_frames_messages_and_errors_are_counted_by_kind_type_and_code(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport);
        using var metrics = new ServiceMeasurements(server);
        using var client = await server.ConnectAsync();

        Assert.Equal(FrameKind.Response, (await client.CallAsync(1, MessageTypes.Echo, "hi"u8.ToArray())).Kind);
        Assert.Equal(ErrorCodes.InvalidUtf8, (await client.CallAsync(2, MessageTypes.Uppercase, [0xFF])).Code);
        Assert.Equal(ErrorCodes.UnknownType, (await client.CallAsync(3, 0x4F, [])).Code);
        Assert.Equal(FrameKind.Response, (await client.CallAsync(4, TestHandlers.Sync, [])).Kind);
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, "p"u8));
        Assert.Equal(FrameKind.Pong, (await client.ReadFrameAsync()).Kind);
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Response, []));
        Assert.Equal(ErrorCodes.UnknownKind, (await client.ReadFrameAsync()).Code);

        Assert.Equal(1, metrics.Read("echohost.connections.active", ("endpoint", "framed"), ("protocol", "framed")));
        Assert.Equal(4, metrics.Read("echohost.frames.received", ("endpoint", "framed"), ("kind", "request")));
        Assert.Equal(1, metrics.Read("echohost.frames.received", ("kind", "ping")));
        Assert.Equal(1, metrics.Read("echohost.frames.received", ("kind", "other")));
        Assert.Equal(2, metrics.Read("echohost.frames.sent", ("kind", "response")));
        Assert.Equal(3, metrics.Read("echohost.frames.sent", ("kind", "error")));
        Assert.Equal(1, metrics.Read("echohost.frames.sent", ("kind", "pong")));
        Assert.Equal(1, metrics.Read("echohost.messages.handled", ("type", "echo")));
        Assert.Equal(1, metrics.Read("echohost.messages.handled", ("type", "uppercase")));
        Assert.Equal(1, metrics.Read("echohost.messages.handled", ("type", "unknown")));
        Assert.Equal(1, metrics.Read("echohost.messages.handled", ("type", "0x54")));
        Assert.Equal(0, metrics.Read("echohost.messages.handled", ("type", "reverse")));
        Assert.Equal(1, metrics.Read("echohost.errors", ("code", ErrorCodes.InvalidUtf8)));
        Assert.Equal(1, metrics.Read("echohost.errors", ("code", ErrorCodes.UnknownType)));
        Assert.Equal(1, metrics.Read("echohost.errors", ("code", ErrorCodes.UnknownKind)));
        Assert.Equal(0, metrics.Read("echohost.errors", ("code", ErrorCodes.Timeout)));
        Assert.Equal(1, metrics.HistogramCount("echohost.handler.duration", ("type", "0x54")));
        Assert.True(metrics.Read("echohost.bytes.sent", ("endpoint", "framed")) > 0);
    }

    [Fact]
    public async Task Stats_reads_the_same_counters_as_the_metrics()
    {
        await using var server = await FramedServer.StartAsync("Native");
        using var metrics = new ServiceMeasurements(server);
        using var client = await server.ConnectAsync();
        await client.CallAsync(1, MessageTypes.Echo, "abc"u8.ToArray());
        await client.CallAsync(2, 0x4F, []);

        var stats = Encoding.UTF8.GetString((await client.CallAsync(3, MessageTypes.Stats, [])).Data);

        // Stats answers before it counts itself: two requests handled, one of them with an error.
        Assert.Contains("\"activeConnections\":1,\"totalConnections\":1,\"messagesHandled\":2,\"errors\":1,", stats, StringComparison.Ordinal);
        Assert.Equal(3, metrics.Read("echohost.messages.handled"));
    }
}
