using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using EchoHost.Metrics;
using EchoHost.Serving.WebSockets;
using EchoHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Tests.WebSockets;

/// <summary>Clients of the WebSocket echo: .NET's ClientWebSocket, and a raw socket that breaks the protocol on purpose.</summary>
internal static class WebSocketClient
{
    /// <summary>The service with its http endpoint on an ephemeral loopback port (and the test handlers registered).</summary>
    public static Task<FramedServer> StartServerAsync(string transport, params string[] more) =>
        FramedServer.StartAsync(transport, ["--EchoHost:Endpoints:http:Enabled=true", "--EchoHost:Endpoints:http:Url=http://127.0.0.1:0", .. more]);

    public static Uri EchoUri(FramedServer server, string scheme = "ws") => new($"{scheme}://{server.EndPointOf("http")}/echo");

    public static async Task<ClientWebSocket> ConnectAsync(FramedServer server, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        configure?.Invoke(client.Options);
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        await client.ConnectAsync(EchoUri(server), timeout.Token);
        return client;
    }

    public static Task SendTextAsync(WebSocket client, string text) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Sends <paramref name="text"/> and asserts that it comes back, as text.</summary>
    public static async Task AssertEchoesAsync(WebSocket client, string text)
    {
        await SendTextAsync(client, text);
        var (type, data) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, Encoding.UTF8.GetString(data));
    }

    /// <summary>One whole message, however the client's reads cut it; a Close gives the close status as its type.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(WebSocket client)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        using var data = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, timeout.Token);
            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, data.ToArray());
            }
        }
    }

    /// <summary>Reads until the server's close, dropping messages; returns its status.</summary>
    public static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(WebSocket client)
    {
        while (true)
        {
            var (type, _) = await ReceiveAsync(client);
            if (type == WebSocketMessageType.Close)
            {
                return client.CloseStatus;
            }
        }
    }

    /// <summary>The WebSockets of the http endpoint, as the service counts them.</summary>
    public static WebSocketEchoEndpoint Counters(FramedServer server) =>
        server.App.Services.GetRequiredService<WebSocketEchoEndpoints>().All.Single();

    /// <summary>The WebSocket connections of the http endpoint as the metrics read them.</summary>
    public static EndpointSnapshot WebSocketConnections(FramedServer server) =>
        server.App.Services.GetRequiredService<ServiceMetrics>().Endpoints.Single(e => e.Protocol == "websocket").Read();

    /// <summary>Waits until the endpoint has <paramref name="count"/> WebSockets open.</summary>
    public static async Task WaitForOpenAsync(FramedServer server, long count)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (WebSocketConnections(server).Connections.Active != count)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>
    /// A plain socket that has completed the upgrade handshake (no extension, no subprotocol), after sending
    /// <paramref name="prefix"/> (a PROXY protocol header) if given.
    /// </summary>
    public static async Task<Socket> UpgradeRawAsync(FramedServer server, string prefix = "")
    {
        var endPoint = server.EndPointOf("http");
        var socket = await Loopback.ConnectAsync(endPoint);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"{prefix}GET /echo HTTP/1.1\r\nHost: {endPoint}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n";
        await Loopback.SendAllAsync(socket, Encoding.ASCII.GetBytes(request));

        // The response ends with an empty line; nothing follows it until the client sends.
        var response = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token));
            response.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", response.ToString(), StringComparison.Ordinal);
        return socket;
    }

    /// <summary>
    /// Asserts the close status the runtime's WebSocket sends for bad input: always seen on the native transport,
    /// which ends the connection with FIN; on the Sockets transport, seen unless the reset that follows it destroyed it.
    /// </summary>
    public static void AssertBadInputClose(string transport, int expected, int? status)
    {
        if (transport == "Native" || status is not null)
        {
            Assert.Equal(expected, status);
        }
    }

    /// <summary>A client frame as RFC 6455 lays it out, masked unless told otherwise; <paramref name="length"/> may lie.</summary>
    public static byte[] ClientFrame(byte firstByte, ReadOnlySpan<byte> payload, bool masked = true, int? length = null)
    {
        var declared = length ?? payload.Length;
        using var frame = new MemoryStream();
        frame.WriteByte(firstByte);
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (declared < 126)
        {
            frame.WriteByte((byte)(maskBit | declared));
        }
        else
        {
            frame.WriteByte((byte)(maskBit | 126));
            frame.WriteByte((byte)(declared >> 8));
            frame.WriteByte((byte)declared);
        }

        var mask = masked ? RandomNumberGenerator.GetBytes(4) : [0, 0, 0, 0];
        if (masked)
        {
            frame.Write(mask);
        }

        for (var i = 0; i < payload.Length; i++)
        {
            frame.WriteByte((byte)(payload[i] ^ mask[i % 4]));
        }

        return frame.ToArray();
    }

    /// <summary>
    /// The status of the close frame the server sends on a raw socket (after any data frames), or null when the
    /// connection was reset before one arrived: on Kestrel's Sockets transport a connection whose WebSocket the runtime
    /// gave up on for bad input ends with a reset right after the close frame, and the reset can destroy it.
    /// </summary>
    public static async Task<int?> ReadCloseStatusAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        using var stream = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(chunk, SocketFlags.None, timeout.Token)) > 0)
            {
                stream.Write(chunk, 0, read);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            if (stream.Length == 0)
            {
                return null;
            }
        }

        var received = stream.ToArray();
        var offset = 0;
        while (offset + 2 <= received.Length)
        {
            var opcode = received[offset] & 0x0F;
            var length = received[offset + 1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                length = (received[offset + 2] << 8) | received[offset + 3];
                header = 4;
            }

            if (opcode == 0x8)
            {
                return (received[offset + header] << 8) | received[offset + header + 1];
            }

            offset += header + length;
        }

        throw new InvalidDataException($"no close frame in the {received.Length} bytes the server sent");
    }
}
