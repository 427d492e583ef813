using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// Hostile clients of the built service over real sockets: garbage, truncated and oversized frames, resets at every
/// stage (at once, in a header, in a payload, after requests before their answers), thousands of silent connections
/// (half a header, or nothing at all). The service stays up, and well-behaved clients running all the while get
/// exactly their answers.
/// </summary>
public class HostileInputTests
{
    public static TheoryData<string, string> Transports => Support.Transports.All;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Garbage_truncation_oversize_and_resets_disturb_no_other_client(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        var framed = await process.EndPointAsync("framed");
        var echo = await process.EndPointAsync("echo");

        await using var pacedFramed = await PacedClient.StartAsync(framed, "framed", TimeSpan.FromMilliseconds(5));
        await using var pacedEcho = await PacedClient.StartAsync(echo, "echo", TimeSpan.FromMilliseconds(5));
        var goodFramed = WellBehavedFramedClientAsync(framed, requests: 3000);
        var goodEcho = WellBehavedEchoClientAsync(echo, rounds: 300);

        var random = new Random(1512);
        var attacks = new List<Task>();
        for (var i = 0; i < 40; i++)
        {
            attacks.Add(AttackAsync(framed, i % Attacks.Count, random.Next()));
            attacks.Add(AttackAsync(echo, i % Attacks.Count, random.Next()));
        }

        await Task.WhenAll(attacks);
        Assert.Equal(3000, await goodFramed);
        Assert.Equal(300, await goodEcho);

        // The clients that asked and checked all along, one round at a time, got every answer right.
        Assert.True(await pacedFramed.StopAsync() > 0);
        Assert.True(await pacedEcho.StopAsync() > 0);

        // Still serving new clients after all of it, and still exact.
        Assert.Equal(Loopback.Payload(70_000, 9), await Loopback.EchoAsync(echo, Loopback.Payload(70_000, 9)));
        Assert.Equal(50, await WellBehavedFramedClientAsync(framed, requests: 50));
        Assert.False(process.HasExited);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Thousands_of_silent_half_sent_connections_leave_the_service_serving(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        var framed = await process.EndPointAsync("framed");
        var echo = await process.EndPointAsync("echo");

        // Clients that ask and check one round at a time while the silent connections pile up, and after.
        await using var pacedFramed = await PacedClient.StartAsync(framed, "framed", TimeSpan.FromMilliseconds(5));
        await using var pacedEcho = await PacedClient.StartAsync(echo, "echo", TimeSpan.FromMilliseconds(5));

        // Half of them send half a frame header and then nothing, half connect and never send: connections held open
        // by clients that never finish, from four source addresses.
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                var target = (IPEndPoint)(i % 2 == 0 ? framed : echo);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + (i % 4))]), 0));
                using (var timeout = new CancellationTokenSource(Loopback.Timeout))
                {
                    await socket.ConnectAsync(target, timeout.Token);
                }

                if (i % 4 < 2)
                {
                    await Loopback.SendAllAsync(socket, new byte[] { 0, 0, 0, 20 });
                }
            }

            Assert.Equal(200, await WellBehavedFramedClientAsync(framed, requests: 200));
            Assert.Equal(20, await WellBehavedEchoClientAsync(echo, rounds: 20));
            Assert.False(pacedFramed.HasFailed || pacedEcho.HasFailed, "a client that was served before the silent connections failed among them");
        }
        finally
        {
            foreach (var socket in silent)
            {
                socket.Dispose();
            }
        }

        Assert.Equal(200, await WellBehavedFramedClientAsync(framed, requests: 200));
        Assert.True(await pacedFramed.StopAsync() > 0);
        Assert.True(await pacedEcho.StopAsync() > 0);
        Assert.False(process.HasExited);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_oversized_length_gets_frame_too_large_and_the_connection_closes(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport);
        using var socket = await Loopback.ConnectAsync(await process.EndPointAsync("framed"));
        await Loopback.SendAllAsync(socket, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 1, 2, 3 });
        socket.Shutdown(SocketShutdown.Send);

        var answer = await Loopback.ReadToEndAsync(socket);
        Assert.True(FrameReader.TryRead(new ReadOnlySequence<byte>(answer), Frame.DefaultMaxFrameBytes, out var frame, out var consumed, out _) == FrameReadStatus.Complete);
        Assert.Equal(FrameKind.Error, frame.Kind);
        Assert.True(Message.TryParse(frame.Payload, out var error));
        Assert.True(error.Metadata.TryGetValue("code"u8, out var code));
        Assert.Equal(ErrorCodes.FrameTooLarge, System.Text.Encoding.ASCII.GetString(code.ToArray()));
        Assert.Equal(answer.Length, new ReadOnlySequence<byte>(answer).Slice(0, consumed).Length);
    }

    /// <summary>The hostile clients, each given a seed: what they send, and how they leave.</summary>
    private static readonly List<Func<Socket, Random, Task>> Attacks =
    [
        // Random bytes, then a graceful close; what comes back (an echo, errors) is read meanwhile.
        async (socket, random) =>
        {
            var draining = DrainAsync(socket);
            await Loopback.SendAllAsync(socket, Bytes(random, random.Next(1, 200_000)));
            socket.Shutdown(SocketShutdown.Send);
            await draining;
        },

        // Random bytes, then a reset while the server may still be answering.
        async (socket, random) =>
        {
            await Loopback.SendAllAsync(socket, Bytes(random, random.Next(1, 50_000)));
            Loopback.Reset(socket);
        },

        // Connected and reset at once.
        (socket, _) =>
        {
            Loopback.Reset(socket);
            return Task.CompletedTask;
        },

        // Half a header, then a reset.
        async (socket, _) =>
        {
            await Loopback.SendAllAsync(socket, new byte[] { 0, 0, 0 });
            Loopback.Reset(socket);
        },

        // A header and part of its payload, then a reset.
        async (socket, random) =>
        {
            var request = new ArrayBufferWriter<byte>();
            FrameWriter.WriteMessage(request, FrameKind.Request, 7, MessageTypes.Echo, Bytes(random, 5000), []);
            await Loopback.SendAllAsync(socket, request.WrittenMemory[..random.Next(Frame.HeaderSize + 1, request.WrittenCount)]);
            Loopback.Reset(socket);
        },

        // A large request whole, then a reset while its answer is on its way.
        async (socket, random) =>
        {
            var request = new ArrayBufferWriter<byte>();
            FrameWriter.WriteMessage(request, FrameKind.Request, 8, MessageTypes.Echo, Bytes(random, 500_000), []);
            await Loopback.SendAllAsync(socket, request.WrittenMemory);
            Loopback.Reset(socket);
        },

        // A whole header promising a payload that never comes, then a close.
        async (socket, _) =>
        {
            await Loopback.SendAllAsync(socket, new byte[] { 0, 0, 1, 0, 1, 0, 0, 0, 42 });
            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(socket);
        },

        // Many valid requests (fewer than the socket buffers hold, since nothing is read), then a reset before
        // reading any answer.
        async (socket, random) =>
        {
            var requests = new ArrayBufferWriter<byte>();
            for (var id = 0UL; id < 100; id++)
            {
                FrameWriter.WriteMessage(requests, FrameKind.Request, id, MessageTypes.Reverse, Bytes(random, 300), []);
            }

            await Loopback.SendAllAsync(socket, requests.WrittenMemory);
            Loopback.Reset(socket);
        },

        // Valid requests with an oversized length in the middle.
        async (socket, random) =>
        {
            var requests = new ArrayBufferWriter<byte>();
            FrameWriter.WriteMessage(requests, FrameKind.Request, 1, MessageTypes.Echo, Bytes(random, 10), []);
            requests.Write(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0 });
            requests.Write(Bytes(random, 1000));
            await Loopback.SendAllAsync(socket, requests.WrittenMemory);
            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(socket);
        },
    ];

    private static async Task AttackAsync(EndPoint endPoint, int attack, int seed)
    {
        using var socket = await Loopback.ConnectAsync(endPoint);
        try
        {
            await Attacks[attack](socket, new Random(seed));
        }
        catch (SocketException)
        {
            // The server may close or reset a hostile connection at any point: that is its answer.
        }
    }

    /// <summary>Reads and drops whatever the server still sends, until it closes (or resets) the connection.</summary>
    private static async Task DrainAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        var buffer = new byte[16384];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
        {
        }
    }

    /// <summary>Pipelines Echo requests with distinct data and checks every answer; returns how many were right.</summary>
    private static async Task<int> WellBehavedFramedClientAsync(EndPoint endPoint, int requests)
    {
        using var socket = await Loopback.ConnectAsync(endPoint);
        var batch = new ArrayBufferWriter<byte>();
        for (var id = 0UL; id < (ulong)requests; id++)
        {
            FrameWriter.WriteMessage(batch, FrameKind.Request, id, MessageTypes.Echo, Data(id), []);
        }

        var sending = Loopback.SendAllAsync(socket, batch.WrittenMemory);
        var right = 0;
        var header = new byte[Frame.HeaderSize];
        for (var expected = 0UL; expected < (ulong)requests; expected++)
        {
            await Loopback.ReadExactlyAsync(socket, header);
            var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
            await Loopback.ReadExactlyAsync(socket, payload);
            Assert.Equal(FrameKind.Response, (FrameKind)header[4]);
            Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));
            Assert.Equal(expected, message.Id);
            Assert.Equal(Data(expected), message.Data.ToArray());
            right++;
        }

        await sending;
        return right;
    }

    /// <summary>Echoes payloads of varied sizes on one connection and checks each; returns how many were right.</summary>
    private static async Task<int> WellBehavedEchoClientAsync(EndPoint endPoint, int rounds)
    {
        using var socket = await Loopback.ConnectAsync(endPoint);
        var right = 0;
        for (var round = 0; round < rounds; round++)
        {
            var payload = Loopback.Payload(1 + (round * 977 % 20_000), round);
            var sending = Loopback.SendAllAsync(socket, payload);
            var echoed = new byte[payload.Length];
            await Loopback.ReadExactlyAsync(socket, echoed);
            await sending;
            Assert.Equal(payload, echoed);
            right++;
        }

        return right;
    }

    private static byte[] Data(ulong id) => BitConverter.GetBytes(id * 0x9E3779B97F4A7C15UL);

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
