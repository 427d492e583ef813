using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>What a framed client saw of a drain: the last answer in an unbroken run from Id 1, and whether GoAway came.</summary>
internal readonly record struct DrainOutcome(ulong Answered, bool GoAway);

/// <summary>
/// A framed client of docs/protocol.md on the raw codec, which sees every frame: it pipelines Echo requests in batches until
/// GoAway, asks for the server to be stopped once <c>stopAfter</c> answers have come, and reads until the server
/// closes, checking that each answer is the next request's, with its own data.
/// </summary>
internal static class DrainClient
{
    private const int MaxRequests = 200_000;
    private const int Batch = 100;

    public static async Task<DrainOutcome> RunAsync(EndPoint endPoint, ulong stopAfter, Action stop)
    {
        using var socket = await Loopback.ConnectAsync(endPoint);
        return await RunAsync(socket, stopAfter, stop);
    }

    /// <summary>As <see cref="RunAsync(EndPoint, ulong, Action)"/>, on a connection already open (through a proxy).</summary>
    public static async Task<DrainOutcome> RunAsync(Socket socket, ulong stopAfter, Action stop)
    {
        var goAwaySeen = new TaskCompletionSource();
        var sending = Task.Run(async () =>
        {
            var batch = new ArrayBufferWriter<byte>();
            for (ulong id = 1; id <= MaxRequests && !goAwaySeen.Task.IsCompleted; id += Batch)
            {
                batch.ResetWrittenCount();
                for (var i = id; i < id + Batch; i++)
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
        using var stream = new NetworkStream(socket, ownsSocket: false);
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
            if (answered == stopAfter)
            {
                stop();
            }
        }

        Assert.InRange(answered, stopAfter, (ulong)MaxRequests);
        await sending;
        return new DrainOutcome(answered, goAway);
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
