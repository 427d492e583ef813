using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// <see cref="NativeTransportOptions.MaxTotalReadBufferSize"/>: the bytes buffered over all connections stay near the
/// cap while applications are behind, every byte still arrives once they read, and an application waiting for the
/// rest of a frame is never held back by the others.
/// </summary>
public sealed class ReadBudgetTests(ITestOutputHelper output) : TransportTestBase(Capped, output)
{
    private const int Cap = 256 * 1024;
    private const int Clients = 16;
    private const int PerClient = 512 * 1024;

    // Past the cap, at most one read of one pool block per loop can be under way when the cap is seen.
    private const long Slack = 64 * 1024;

    private static TransportSelector Capped { get; } = TransportSelector.Native("Native (MaxTotalReadBufferSize = 256 KiB)", o => o.MaxTotalReadBufferSize = Cap);

    [Fact]
    public async Task Connections_whose_application_does_not_read_stay_under_the_total_and_every_byte_arrives_later()
    {
        var server = await StartAsync(l => l.Tcp<HoldThenEchoHandler>(IPAddress.Loopback));
        using var buffered = new MeterReader(server.Services, TransportMetrics.MeterName, "echohost.transport.read.buffered");
        using var pauses = new MeterReader(server.Services, TransportMetrics.MeterName, "echohost.transport.backpressure.pauses");

        var (clients, records, sends) = await ConnectAndSendAsync(server, Clients, seed: 100);

        // 8 MiB offered to handlers that read nothing: the transport reads up to the cap and stops.
        Assert.True(await EventuallyAsync(() => buffered.Read() >= Cap), $"the transport buffered only {buffered.Read():N0} bytes");
        Assert.True(pauses.Read("direction", "read_total") > 0, "no connection stopped reading for the total");
        long most = 0;
        for (int i = 0; i < 20; i++)
        {
            most = Math.Max(most, buffered.Read());
            await Task.Delay(50, Deadline);
        }

        Output.WriteLine($"Buffered over {Clients} connections: at most {most:N0} bytes (cap {Cap:N0}).");
        Assert.InRange(most, Cap, Cap + Slack);

        await ReleaseAndReadEveryEchoAsync(clients, records, sends, seed: 100);

        Assert.True(await EventuallyAsync(() => buffered.Read() == 0), $"{buffered.Read():N0} bytes still counted after every connection closed");
    }

    [Fact]
    public async Task An_application_waiting_for_the_rest_of_a_frame_reads_it_while_others_hold_the_total()
    {
        var server = await StartAsync(l => l.Tcp<HoldThenEchoHandler>(IPAddress.Loopback).Tcp<WholeFrameHandler>(IPAddress.Loopback));
        using var buffered = new MeterReader(server.Services, TransportMetrics.MeterName, "echohost.transport.read.buffered");
        var (holders, records, sends) = await ConnectAndSendAsync(server, Clients, seed: 200);
        Assert.True(await EventuallyAsync(() => buffered.Read() >= Cap), $"the transport buffered only {buffered.Read():N0} bytes");

        // A frame three times the cap (under MaxReadBufferSize), which its handler can use only whole.
        using var framed = await ConnectAsync(server.EndPoints[1]);
        byte[] payload = TestData.Create(3 * Cap, seed: 7);
        byte[] frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        await framed.SendAsync(frame, SocketFlags.None, Deadline);
        byte[] answer = new byte[12];
        await WithinLimitAsync(ReceiveExactlyAsync(framed, answer, 0), "the frame's answer");
        Assert.Equal(payload.Length, BinaryPrimitives.ReadInt32BigEndian(answer));
        Assert.Equal(WholeFrameHandler.Sum(payload), BinaryPrimitives.ReadInt64BigEndian(answer.AsSpan(4)));

        // The holders were held back, not cut off.
        await ReleaseAndReadEveryEchoAsync(holders, records, sends, seed: 200);
    }

    /// <summary>Lets the holding handlers echo; every client gets all it sent back, and its connection is closed.</summary>
    private async Task ReleaseAndReadEveryEchoAsync(Socket[] clients, ConnectionRecord[] records, Task[] sends, int seed)
    {
        foreach (var record in records)
        {
            record.Release();
        }

        await WithinLimitAsync(Task.WhenAll(clients.Select((c, i) => ReadEchoAsync(c, TestData.Create(PerClient, seed + i)))), "every echo");
        await WithinLimitAsync(Task.WhenAll(sends), "every send");
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    /// <summary>Connects <paramref name="count"/> clients to the server's first listener, each sending its own data in the background.</summary>
    private async Task<(Socket[] Clients, ConnectionRecord[] Records, Task[] Sends)> ConnectAndSendAsync(TestServer server, int count, int seed)
    {
        var clients = new Socket[count];
        var records = new ConnectionRecord[count];
        var sends = new Task[count];
        for (int i = 0; i < count; i++)
        {
            clients[i] = await ConnectAsync(server.EndPoint);
            records[i] = await server.Log.WaitForClientAsync(clients[i].LocalEndPoint, Deadline);
            sends[i] = SendAllAsync(clients[i], TestData.Create(PerClient, seed + i));
        }

        return (clients, records, sends);
    }

    private async Task SendAllAsync(Socket client, byte[] data)
    {
        for (int sent = 0; sent < data.Length;)
        {
            sent += await client.SendAsync(data.AsMemory(sent), SocketFlags.None, Deadline);
        }
    }

    private async Task ReadEchoAsync(Socket client, byte[] expected)
    {
        byte[] echoed = new byte[expected.Length];
        await ReceiveExactlyAsync(client, echoed, 0);
        TestData.AssertSame(expected, echoed);
    }

    private async Task ReceiveExactlyAsync(Socket client, byte[] buffer, int offset)
    {
        while (offset < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, Deadline);
            Assert.True(n > 0, $"the connection ended after {offset:N0} of {buffer.Length:N0} bytes");
            offset += n;
        }
    }
}

/// <summary>Reads nothing until the test releases it, then echoes everything until the peer finishes.</summary>
public sealed class HoldThenEchoHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    /// <inheritdoc />
    protected override async Task RunAsync(ConnectionContext connection, ConnectionRecord record)
    {
        await record.Released.WaitAsync(connection.ConnectionClosed);
        await EchoAsync(connection, record);
    }
}

/// <summary>
/// Needs a whole frame (a 4-byte length, then that many bytes) before it consumes anything, as a framed protocol's
/// reader does; answers its length and the sum of its bytes.
/// </summary>
public sealed class WholeFrameHandler(ConnectionLog log) : RecordingConnectionHandler(log)
{
    public static long Sum(ReadOnlySequence<byte> bytes)
    {
        long sum = 0;
        foreach (var segment in bytes)
        {
            foreach (byte b in segment.Span)
            {
                sum += b;
            }
        }

        return sum;
    }

    public static long Sum(byte[] bytes) => Sum(new ReadOnlySequence<byte>(bytes));

    /// <inheritdoc />
    protected override async Task RunAsync(ConnectionContext connection, ConnectionRecord record)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(buffer.Slice(0, 4).ToArray());
                if (buffer.Length >= 4 + length)
                {
                    var payload = buffer.Slice(4, length);
                    byte[] answer = new byte[12];
                    BinaryPrimitives.WriteInt32BigEndian(answer, length);
                    BinaryPrimitives.WriteInt64BigEndian(answer.AsSpan(4), Sum(payload));
                    input.AdvanceTo(payload.End);
                    await connection.Transport.Output.WriteAsync(answer);
                    continue;
                }
            }

            // Not whole yet: examined everything, consumed nothing.
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }
}
