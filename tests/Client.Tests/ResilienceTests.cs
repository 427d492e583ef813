using System.Text;
using EchoHost.Client.Tests.Support;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Client.Tests;

/// <summary>
/// What the default resilience pipeline repeats and what it never does, against the tests' own framed server: a
/// request that was never sent is retried; one that may have reached the server is retried only when declared
/// idempotent, and otherwise fails saying that its outcome is unknown.
/// </summary>
public class ResilienceTests
{
    private const byte Order = 0x60; // an application's type: not idempotent unless declared

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_that_fails_before_it_is_written_is_retried_and_succeeds()
    {
        // The port is held, but refuses connections until the server listens.
        await using var server = new FakeFramedServer(listen: false);
        var time = new FakeTimeProvider();
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var client = new FramedClient(server.EndPoint, new FramedClientOptions
        {
            TimeProvider = time,
            LoggerFactory = loggers,
            RequestTimeout = TimeSpan.FromHours(1),
            ConnectTimeout = TimeSpan.FromHours(1),
            // Retries enough that a slow machine's background reconnection is never outrun by them.
            Resilience = new FramedResilienceOptions { PollyTelemetry = true, MaxRetryAttempts = 10 },
        });

        var sending = client.SendAsync(Order, "once"u8.ToArray());
        await ClientAssert.EventuallyAsync(() => client.GetStatistics().ConnectFailures == 1, "the first attempt to connect was refused");
        server.Listen();

        // The retry waits for its back-off, the pool reconnects after its own: both on the fake clock.
        var response = await time.AdvanceUntilAsync(sending, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));

        Assert.Equal("once", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(1, server.Requests);
        var statistics = client.GetStatistics();
        Assert.True(statistics.Retries >= 1, $"retries: {statistics.Retries}");
        Assert.Equal(1, statistics.RequestsSent);
        Assert.Equal(1, statistics.RequestsSucceeded);

        // The client logged the retry from Polly's OnRetry event; Polly's own telemetry, asked for, logged it too.
        Assert.Contains(logs.Entries, e => e.Category == "EchoHost.Client.FramedClient" && e.Level == LogLevel.Warning && e.Message.Contains("attempt 2 in", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("Polly", StringComparison.Ordinal) && e.Message.Contains("OnRetry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_whose_connection_dies_after_it_was_written_is_not_retried_and_its_outcome_is_unknown()
    {
        await using var server = new FakeFramedServer();
        server.OnRequest = request => request.Connection.Abort();
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);

        var failure = await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => client.SendAsync(Order, "pay"u8.ToArray()).WaitAsync(Hang));

        Assert.Contains("Whether the server handled the request is unknown", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);
        var statistics = client.GetStatistics();
        Assert.Equal(0, statistics.Retries);
        Assert.Equal(1, statistics.OutcomeUnknown);
        Assert.Equal(1, statistics.RequestsSent);
    }

    [Fact]
    public async Task Declared_idempotent_in_the_options_or_per_call_the_same_request_is_retried_on_a_new_connection()
    {
        await using var server = new FakeFramedServer();
        var seen = 0;
        server.OnRequest = request =>
        {
            // Every other request loses its connection after the server read it.
            if (Interlocked.Increment(ref seen) % 2 == 1)
            {
                request.Connection.Abort();
            }
            else
            {
                request.Connection.Respond(request.Id, request.Type, request.Data);
            }
        };
        var options = new FramedClientOptions();
        options.IdempotentTypes.Add(Order);
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, options);

        var byOptions = await client.SendAsync(Order, "lookup"u8.ToArray()).WaitAsync(Hang);
        var perCall = await client.SendAsync(0x61, "get"u8.ToArray(), null, idempotent: true).WaitAsync(Hang);

        Assert.Equal("lookup", Encoding.UTF8.GetString(byOptions.Data.Span));
        Assert.Equal("get", Encoding.UTF8.GetString(perCall.Data.Span));
        Assert.Equal(4, server.Requests);
        Assert.Equal(2, client.GetStatistics().Retries);

        // The call's word overrides the options: declared not idempotent, it is not repeated.
        await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => client.SendAsync(Order, "again"u8.ToArray(), null, idempotent: false).WaitAsync(Hang));
        Assert.Equal(5, server.Requests);
    }

    [Fact]
    public async Task Error_answers_are_not_retried()
    {
        await using var server = new FakeFramedServer();
        server.OnRequest = request => request.Connection.Error(request.Id, request.Type, Protocol.ErrorCodes.HandlerFailed, "no");
        var options = new FramedClientOptions();
        options.IdempotentTypes.Add(Order);
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, options);

        await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(Order, "x"u8.ToArray()).WaitAsync(Hang));

        Assert.Equal(1, server.Requests);
        Assert.Equal(1, client.GetStatistics().ErrorResponses);
    }
}
