using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EchoHost.LoadGen.Soak;

/// <summary>What a hostile connection of the soak does.</summary>
internal enum HostileKind
{
    /// <summary>Random bytes to the framed endpoint, then read until the server closes (or a second passes).</summary>
    Garbage,

    /// <summary>A Request header whose Length is far past MaxFrameBytes.</summary>
    Oversized,

    /// <summary>A header that promises more payload than follows, then the sending side shut down.</summary>
    Truncated,

    /// <summary>Half a header, then a reset.</summary>
    ResetInHeader,

    /// <summary>A header and half its payload, then a reset.</summary>
    ResetInPayload,

    /// <summary>A whole Echo request, then a reset before the answer is read.</summary>
    ResetBeforeAnswer,

    /// <summary>64 KiB to the echo endpoint, then a reset without reading the echo.</summary>
    EchoReset,
}

/// <summary>
/// A few hostile connections, one at a time, one every <c>interval</c> until the deadline, each kind in turn: each is
/// bounded by a short timeout. They check nothing but that the server can be reached; what they must not do is
/// change what the well-behaved clients get.
/// </summary>
internal sealed class HostileClients(IPEndPoint echo, IPEndPoint framed, TimeSpan interval, int seed)
{
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromSeconds(1);

    private readonly Random _random = new(seed);

    /// <summary>Connections made, by kind.</summary>
    public long[] Made { get; } = new long[Enum.GetValues<HostileKind>().Length];

    /// <summary>Hostile connections the server did not accept (refused or timed out connecting).</summary>
    public long ConnectFailures { get; private set; }

    public async Task RunAsync(long deadlineTicks)
    {
        var kinds = Enum.GetValues<HostileKind>();
        for (var n = 0; Stopwatch.GetTimestamp() < deadlineTicks; n++)
        {
            var kind = kinds[n % kinds.Length];
            try
            {
                await RunOneAsync(kind).ConfigureAwait(false);
                Made[(int)kind]++;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                ConnectFailures++;
            }

            await Task.Delay(interval).ConfigureAwait(false);
        }
    }

    private async Task RunOneAsync(HostileKind kind)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (var connect = new CancellationTokenSource(s_stepTimeout))
        {
            await socket.ConnectAsync(kind == HostileKind.EchoReset ? echo : framed, connect.Token).ConfigureAwait(false);
        }

        // From here on the server may close or reset at any time: that is its answer, not a failure.
        try
        {
            await ActAsync(socket, kind).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }

    private async Task ActAsync(Socket socket, HostileKind kind)
    {
        switch (kind)
        {
            case HostileKind.Garbage:
                var garbage = new byte[_random.Next(1, 4097)];
                _random.NextBytes(garbage);
                await SendAsync(socket, garbage).ConfigureAwait(false);
                await DrainAsync(socket).ConfigureAwait(false);
                break;
            case HostileKind.Oversized:
                await SendAsync(socket, Header(0x7FFF_FFF0)).ConfigureAwait(false);
                await DrainAsync(socket).ConfigureAwait(false);
                break;
            case HostileKind.Truncated:
                await SendAsync(socket, Header(1000).Concat(new byte[_random.Next(0, 1000)]).ToArray()).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                await DrainAsync(socket).ConfigureAwait(false);
                break;
            case HostileKind.ResetInHeader:
                await SendAsync(socket, Header(100).AsMemory(0, _random.Next(1, 8))).ConfigureAwait(false);
                Reset(socket);
                break;
            case HostileKind.ResetInPayload:
                var request = EchoRequest(_random.Next(16, 4096));
                await SendAsync(socket, request.AsMemory(0, _random.Next(9, request.Length))).ConfigureAwait(false);
                Reset(socket);
                break;
            case HostileKind.ResetBeforeAnswer:
                await SendAsync(socket, EchoRequest(_random.Next(16, 4096))).ConfigureAwait(false);
                Reset(socket);
                break;
            case HostileKind.EchoReset:
                await SendAsync(socket, new byte[64 * 1024]).ConfigureAwait(false);
                Reset(socket);
                break;
        }
    }

    /// <summary>A Request frame's header with <paramref name="length"/> payload bytes.</summary>
    private static byte[] Header(uint length)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, length);
        header[4] = 0x01;
        return header;
    }

    /// <summary>A whole Echo request (Id 1) whose Data is <paramref name="dataLength"/> zero bytes.</summary>
    private static byte[] EchoRequest(int dataLength)
    {
        var frame = new byte[8 + 15 + dataLength];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(15 + dataLength));
        frame[4] = 0x01;
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), 1);
        frame[16] = 0x10;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(17), (uint)dataLength);
        return frame;
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(s_stepTimeout);
        while (!bytes.IsEmpty)
        {
            bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None, timeout.Token).ConfigureAwait(false)..];
        }
    }

    /// <summary>Reads whatever the server answers until it closes, or the step's timeout passes.</summary>
    private static async Task DrainAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(s_stepTimeout);
        var buffer = new byte[4096];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
        {
        }
    }

    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
