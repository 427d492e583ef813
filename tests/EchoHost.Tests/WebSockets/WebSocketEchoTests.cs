using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EchoHost.Serving.WebSockets;
using EchoHost.Tests.Support;
using static EchoHost.Tests.WebSockets.WebSocketClient;

namespace EchoHost.Tests.WebSockets;

/// <summary>
/// The WebSocket echo of the http endpoint, with .NET's ClientWebSocket and a raw socket over real loopback sockets,
/// on both transports: message types, fragments, the size bound, bad input, slow and vanishing clients, compression,
/// the close handshake, the idle timeout and the host's shutdown.
/// </summary>
public class WebSocketEchoTests
{
    private const int MiB = 1024 * 1024;

    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Text_and_binary_messages_come_back_with_their_type(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectAsync(server);

        await SendTextAsync(client, "héllo, echo");
        var text = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Text, text.Type);
        Assert.Equal("héllo, echo", Encoding.UTF8.GetString(text.Data));

        byte[] binary = [0, 1, 2, 0xFF, 0xFE];
        await client.SendAsync(binary, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var back = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, back.Type);
        Assert.Equal(binary, back.Data);

        // An empty message is a message too.
        await client.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Empty((await ReceiveAsync(client)).Data);

        var counters = Counters(server);
        Assert.Equal(2, counters.Messages(received: true, WebSocketMessageType.Binary));
        Assert.Equal(1, counters.Messages(received: false, WebSocketMessageType.Text));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_fragmented_message_comes_back_whole(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectAsync(server);

        var parts = new[] { "first part, ", "second part, ", "last part" };
        for (var i = 0; i < parts.Length; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(parts[i]), WebSocketMessageType.Text, endOfMessage: i == parts.Length - 1, CancellationToken.None);
        }

        // One message, not three: the server gathered the fragments before echoing.
        var back = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Text, back.Type);
        Assert.Equal(string.Concat(parts), Encoding.UTF8.GetString(back.Data));
        Assert.Equal(1, Counters(server).Messages(received: true, WebSocketMessageType.Text));

        // A fragmented binary message across the buffer's growth (64 KiB pieces of a 1 MiB message).
        var big = new byte[MiB];
        Random.Shared.NextBytes(big);
        for (var offset = 0; offset < big.Length; offset += 64 * 1024)
        {
            await client.SendAsync(big.AsMemory(offset, 64 * 1024), WebSocketMessageType.Binary, endOfMessage: offset + (64 * 1024) == big.Length, CancellationToken.None);
        }

        Assert.Equal(big, (await ReceiveAsync(client)).Data);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_message_of_MaxMessageBytes_comes_back_and_one_byte_more_closes_with_1009(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectAsync(server);

        var largest = new byte[MiB];
        Random.Shared.NextBytes(largest);
        await client.SendAsync(largest, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(largest, (await ReceiveAsync(client)).Data);

        await client.SendAsync(new byte[MiB + 1], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ReceiveCloseAsync(client));
        await WaitForOpenAsync(server, 0);
        Assert.Equal(1, Counters(server).Failures(WebSocketFailure.MessageTooBig));

        // Only that connection: the next one is served.
        using var next = await ConnectAsync(server);
        await AssertEchoesAsync(next, "after");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_text_message_that_is_not_utf8_closes_with_1007(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var bystander = await ConnectAsync(server);

        // 0xC3 begins a two-byte sequence that 0x28 does not continue. The close is read off the wire, where a reset
        // that follows it on the Sockets transport can be told from it (see AssertBadInputClose).
        using (var client = await UpgradeRawAsync(server))
        {
            await Loopback.SendAllAsync(client, ClientFrame(0x81, [0x61, 0xC3, 0x28]));
            AssertBadInputClose(transport, 1007, await ReadCloseStatusAsync(client));
        }

        await WaitForOpenAsync(server, 1);
        Assert.Equal(1, Counters(server).Failures(WebSocketFailure.InvalidUtf8));
        Assert.Equal(0, Counters(server).Failures(WebSocketFailure.ProtocolError));
        await AssertEchoesAsync(bystander, "undisturbed");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_protocol_violation_closes_that_connection_with_1002_and_is_counted(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var bystander = await ConnectAsync(server);

        // RFC 6455 5.2: reserved bits set without an extension that defines them; an opcode that is not defined; a
        // continuation frame with no message begun. Empty, so that the server has read all the client sent when it
        // closes: bytes left unread would make the kernel reset the connection, which can destroy the close frame.
        foreach (var firstByte in new byte[] { 0xC1, 0x83, 0x80 })
        {
            using var client = await UpgradeRawAsync(server);
            await Loopback.SendAllAsync(client, ClientFrame(firstByte, []));
            AssertBadInputClose(transport, 1002, await ReadCloseStatusAsync(client));
        }

        await WaitForOpenAsync(server, 1);
        await AssertEchoesAsync(bystander, "undisturbed");
        Assert.Equal(3, Counters(server).Failures(WebSocketFailure.ProtocolError));

        // One Warning line sums them up, whatever their number.
        Assert.Single(server.Log.Entries, e => e.Message.Contains("WebSocket connection(s) for bad input", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_that_never_reads_stalls_only_itself(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var stalled = await UpgradeRawAsync(server);
        stalled.ReceiveBufferSize = 4096;

        // The client sends and never reads: the echoes fill the buffers between them, then the server stops reading
        // it and the client's sends stop completing. Bounded, so that a server that buffered without end fails here.
        var message = ClientFrame(0x82, new byte[60 * 1024]);
        long sent = 0;
        const long bound = 512L * MiB;
        while (sent < bound)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await stalled.SendAsync(message, SocketFlags.None, wait.Token);
                sent += message.Length;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Assert.True(sent < bound, $"the server read {sent} bytes from a client that never reads");

        using var other = await ConnectAsync(server);
        await AssertEchoesAsync(other, "served meanwhile");
        await other.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        // Gone without a close: its connection ends, nothing else.
        stalled.LingerState = new LingerOption(true, 0);
        stalled.Close();
        await WaitForOpenAsync(server, 0);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_that_disconnects_mid_message_ends_only_its_connection(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var bystander = await ConnectAsync(server);

        for (var i = 0; i < 2; i++)
        {
            using var abrupt = await UpgradeRawAsync(server);

            // A frame that announces 1000 bytes and brings 10, then a reset (i = 0) or a FIN (i = 1).
            var whole = ClientFrame(0x82, new byte[1000]);
            await Loopback.SendAllAsync(abrupt, whole.AsMemory(0, 18));
            if (i == 0)
            {
                abrupt.LingerState = new LingerOption(true, 0);
            }

            abrupt.Close();
        }

        await WaitForOpenAsync(server, 1);
        await AssertEchoesAsync(bystander, "still here");
        Assert.Equal(3, WebSocketConnections(server).Connections.Accepted);
        Assert.Equal(0, Counters(server).Failures(WebSocketFailure.ProtocolError));
    }

    [Theory]
    [InlineData("Sockets", true)]
    [InlineData("Native", true)]
    [InlineData("Sockets", false)]
    [InlineData("Native", false)]
    public async Task Per_message_deflate_is_accepted_when_offered_and_allowed(string transport, bool compression)
    {
        await using var server = await StartServerAsync(transport, $"--EchoHost:WebSockets:Compression={compression}");
        using var client = await ConnectAsync(server, options =>
        {
            options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            options.CollectHttpResponseDetails = true;
        });

        var negotiated = client.HttpResponseHeaders?.TryGetValue("Sec-WebSocket-Extensions", out var extensions) == true
            && extensions.Any(e => e.Contains("permessage-deflate", StringComparison.Ordinal));
        Assert.Equal(compression, negotiated);

        var text = string.Concat(Enumerable.Repeat("compressible ", 10_000));
        await SendTextAsync(client, text);
        Assert.Equal(text, Encoding.UTF8.GetString((await ReceiveAsync(client)).Data));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_compressed_message_is_bounded_after_inflation(string transport)
    {
        await using var server = await StartServerAsync(transport, "--EchoHost:WebSockets:MaxMessageBytes=65536");
        using var client = await ConnectAsync(server, options => options.DangerousDeflateOptions = new WebSocketDeflateOptions());

        // 16 MiB of zeros deflate to a few KiB on the wire: the bound applies to what they inflate to.
        await client.SendAsync(new byte[16 * MiB], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ReceiveCloseAsync(client));
        Assert.Equal(1, Counters(server).Failures(WebSocketFailure.MessageTooBig));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_close_handshake_answers_the_clients_status(string transport)
    {
        await using var server = await StartServerAsync(transport);
        using var client = await ConnectAsync(server);
        await SendTextAsync(client, "before closing");
        await ReceiveAsync(client);

        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await client.CloseAsync((WebSocketCloseStatus)4321, "done here", timeout.Token);

        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal((WebSocketCloseStatus)4321, client.CloseStatus);
        Assert.Equal("done here", client.CloseStatusDescription);
        await WaitForOpenAsync(server, 0);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_websocket_that_receives_nothing_for_IdleTimeout_is_closed(string transport)
    {
        await using var server = await StartServerAsync(transport, "--EchoHost:Endpoints:http:Limits:IdleTimeout=00:00:00.500");
        using var client = await ConnectAsync(server);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await ReceiveCloseAsync(client));
        Assert.Equal("idle timeout", client.CloseStatusDescription);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_keep_alive_frame_comes_every_KeepAliveInterval(string transport)
    {
        await using var server = await StartServerAsync(transport, "--EchoHost:WebSockets:KeepAliveInterval=00:00:00.200");
        using var client = await UpgradeRawAsync(server);

        // The runtime's keep-alive is a control frame (an unsolicited Pong) the client need not answer; two of them
        // without anything sent show that it repeats.
        for (var i = 0; i < 2; i++)
        {
            var header = new byte[2];
            await Loopback.ReadExactlyAsync(client, header);
            Assert.Contains(header[0], new byte[] { 0x89, 0x8A });
            await Loopback.ReadExactlyAsync(client, new byte[header[1] & 0x7F]);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Shutdown_answers_what_was_read_then_closes_with_1001(string transport)
    {
        var server = await StartServerAsync(transport);
        try
        {
            using var client = await ConnectAsync(server);

            // The first part of a message, read by the server (its bytes are counted) before the shutdown begins.
            await client.SendAsync("begun before "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
            using var timeout = new CancellationTokenSource(Loopback.Timeout);
            while (WebSocketConnections(server).Totals.BytesReceived < "begun before ".Length)
            {
                await Task.Delay(20, timeout.Token);
            }

            var stopping = server.App.StopAsync();
            await client.SendAsync("the shutdown"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

            Assert.Equal("begun before the shutdown", Encoding.UTF8.GetString((await ReceiveAsync(client)).Data));
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await ReceiveCloseAsync(client));
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            await stopping.WaitAsync(timeout.Token);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_plain_request_to_the_path_is_told_to_upgrade_and_the_path_is_configurable(string transport)
    {
        await using var server = await StartServerAsync(transport, "--EchoHost:WebSockets:Path=/ws/echo");
        using var http = new HttpClient { Timeout = Loopback.Timeout };

        var plain = await http.GetAsync(new Uri($"http://{server.EndPointOf("http")}/ws/echo"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, plain.StatusCode);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://{server.EndPointOf("http")}/ws/echo"), CancellationToken.None);
        await AssertEchoesAsync(client, "moved");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Metrics_the_access_log_and_the_PROXY_protocol_see_websockets(string transport)
    {
        await using var server = await StartServerAsync(
            transport,
            "--EchoHost:AccessLog=true",
            "--EchoHost:Endpoints:http:ProxyProtocol=true",
            "--EchoHost:Endpoints:http:TrustedProxies:0=127.0.0.1",
            "--Logging:LogLevel:EchoHost.Connections=Debug");

        // Through a proxy that says the client is 203.0.113.7.
        using (var proxied = await UpgradeRawAsync(server, "PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n"))
        {
            await Loopback.SendAllAsync(proxied, ClientFrame(0x81, "hello"u8));
            var echo = new byte[7];
            await Loopback.ReadExactlyAsync(proxied, echo);
            Assert.Equal([0x81, 5, .. "hello"u8.ToArray()], echo);
        }

        await WaitForOpenAsync(server, 0);
        Assert.Contains(server.Log.Entries, e => e.Message.StartsWith("WebSocket ", StringComparison.Ordinal) && e.Message.Contains("opened on http from 203.0.113.7:40000", StringComparison.Ordinal));
        Assert.Contains(server.Log.Entries, e => e.Category == "EchoHost.AccessLog" && e.Message.StartsWith("203.0.113.7 - - [", StringComparison.Ordinal) && e.Message.EndsWith("\"TEXT\" 5", StringComparison.Ordinal));

        // The PROXY header goes first on every connection of the endpoint, /metrics' included.
        using var scrape = await Loopback.ConnectAsync(server.EndPointOf("http"));
        await Loopback.SendAllAsync(scrape, Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.8 127.0.0.1 40001 80\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var metrics = Encoding.UTF8.GetString(await Loopback.ReadToEndAsync(scrape));
        Assert.Contains($"echohost_connections_accepted_total{{endpoint=\"http\",protocol=\"websocket\",transport=\"{transport.ToLowerInvariant()}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("echohost_websocket_messages_total{direction=\"received\",endpoint=\"http\",type=\"text\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("echohost_websocket_messages_total{direction=\"sent\",endpoint=\"http\",type=\"text\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("echohost_bytes_received_total{endpoint=\"http\",protocol=\"websocket\"} 5", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Turned_off_there_is_no_upgrade()
    {
        await using var server = await StartServerAsync("Sockets", "--EchoHost:WebSockets:Enabled=false");
        using var client = new ClientWebSocket();

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(EchoUri(server), CancellationToken.None));
    }
}
