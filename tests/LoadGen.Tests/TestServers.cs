using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EchoHost.LoadGen.Tests;

/// <summary>How an in-test server answers.</summary>
public enum ServerBehavior
{
    /// <summary>Raw echo: every byte back as it came.</summary>
    Echo,

    /// <summary>Raw echo, but the 100th byte of every connection comes back altered.</summary>
    CorruptEcho,

    /// <summary>Framed: each frame comes back with Kind Response (an Echo handler for requests without metadata).</summary>
    FramedEcho,

    /// <summary>Framed: each frame comes back as a Response with its Id plus one.</summary>
    FramedWrongId,
}

/// <summary>A tiny TCP server on 127.0.0.1 for the tests: a task per connection, stopped on dispose.</summary>
public sealed class TestServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ServerBehavior _behavior;
    private readonly Task _acceptLoop;

    static TestServer()
    {
        // The tests block threads while a run goes (the load generator's coordinating thread sleeps and joins); the
        // server's connections must not wait for the thread pool to grow past them.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    public TestServer(ServerBehavior behavior = ServerBehavior.Echo)
    {
        _behavior = behavior;
        _listener.Start(4096);
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The address of every accepted connection's client.</summary>
    public ConcurrentBag<IPAddress> ClientAddresses { get; } = [];

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            ClientAddresses.Add(((IPEndPoint)client.RemoteEndPoint!).Address);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        var buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        long total = 0;
        try
        {
            while (true)
            {
                var count = await stream.ReadAsync(buffer, _stop.Token);
                if (count == 0)
                {
                    return;
                }

                switch (_behavior)
                {
                    case ServerBehavior.Echo:
                    case ServerBehavior.CorruptEcho:
                        if (_behavior == ServerBehavior.CorruptEcho && total <= 99 && total + count > 99)
                        {
                            buffer[99 - total] ^= 0x5A;
                        }

                        total += count;
                        await stream.WriteAsync(buffer.AsMemory(0, count), _stop.Token);
                        break;
                    default:
                        pending.AddRange(buffer.AsSpan(0, count));
                        await AnswerFramesAsync(stream, pending);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
        }
    }

    private async Task AnswerFramesAsync(NetworkStream stream, List<byte> pending)
    {
        while (pending.Count >= 8)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian([.. pending.GetRange(0, 4)]);
            if (pending.Count < 8 + length)
            {
                return;
            }

            var frame = pending.GetRange(0, 8 + length).ToArray();
            pending.RemoveRange(0, 8 + length);
            frame[4] = 0x02;
            if (_behavior == ServerBehavior.FramedWrongId)
            {
                var id = BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(8));
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), id + 1);
            }

            await stream.WriteAsync(frame, _stop.Token);
        }
    }
}
