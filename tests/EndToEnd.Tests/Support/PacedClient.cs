using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// A well-behaved client that keeps one connection and, until stopped, asks and checks one round at a time, a pause
/// between rounds: raw echo (a payload of its own, back byte for byte) or framed (an Echo request, its Response with
/// the same Id and Data). Paced so that its own traffic costs the server little CPU. A wrong answer or a failure
/// ends its loop, and <see cref="StopAsync"/> throws it.
/// </summary>
internal sealed class PacedClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly bool _framed;
    private readonly TimeSpan _pause;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _rounds;

    private PacedClient(Socket socket, bool framed, TimeSpan pause)
    {
        _socket = socket;
        _framed = framed;
        _pause = pause;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Rounds answered exactly so far.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Whether the loop has ended (it ends only when stopped, or on a failure).</summary>
    public bool HasFailed => _loop.IsCompleted && !_stop.IsCancellationRequested;

    /// <summary>Connects to an endpoint that speaks <paramref name="protocol"/> (<c>echo</c> or <c>framed</c>) and starts asking.</summary>
    public static async Task<PacedClient> StartAsync(EndPoint endPoint, string protocol, TimeSpan pause)
        => new(await Loopback.ConnectAsync(endPoint), protocol == "framed", pause);

    /// <summary>Stops asking; returns the rounds answered, or throws what ended the loop early.</summary>
    public async Task<long> StopAsync()
    {
        var failed = HasFailed;
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException) when (!failed)
        {
        }

        return Rounds;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
#pragma warning disable CA1031 // Disposal after a failed test: the failure has been reported already.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        for (var round = 0; !_stop.IsCancellationRequested; round++)
        {
            var payload = Loopback.Payload(1 + (round * 37 % 4000), round);
            if (_framed)
            {
                await FramedRoundAsync((ulong)round, payload);
            }
            else
            {
                var sending = Loopback.SendAllAsync(_socket, payload);
                var echoed = new byte[payload.Length];
                await Loopback.ReadExactlyAsync(_socket, echoed);
                await sending;
                if (!payload.AsSpan().SequenceEqual(echoed))
                {
                    throw new InvalidOperationException($"Round {round}: the echo differs from what was sent.");
                }
            }

            Interlocked.Increment(ref _rounds);
            await Task.Delay(_pause, _stop.Token);
        }
    }

    private async Task FramedRoundAsync(ulong id, byte[] data)
    {
        var request = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(request, FrameKind.Request, id, MessageTypes.Echo, data, []);
        await Loopback.SendAllAsync(_socket, request.WrittenMemory);
        var header = new byte[Frame.HeaderSize];
        await Loopback.ReadExactlyAsync(_socket, header);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await Loopback.ReadExactlyAsync(_socket, payload);
        if ((FrameKind)header[4] != FrameKind.Response || !Message.TryParse(new ReadOnlySequence<byte>(payload), out var message)
            || message.Id != id || !message.Data.ToArray().AsSpan().SequenceEqual(data))
        {
            throw new InvalidOperationException($"Request {id}: the answer is not its Echo response.");
        }
    }
}
