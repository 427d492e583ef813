using System.Net;
using System.Text;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace EchoHost.Client.Tests;

/// <summary>The circuit breaker while the real service is killed and started again on its port, on a fake clock.</summary>
public class CircuitBreakerTests
{
    private const int MinimumThroughput = 4;

    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killing_the_service_opens_the_breaker_which_fails_fast_half_opens_and_closes_once_the_service_is_back()
    {
        var first = StartServer(port: 0);
        try
        {
            var endPoint = (IPEndPoint)await first.EndPointAsync("framed");
            var time = new FakeTimeProvider();
            await using var client = await FramedClient.ConnectAsync(endPoint, new FramedClientOptions
            {
                TimeProvider = time,
                RequestTimeout = TimeSpan.FromHours(1),
                ConnectTimeout = TimeSpan.FromHours(1),
                HealthCheckInterval = TimeSpan.Zero,
                Resilience = new FramedResilienceOptions
                {
                    MaxRetryAttempts = 0, // each call is one attempt, so that the breaker's count is the test's
                    MinimumThroughput = MinimumThroughput,
                    FailureRatio = 0.5,
                    BreakDuration = BreakDuration,
                },
            });
            await EchoAsync(client, "before");

            await first.DisposeAsync(); // killed: its connections reset, its port refuses
            await ClientAssert.EventuallyAsync(() => client.GetStatistics().ConnectFailures >= 1, "the pool noticed the loss and failed to reconnect");

            // Failures until the breaker opens: within its minimum throughput, each one refused as unreachable.
            var unreachable = 0;
            FramedUnavailableException failure;
            while ((failure = await Assert.ThrowsAsync<FramedUnavailableException>(() => EchoAsync(client, "down"))).Reason == FramedUnavailableReason.Unreachable)
            {
                unreachable++;
                Assert.True(unreachable < MinimumThroughput, "the breaker did not open within its minimum throughput");
            }

            Assert.Equal(FramedUnavailableReason.CircuitOpen, failure.Reason);
            Assert.Contains("circuit breaker", failure.Message, StringComparison.Ordinal);
            Assert.Equal(CircuitState.Open, client.GetStatistics().CircuitState);

            // Open: requests fail at once, and none of them tries to connect.
            var attempts = client.GetStatistics().ConnectAttempts;
            for (var i = 0; i < 20; i++)
            {
                var rejected = await Assert.ThrowsAsync<FramedUnavailableException>(() => EchoAsync(client, "fast"));
                Assert.Equal(FramedUnavailableReason.CircuitOpen, rejected.Reason);
            }

            var open = client.GetStatistics();
            Assert.Equal(attempts, open.ConnectAttempts);
            Assert.Equal(21, open.CircuitOpenRejections);
            Assert.Equal(0, open.CircuitHalfOpened);

            // After its break it half-opens: one request goes through, fails (the service is still down), and it opens again.
            time.Advance(BreakDuration);
            var probe = await Assert.ThrowsAsync<FramedUnavailableException>(() => EchoAsync(client, "probe"));
            Assert.Equal(FramedUnavailableReason.Unreachable, probe.Reason);
            var reopened = client.GetStatistics();
            Assert.Equal(1, reopened.CircuitHalfOpened);
            Assert.Equal(2, reopened.CircuitOpened);
            Assert.Equal(FramedUnavailableReason.CircuitOpen, (await Assert.ThrowsAsync<FramedUnavailableException>(() => EchoAsync(client, "fast"))).Reason);

            // Back on its port: the pool reconnects in the background, the next half-open request succeeds and closes it.
            await using var second = StartServer(endPoint.Port);
            await second.EndPointAsync("framed");
            await time.AdvanceUntilAsync(SucceedAsync(client), TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(5));

            var closed = client.GetStatistics();
            Assert.Equal(CircuitState.Closed, closed.CircuitState);
            Assert.True(closed.CircuitClosed >= 1);
            Assert.True(closed.Reconnections >= 1);
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    /// <summary>Echoes until one succeeds; each failure waits for the fake clock to move on.</summary>
    private static async Task<bool> SucceedAsync(FramedClient client)
    {
        while (true)
        {
            try
            {
                await EchoAsync(client, "after");
                return true;
            }
            catch (FramedUnavailableException)
            {
                await Task.Delay(20);
            }
        }
    }

    private static EchoHostProcess StartServer(int port) => EchoHostProcess.StartOnLoopback(
        ServiceBuilds.Jit, "Auto", $"--EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{port}", "--EchoHost:Endpoints:framed:Protocol=framed");

    private static async Task EchoAsync(FramedClient client, string text)
    {
        var response = await client.SendAsync(MessageTypes.Echo, Encoding.UTF8.GetBytes(text)).WaitAsync(Hang);
        Assert.Equal(text, Encoding.UTF8.GetString(response.Data.Span));
    }
}
