using System.Collections.Concurrent;
using System.Text;
using EchoHost.Client.Tests.Support;

namespace EchoHost.Client.Tests;

/// <summary>A pool with some connections down serves from the others; with all down it fails at once, saying why.</summary>
public class DegradationTests
{
    private const byte Order = 0x60;

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Requests_go_to_the_healthy_connections_and_fail_fast_once_none_is_left()
    {
        await using var server = new FakeFramedServer();
        var held = new ConcurrentQueue<FakeRequest>();
        var heldTwo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = request =>
        {
            if (Encoding.UTF8.GetString(request.Data) == "hold")
            {
                held.Enqueue(request);
                if (held.Count == 2)
                {
                    heldTwo.TrySetResult();
                }
            }
            else
            {
                request.Connection.Respond(request.Id, request.Type, request.Data);
            }
        };
        await using var client = new FramedClient(server.EndPoint, new FramedClientOptions
        {
            PoolSize = 2,
            Resilience = new FramedResilienceOptions { MaxRetryAttempts = 0, CircuitBreakerEnabled = false },
        });

        // Two requests waiting at once fill both places of the pool.
        var one = client.SendAsync(Order, "hold"u8.ToArray());
        var two = client.SendAsync(Order, "hold"u8.ToArray());
        await heldTwo.Task.WaitAsync(Hang);
        foreach (var request in held)
        {
            request.Connection.Respond(request.Id, request.Type, request.Data);
        }

        await Task.WhenAll(one, two).WaitAsync(Hang);
        Assert.Equal(2, server.Accepted);
        var first = await server.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);
        var second = await server.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);

        // One connection dies and cannot be replaced: its place backs off, the other serves every request.
        server.StopListening();
        first.Abort();
        await ClientAssert.EventuallyAsync(() => client.GetStatistics().ConnectFailures >= 1, "the lost connection's place failed to reconnect");
        for (var i = 0; i < 20; i++)
        {
            var response = await client.SendAsync(Order, Encoding.UTF8.GetBytes($"r{i}")).WaitAsync(Hang);
            Assert.Equal($"r{i}", Encoding.UTF8.GetString(response.Data.Span));
        }

        Assert.Equal(0, client.GetStatistics().Unavailable);

        // The last one dies: requests fail at once, with the reason and when the next attempt comes.
        second.Abort();
        await ClientAssert.EventuallyAsync(() => client.GetStatistics().OpenConnections == 0 && client.GetStatistics().ConnectFailures >= 2, "both places are down");
        var failure = await Assert.ThrowsAsync<FramedUnavailableException>(() => client.SendAsync(Order, "x"u8.ToArray()).WaitAsync(Hang));
        Assert.Equal(FramedUnavailableReason.Unreachable, failure.Reason);
        Assert.Contains("Could not connect", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(failure.RetryAfter);
    }
}
