using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EchoHost.EndToEnd.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.EndToEnd.Tests;

/// <summary>
/// <c>EchoHost:Native:MaxTotalReadBufferSize</c> in the built service: clients that send and never read hold the
/// service's buffers at the cap, not at <c>MaxReadBufferSize</c> each, while a framed client's frame larger than the
/// whole cap is still read and answered, and every byte the others sent comes back once they read.
/// </summary>
public partial class TotalReadBufferTests
{
    private const int Cap = 256 * 1024;
    private const int Hogs = 12;

    [Theory]
    [ForEachBuild("Native")]
    [ForEachBuild(Transports.NativeEpoll)]
    public async Task Clients_that_do_not_read_are_held_at_the_total_and_a_frame_larger_than_it_is_still_answered(string build, string transport)
    {
        await using var process = EchoHostProcess.StartOnLoopback(build, transport, $"--EchoHost:Native:MaxTotalReadBufferSize={Cap}");
        var echo = await process.EndPointAsync("echo");
        var framed = await process.EndPointAsync("framed");
        var http = (await process.WaitForEndpointsAsync("http"))["http"];

        // Clients with small socket buffers that send until the service stops reading them and read nothing.
        var hogs = new List<(Socket Socket, byte[] Data, Task<(long Stalled, Task<long> Total)> Sending)>();
        try
        {
            for (var i = 0; i < Hogs; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, SendBufferSize = 4096 };
                await socket.ConnectAsync(echo);
                var data = Loopback.Payload(16 * 1024 * 1024, 100 + i);
                hogs.Add((socket, data, SendUntilStalledAsync(socket, data)));
            }

            await Task.WhenAll(hogs.Select(h => h.Sending));

            var metrics = await ScrapeAsync(http);
            var buffered = Sample(metrics, "echohost_transport_read_buffered_bytes");
            Assert.True(Sample(metrics, "echohost_transport_backpressure_pauses_total", "direction=\"read_total\"") > 0, "no connection stopped reading for the total");
            Assert.InRange(buffered, Cap / 2, Cap + (64 * 1024));

            // A frame three times the cap, which the framed endpoint can answer only once it has all of it.
            using (var client = await Loopback.ConnectAsync(framed))
            {
                var data = Loopback.Payload(3 * Cap, 7);
                var request = new ArrayBufferWriter<byte>();
                FrameWriter.WriteMessage(request, FrameKind.Request, 42, MessageTypes.Echo, data, []);
                var sending = Loopback.SendAllAsync(client, request.WrittenMemory);
                var header = new byte[Frame.HeaderSize];
                await Loopback.ReadExactlyAsync(client, header);
                var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
                await Loopback.ReadExactlyAsync(client, payload);
                await sending;
                Assert.Equal(FrameKind.Response, (FrameKind)header[4]);
                Assert.True(Message.TryParse(new ReadOnlySequence<byte>(payload), out var message));
                Assert.Equal(42UL, message.Id);
                Assert.Equal(data, message.Data.ToArray());
            }

            // A new echo client is served too.
            Assert.Equal(Loopback.Payload(5000, 3), await Loopback.EchoAsync(echo, Loopback.Payload(5000, 3)));

            // Held back, not cut off: each gets back exactly what it sent.
            var echoes = await Task.WhenAll(hogs.Select(async h =>
            {
                var reading = Loopback.ReadToEndAsync(h.Socket);
                var sent = await (await h.Sending).Total;
                h.Socket.Shutdown(SocketShutdown.Send);
                return (Sent: sent, Echo: await reading);
            }));
            for (var i = 0; i < hogs.Count; i++)
            {
                Assert.Equal(echoes[i].Sent, echoes[i].Echo.Length);
                Assert.True(hogs[i].Data.AsSpan(0, echoes[i].Echo.Length).SequenceEqual(echoes[i].Echo), $"client {i}'s echo differs from what it sent");
            }
        }
        finally
        {
            hogs.ForEach(h => h.Socket.Dispose());
        }

        Assert.False(process.HasExited);
    }

    /// <summary>
    /// Sends <paramref name="data"/> in 64 KiB writes until one makes no progress for two seconds; completes then with
    /// the rest of the sending (that write, once the server reads again), whose result is every byte sent. A kernel
    /// that grows the server's receive buffer to tens of MiB (<c>net.ipv4.tcp_rmem</c>) may take all of it without a
    /// stall: the service's own buffers are what the test holds to the cap, and the metrics say whether they were.
    /// </summary>
    private static async Task<(long Stalled, Task<long> Total)> SendUntilStalledAsync(Socket socket, byte[] data)
    {
        long sent = 0;
        while (sent < data.Length)
        {
            var send = socket.SendAsync(data.AsMemory((int)sent, (int)Math.Min(64 * 1024, data.Length - sent)), SocketFlags.None).AsTask();
            try
            {
                sent += await send.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
                var stalled = sent;
                return (stalled, send.ContinueWith(t => stalled + t.Result, TaskScheduler.Default));
            }
        }

        return (sent, Task.FromResult(sent));
    }

    private static async Task<string> ScrapeAsync(string http)
    {
        using var client = new HttpClient { Timeout = Loopback.Timeout };
        return await client.GetStringAsync(new Uri(http + "/metrics"));
    }

    /// <summary>The value of the sample of <paramref name="name"/> (whose labels contain <paramref name="label"/>, if given).</summary>
    private static long Sample(string metrics, string name, string? label = null)
    {
        foreach (Match match in SampleLine().Matches(metrics))
        {
            if (match.Groups["name"].Value == name && (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return (long)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/metrics has no sample of {name} {label}:\n{metrics}");
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
