using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests.Wine;

/// <summary>
/// The Windows build of EchoHost on the native transport's IOCP engine, under Wine, seen by clients on this machine:
/// echo of every size, many connections, half-close, resets, back-pressure, and the framed protocol.
/// </summary>
[Collection(UnderWine.Name)]
public class WineConformanceTests(WineEchoHost wine)
{
    private const int MiB = 1024 * 1024;

    private async Task<EndPoint> EndPointAsync(string name) => await (await wine.SharedAsync()).EndPointAsync(name);

    [Fact]
    public async Task Log_says_the_native_transport_runs_with_the_iocp_engine()
    {
        var process = await wine.SharedAsync();

        Assert.Contains("Using the Native transport with the iocp engine (EchoHost:Transport is Native)", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Small_payloads_come_back_on_one_connection()
    {
        using var socket = await Loopback.ConnectAsync(await EndPointAsync("echo"));

        for (var i = 1; i <= 5; i++)
        {
            var message = Loopback.Payload(i * 61, i);
            await Loopback.SendAllAsync(socket, message);
            var echoed = new byte[message.Length];
            await Loopback.ReadExactlyAsync(socket, echoed);
            Assert.Equal(message, echoed);
        }
    }

    [Fact]
    public async Task Megabytes_on_four_connections_at_once_come_back_in_order()
    {
        var endPoint = await EndPointAsync("echo");
        var payloads = Enumerable.Range(0, 4).Select(i => Loopback.Payload((4 * MiB) + (i * 4099), 100 + i)).ToArray();

        var echoed = await Task.WhenAll(payloads.Select(p => Loopback.EchoAsync(endPoint, p)));

        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i].Length, echoed[i].Length);
            Assert.True(payloads[i].AsSpan().SequenceEqual(echoed[i]), $"connection {i}: the echoed bytes differ from those sent");
        }
    }

    [Fact]
    public async Task Three_hundred_clients_at_once_each_get_their_own_bytes()
    {
        var endPoint = await EndPointAsync("echo");
        var payloads = Enumerable.Range(0, 300).Select(i => Loopback.Payload(1024 + i, i)).ToArray();

        var echoed = await Task.WhenAll(payloads.Select(p => Loopback.EchoAsync(endPoint, p)));

        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i], echoed[i]);
        }
    }

    [Fact]
    public async Task Half_close_gets_everything_back_then_end_of_stream()
    {
        using var socket = await Loopback.ConnectAsync(await EndPointAsync("echo"));
        var payload = Loopback.Payload(48 * 1024, 3);

        // All of it sent and the sending side shut before reading a byte: the server must still echo everything.
        await Loopback.SendAllAsync(socket, payload);
        socket.Shutdown(SocketShutdown.Send);

        var echoed = await Loopback.ReadToEndAsync(socket);
        Assert.Equal(payload, echoed);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[1], SocketFlags.None));
    }

    [Fact]
    public async Task A_client_that_resets_mid_stream_disturbs_no_other()
    {
        var endPoint = await EndPointAsync("echo");
        using var steady = await Loopback.ConnectAsync(endPoint);
        await AssertEchoesAsync(steady, Loopback.Payload(1000, 1));

        // One resets while the server has its bytes in flight, another before the server has read anything.
        using (var resetting = await Loopback.ConnectAsync(endPoint))
        {
            await Loopback.SendAllAsync(resetting, Loopback.Payload(2 * MiB, 2));
            Loopback.Reset(resetting);
        }

        using (var early = await Loopback.ConnectAsync(endPoint))
        {
            Loopback.Reset(early);
        }

        await AssertEchoesAsync(steady, Loopback.Payload(100_000, 3));
        Assert.Equal(Loopback.Payload(5000, 4), await Loopback.EchoAsync(endPoint, Loopback.Payload(5000, 4)));
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_held_back_then_gets_every_byte()
    {
        // Far more than the socket buffers on both sides and the transport's MaxReadBufferSize and MaxWriteBufferSize
        // together: if the server kept reading from a client that does not read, all of it would be sent.
        var payload = Loopback.Payload(64 * MiB, 5);
        using var socket = await Loopback.ConnectAsync(await EndPointAsync("echo"));
        long sent = 0;
        using var stop = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            while (sent < payload.Length)
            {
                var chunk = payload.AsMemory((int)sent, (int)Math.Min(256 * 1024, payload.Length - sent));
                Interlocked.Add(ref sent, await socket.SendAsync(chunk, SocketFlags.None, stop.Token));
            }
        });

        await WaitUntilStalledAsync(() => Interlocked.Read(ref sent));

        Assert.False(sending.IsCompleted, "the client sent all of its payload though it read nothing: the server did not push back");
        Assert.True(Interlocked.Read(ref sent) < payload.Length);

        var reading = Loopback.ReadToEndAsync(socket);
        await sending;
        socket.Shutdown(SocketShutdown.Send);
        var echoed = await reading;
        Assert.Equal(payload.Length, echoed.Length);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echoed bytes differ from those sent");
    }

    [Fact]
    public async Task Dual_mode_and_ipv6_loopback_listeners_accept_their_families()
    {
        await using var process = await wine.StartAsync("--EchoHost:Endpoints:echo:Url=tcp://[::]:0", "--EchoHost:Endpoints:framed:Url=tcp://[::1]:0");
        var dualPort = ((IPEndPoint)await process.EndPointAsync("echo")).Port;
        var ipv6 = await process.EndPointAsync("framed");

        foreach (var endPoint in new[] { new IPEndPoint(IPAddress.Loopback, dualPort), new IPEndPoint(IPAddress.IPv6Loopback, dualPort) })
        {
            var payload = Loopback.Payload(3000, dualPort % 100);
            Assert.Equal(payload, await Loopback.EchoAsync(endPoint, payload));
        }

        using var socket = await Loopback.ConnectAsync(ipv6);
        await Loopback.SendAllAsync(socket, Request(9, MessageTypes.Echo, [9]));
        Assert.Equal(9UL, (await ReadResponseAsync(socket)).Id);
    }

    [Fact]
    public async Task Http_endpoint_answers_healthz()
    {
        var address = (await (await wine.SharedAsync()).WaitForEndpointsAsync("http"))["http"];
        using var client = new HttpClient { Timeout = Loopback.Timeout };

        using var response = await client.GetAsync(new Uri(address + "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Framed_echo_request_gets_its_response()
    {
        using var socket = await Loopback.ConnectAsync(await EndPointAsync("framed"));

        await Loopback.SendAllAsync(socket, Request(42, MessageTypes.Echo, Encoding.UTF8.GetBytes("hello, iocp"), new MetadataItem("k", "v"u8.ToArray())));
        var response = await ReadResponseAsync(socket);

        Assert.Equal(42UL, response.Id);
        Assert.Equal(MessageTypes.Echo, response.Type);
        Assert.Equal("hello, iocp", Encoding.UTF8.GetString(response.Data));
        Assert.Equal("v"u8.ToArray(), response.Metadata["k"]);
    }

    [Fact]
    public async Task Framed_pipelined_requests_in_one_write_all_get_their_responses()
    {
        using var socket = await Loopback.ConnectAsync(await EndPointAsync("framed"));
        var requests = Enumerable.Range(1, 50).Select(i => (Id: (ulong)i, Data: Loopback.Payload(i * 300, i))).ToArray();

        await Loopback.SendAllAsync(socket, requests.SelectMany(r => Request(r.Id, MessageTypes.Echo, r.Data)).ToArray());
        var responses = new Dictionary<ulong, byte[]>();
        foreach (var _ in requests)
        {
            var response = await ReadResponseAsync(socket);
            Assert.True(responses.TryAdd(response.Id, response.Data), $"a second response to request {response.Id}");
        }

        foreach (var (id, data) in requests)
        {
            Assert.Equal(data, responses[id]);
        }
    }

    [Fact]
    public async Task A_frame_too_large_is_answered_then_the_server_closes_while_its_receive_is_outstanding()
    {
        var endPoint = await EndPointAsync("framed");
        using var socket = await Loopback.ConnectAsync(endPoint);
        var header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)Frame.DefaultMaxFrameBytes + 1);
        header[4] = (byte)FrameKind.Request;

        await Loopback.SendAllAsync(socket, header);

        var (kind, payload) = await ReadFrameAsync(socket);
        Assert.Equal(FrameKind.Error, kind);
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var error));
        Assert.True(error.Metadata.TryGetValue("code"u8, out var code));
        Assert.Equal(ErrorCodes.FrameTooLarge, Encoding.ASCII.GetString(code.ToArray()));
        Assert.True(await Loopback.WaitForCloseAsync(socket));

        // The listener and the other connections go on.
        using var next = await Loopback.ConnectAsync(endPoint);
        await Loopback.SendAllAsync(next, Request(11, MessageTypes.Echo, [11]));
        Assert.Equal(11UL, (await ReadResponseAsync(next)).Id);
    }

    [Fact]
    public async Task Ctrl_c_sends_go_away_closes_every_connection_and_the_service_exits_cleanly()
    {
        // Kestrel's debug log says when a connection has not finished closing (its transport's disposal included) by
        // the end of the shutdown timeout.
        await using var process = await wine.StartAsync("--Serilog:MinimumLevel:Override:Microsoft.AspNetCore.Server.Kestrel=Debug");
        using var framed = await Loopback.ConnectAsync(await process.EndPointAsync("framed"));
        await Loopback.SendAllAsync(framed, Request(7, MessageTypes.Echo, [1, 2, 3]));
        Assert.Equal(7UL, (await ReadResponseAsync(framed)).Id);
        var echoEndPoint = await process.EndPointAsync("echo");
        var idle = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            idle.Add(await Loopback.ConnectAsync(echoEndPoint));
            await AssertEchoesAsync(idle[i], Loopback.Payload(10, i));
        }

        // Wine turns SIGINT into the console's Ctrl+C event, which the Windows build stops on.
        process.Interrupt();

        var (kind, reason) = await ReadFrameAsync(framed);
        Assert.Equal(FrameKind.GoAway, kind);
        Assert.Equal("server shutting down", Encoding.UTF8.GetString(reason));
        Assert.True(await Loopback.WaitForCloseAsync(framed));
        foreach (var socket in idle)
        {
            Assert.True(await Loopback.WaitForCloseAsync(socket));
            socket.Dispose();
        }

        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.DoesNotContain("failed to close gracefully", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("failed to abort", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_that_cannot_drain_is_aborted_at_shutdown_with_its_send_outstanding()
    {
        // A client that sends and never reads: the server's send to it waits, and its graceful close cannot finish.
        // When the host's shutdown timeout has passed, Kestrel aborts it: RST, the outstanding send cancelled.
        await using var process = await wine.StartAsync("--EchoHost:ShutdownTimeout=00:00:02", "--Serilog:MinimumLevel:Override:Microsoft.AspNetCore.Server.Kestrel=Debug");
        using var stuck = await Loopback.ConnectAsync(await process.EndPointAsync("echo"));
        using var stop = new CancellationTokenSource();
        long sent = 0;
        var sending = Task.Run(async () =>
        {
            var chunk = Loopback.Payload(256 * 1024, 6);
            try
            {
                // Bounded: far more than every buffer on the way, and the server stops taking it long before.
                for (var i = 0; i < 1024; i++)
                {
                    Interlocked.Add(ref sent, await stuck.SendAsync(chunk, SocketFlags.None, stop.Token));
                }
            }
            catch (SocketException ex)
            {
                return ex.SocketErrorCode;
            }
            catch (OperationCanceledException)
            {
            }

            return SocketError.Success;
        });
        await WaitUntilStalledAsync(() => Interlocked.Read(ref sent));
        Assert.False(sending.IsCompleted, "the client sent everything though it read nothing");
        using var other = await Loopback.ConnectAsync(await process.EndPointAsync("echo"));
        await AssertEchoesAsync(other, Loopback.Payload(1000, 7));

        process.Interrupt();

        // The stuck client reads only once the service has exited: reading earlier would let the send drain.
        Assert.True(await Loopback.WaitForCloseAsync(other));
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Contains("failed to close gracefully", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("failed to abort", process.Output, StringComparison.Ordinal);

        // Then the reset reaches the client's blocked send, or else its read. (It proves less than the log: closing a socket
        // with unread input resets it too.)
        var readError = SocketError.Success;
        try
        {
            await Loopback.ReadToEndAsync(stuck);
        }
        catch (SocketException ex)
        {
            readError = ex.SocketErrorCode;
        }

        await stop.CancelAsync();
        var sendError = await sending;
        Assert.True(sendError == SocketError.ConnectionReset || readError == SocketError.ConnectionReset, $"send: {sendError}, read: {readError}");
    }

    /// <summary>Waits until <paramref name="progress"/> has not moved for a second, at most a minute.</summary>
    private static async Task WaitUntilStalledAsync(Func<long> progress)
    {
        long last = -1;
        for (var i = 0; i < 60 && progress() != last; i++)
        {
            last = progress();
            await Task.Delay(1000);
        }
    }

    private static async Task AssertEchoesAsync(Socket socket, byte[] payload)
    {
        var reading = Task.Run(async () =>
        {
            var echoed = new byte[payload.Length];
            await Loopback.ReadExactlyAsync(socket, echoed);
            return echoed;
        });
        await Loopback.SendAllAsync(socket, payload);
        Assert.Equal(payload, await reading);
    }

    private static byte[] Request(ulong id, byte type, byte[] data, params MetadataItem[] metadata)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(writer, FrameKind.Request, id, type, data, metadata);
        return writer.WrittenSpan.ToArray();
    }

    private static async Task<(ulong Id, byte Type, byte[] Data, Dictionary<string, byte[]> Metadata)> ReadResponseAsync(Socket socket)
    {
        var (kind, payload) = await ReadFrameAsync(socket);
        Assert.Equal(FrameKind.Response, kind);
        Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));
        var metadata = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (message.Metadata.TryGetValue("k"u8, out var value))
        {
            metadata["k"] = value.ToArray();
        }

        return (message.Id, message.Type, message.Data.ToArray(), metadata);
    }

    /// <summary>Reads one whole frame: its header first, then as many payload bytes as it says.</summary>
    private static async Task<(FrameKind Kind, byte[] Payload)> ReadFrameAsync(Socket socket)
    {
        var header = new byte[Frame.HeaderSize];
        await Loopback.ReadExactlyAsync(socket, header);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await Loopback.ReadExactlyAsync(socket, payload);
        return ((FrameKind)header[4], payload);
    }
}
