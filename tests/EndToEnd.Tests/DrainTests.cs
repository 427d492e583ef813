using System.Buffers;
using System.Buffers.Binary;
using System.Net.Http;
using System.Net.Sockets;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>SIGTERM drains the built service: no answer to a request it read is lost.</summary>
public class DrainTests
{
    [Fact]
    public async Task Sigterm_mid_stream_answers_every_framed_request_read_and_ends_with_go_away_then_end_of_stream()
    {
        // Native only: when a connection ends with input unread, Kestrel's Sockets transport closes both directions
        // at once and the kernel resets the connection, which can destroy answers in flight (see README).
        await using var process = EchoHostProcess.StartOnLoopback("Native");
        var endPoint = await process.EndPointAsync("framed");
        using var socket = await Loopback.ConnectAsync(endPoint);

        await StreamUntilGoAwayAsync(socket, process.Terminate);
        Assert.Equal(0, await process.WaitForExitAsync());
    }

    /// <summary>
    /// Pipelines Echo requests on <paramref name="socket"/> in batches until it sees GoAway, as a client of
    /// PROTOCOL.md does, and checks every answer until the end of the stream: each the next in order with its own
    /// data, then GoAway, then the end. <paramref name="stop"/> is called once 1000 have been answered.
    /// </summary>
    internal static async Task StreamUntilGoAwayAsync(Socket socket, Action stop)
    {
        const int maxRequests = 200_000;
        var goAwaySeen = new TaskCompletionSource();
        var sending = Task.Run(async () =>
        {
            var batch = new ArrayBufferWriter<byte>();
            for (ulong id = 1; id <= maxRequests && !goAwaySeen.Task.IsCompleted; id += 100)
            {
                batch.ResetWrittenCount();
                for (var i = id; i < id + 100; i++)
                {
                    FrameWriter.WriteMessage(batch, FrameKind.Request, i, MessageTypes.Echo, Data(i), []);
                }

                try
                {
                    await Loopback.SendAllAsync(socket, batch.WrittenMemory);
                }
                catch (SocketException) when (goAwaySeen.Task.IsCompleted)
                {
                    // Through a proxy, the connection may close while a batch sent after GoAway is on its way.
                    break;
                }
            }
        });

        var answered = 0UL;
        var goAway = false;
        var stream = new NetworkStream(socket, ownsSocket: false);
        var header = new byte[Frame.HeaderSize];
        while (await ReadFullyAsync(stream, header))
        {
            var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
            Assert.True(await ReadFullyAsync(stream, payload), "the stream ended inside a frame");
            var kind = (FrameKind)header[4];
            if (kind == FrameKind.GoAway)
            {
                goAway = true;
                goAwaySeen.TrySetResult();
                continue;
            }

            Assert.Equal(FrameKind.Response, kind);
            Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));

            // Built-in answers come in the order of the requests: each one is the next, with its own data.
            Assert.Equal(answered + 1, message.Id);
            Assert.Equal(Data(message.Id), message.Data.ToArray());
            answered = message.Id;
            if (answered == 1000)
            {
                stop();
            }
        }

        Assert.True(goAway, "no GoAway before the end of the stream");
        Assert.InRange(answered, 1000UL, (ulong)maxRequests);
        await sending;
    }

    [Fact]
    public async Task Readyz_and_healthz_answer_200_while_serving()
    {
        await using var process = EchoHostProcess.StartOnLoopback("Native");
        var http = await process.EndPointAsync("http");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{http}") };

        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        using var alive = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, alive.StatusCode);
    }

    private static byte[] Data(ulong id) => BitConverter.GetBytes(id * 2654435761UL);

    private static async Task<bool> ReadFullyAsync(NetworkStream stream, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, timeout.Token);
        if (read == 0)
        {
            return false;
        }

        Assert.Equal(buffer.Length, read);
        return true;
    }
}
