using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EchoHost.Configuration;
using EchoHost.Protocol;
using EchoHost.Serving.WebSockets;
using EchoHost.Tests.Support;
using static EchoHost.Tests.WebSockets.WebSocketClient;

namespace EchoHost.Tests.WebSockets;

/// <summary>
/// The <c>echohost.framed</c> subprotocol: one frame per binary message, served by the framed endpoint's dispatcher
/// and handlers (built-in and the application's), ending as a framed connection ends.
/// </summary>
public class FramedSubprotocolTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static Task<ClientWebSocket> ConnectFramedAsync(FramedServer server) =>
        ConnectAsync(server, options => options.AddSubProtocol(WebSocketEchoOptions.FramedSubProtocol));

    private static Task SendFrameAsync(WebSocket client, byte[] frame) =>
        client.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    /// <summary>The next message, which must be one binary frame.</summary>
    private static async Task<ReceivedFrame> ReceiveFrameAsync(WebSocket client)
    {
        var (type, data) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(data.Length - Frame.HeaderSize, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data));
        return new ReceivedFrame(data[4], data[Frame.HeaderSize..]);
    }

    private static async Task<ReceivedFrame> CallAsync(WebSocket client, ulong id, byte type, string data)
    {
        await SendFrameAsync(client, FramedTestClient.Request(id, type, Utf8(data)));
        var frame = await ReceiveFrameAsync(client);
        Assert.True(frame.Kind == FrameKind.Response, $"expected a Response, got {frame}");
        Assert.Equal(id, frame.Id);
        Assert.Equal(type, frame.Type);
        return frame;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Every_handler_answers_through_the_subprotocol(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectFramedAsync(server);
        Assert.Equal(WebSocketEchoOptions.FramedSubProtocol, client.SubProtocol);

        Assert.Equal("hello", (await CallAsync(client, 1, MessageTypes.Echo, "hello")).Text);
        Assert.Equal("olléh", (await CallAsync(client, 2, MessageTypes.Reverse, "hello".Replace("e", "é", StringComparison.Ordinal))).Text);
        Assert.Equal("HÉLLO", (await CallAsync(client, 3, MessageTypes.Uppercase, "héllo")).Text);

        using (var stats = JsonDocument.Parse((await CallAsync(client, 4, MessageTypes.Stats, "")).Data))
        {
            Assert.True(stats.RootElement.GetProperty("uptimeSeconds").GetInt64() >= 0);
        }

        // The application's handlers: the synchronous fast path and an asynchronous delegate.
        var sync = await CallAsync(client, 5, TestHandlers.Sync, "app");
        Assert.Equal("app!", sync.Text);
        Assert.Equal(Utf8("sync"), sync.Metadata["path"]);
        var async = await CallAsync(client, 6, TestHandlers.Async, "later");
        Assert.Equal("later", async.Text);
        Assert.Equal(Utf8("async"), async.Metadata["path"]);

        // Ping and an unknown Type, as on a framed endpoint.
        await SendFrameAsync(client, FramedTestClient.Frame((byte)FrameKind.Ping, "pp"u8));
        var pong = await ReceiveFrameAsync(client);
        Assert.Equal(FrameKind.Pong, pong.Kind);
        Assert.Equal(Utf8("pp"), pong.Payload);
        await SendFrameAsync(client, FramedTestClient.Request(7, 0x56, "x"u8));
        var unknown = await ReceiveFrameAsync(client);
        Assert.Equal(ErrorCodes.UnknownType, unknown.Code);

        Assert.Equal(8, Counters(server).Messages(received: true, WebSocketMessageType.Binary));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Pipelined_requests_are_all_answered_before_the_close_is_answered(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectFramedAsync(server);

        for (ulong id = 1; id <= 50; id++)
        {
            await SendFrameAsync(client, FramedTestClient.Request(id, id % 2 == 0 ? TestHandlers.Async : MessageTypes.Echo, Utf8($"n{id}")));
        }

        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await client.CloseOutputAsync((WebSocketCloseStatus)4000, "bye", timeout.Token);
        var ids = new HashSet<ulong>();
        while (true)
        {
            var (type, data) = await ReceiveAsync(client);
            if (type == WebSocketMessageType.Close)
            {
                break;
            }

            var frame = new ReceivedFrame(data[4], data[Frame.HeaderSize..]);
            Assert.Equal($"n{frame.Id}", frame.Text);
            ids.Add(frame.Id);
        }

        Assert.Equal(50, ids.Count);
        Assert.Equal((WebSocketCloseStatus)4000, client.CloseStatus);
    }

    [Theory]
    [InlineData("Sockets", false)]
    [InlineData("Native", false)]
    [InlineData("Sockets", true)]
    [InlineData("Native", true)]
    public async Task A_message_that_is_not_one_frame_closes_after_the_answers(string transport, bool text)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectFramedAsync(server);

        await SendFrameAsync(client, FramedTestClient.Request(1, MessageTypes.Echo, "first"u8));
        if (text)
        {
            await SendTextAsync(client, "not a frame");
        }
        else
        {
            // Two frames in one message.
            await SendFrameAsync(client, [.. FramedTestClient.Request(2, MessageTypes.Echo, "a"u8), .. FramedTestClient.Request(3, MessageTypes.Echo, "b"u8)]);
        }

        Assert.Equal("first", (await ReceiveFrameAsync(client)).Text);
        Assert.Equal(text ? WebSocketCloseStatus.InvalidMessageType : WebSocketCloseStatus.InvalidPayloadData, await ReceiveCloseAsync(client));
        Assert.Equal(1, Counters(server).Failures(WebSocketFailure.NotAFrame));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_frame_longer_than_MaxFrameBytes_gets_frame_too_large_then_close_1009(string transport)
    {
        await using var server = await StartServerAsync(transport, "--EchoHost:Framed:MaxFrameBytes=100");
        using var client = await ConnectFramedAsync(server);

        await SendFrameAsync(client, FramedTestClient.Request(1, MessageTypes.Echo, new byte[100]));

        var error = await ReceiveFrameAsync(client);
        Assert.Equal(ErrorCodes.FrameTooLarge, error.Code);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ReceiveCloseAsync(client));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Shutdown_sends_GoAway_answers_what_was_read_and_closes_with_1001(string transport)
    {
        var server = await StartServerAsync(transport);
        try
        {
            using var client = await ConnectFramedAsync(server);
            await SendFrameAsync(client, FramedTestClient.Request(1, TestHandlers.Gated, "held"u8));
            await server.Gate.WaitForEnteredAsync(1);

            var stopping = server.App.StopAsync();
            var goAway = await ReceiveFrameAsync(client);
            Assert.Equal(FrameKind.GoAway, goAway.Kind);

            server.Gate.Release();
            var answer = await ReceiveFrameAsync(client);
            Assert.Equal(1UL, answer.Id);
            Assert.Equal("held", answer.Text);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await ReceiveCloseAsync(client));

            using var timeout = new CancellationTokenSource(Loopback.Timeout);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            await stopping.WaitAsync(timeout.Token);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
