using System.Net.Sockets;
using System.Text;
using EchoHost.Client.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Client.Tests;

/// <summary>Health checks of idle pooled connections, on a fake clock, against the tests' own framed server.</summary>
public class HealthCheckTests
{
    private const byte Order = 0x60; // not idempotent: a request lost on a dead connection would not be repeated

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private static FramedClientOptions Options(FakeTimeProvider time) => new()
    {
        TimeProvider = time,
        HealthCheckInterval = TimeSpan.FromSeconds(30),
        HealthCheckTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromHours(1),
        ConnectTimeout = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task A_connection_that_misses_its_Pong_is_replaced_before_the_next_request_which_succeeds()
    {
        await using var server = new FakeFramedServer();
        var time = new FakeTimeProvider();
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, Options(time));
        var first = await server.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);

        // The server stops answering Pings (a hung peer whose socket stays open).
        var pinged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnPing = _ =>
        {
            pinged.TrySetResult();
            return null;
        };

        time.Advance(TimeSpan.FromSeconds(30));
        await pinged.Task.WaitAsync(Hang);
        time.Advance(TimeSpan.FromSeconds(5));

        // The client closed the silent connection and opened another, before any request needed one.
        await first.ClientFinished.WaitAsync(Hang);
        var second = await server.Connections.Reader.ReadAsync().AsTask().WaitAsync(Hang);
        server.OnPing = payload => payload;
        FakeRequest? served = null;
        server.OnRequest = request =>
        {
            served = request;
            request.Connection.Respond(request.Id, request.Type, request.Data);
        };

        var response = await client.SendAsync(Order, "after"u8.ToArray()).WaitAsync(Hang);

        Assert.Equal("after", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Same(second, served!.Connection);
        Assert.Equal(1, server.Requests);
        var statistics = client.GetStatistics();
        Assert.Equal(1, statistics.HealthChecks);
        Assert.Equal(1, statistics.HealthCheckFailures);
        Assert.Equal(1, statistics.Reconnections);
        Assert.Equal(0, statistics.OutcomeUnknown);
        Assert.Equal(0, statistics.Retries);
    }

    [Fact]
    public async Task A_connection_that_answers_keeps_serving_and_a_busy_one_is_not_pinged()
    {
        await using var server = new FakeFramedServer();
        var pings = 0;
        server.OnPing = payload =>
        {
            Interlocked.Increment(ref pings);
            return payload;
        };
        var time = new FakeTimeProvider();
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, Options(time));

        time.Advance(TimeSpan.FromSeconds(30));
        await ClientAssert.EventuallyAsync(() => client.GetStatistics().HealthChecks == 1 && Volatile.Read(ref pings) == 1, "one health check answered");
        time.Advance(TimeSpan.FromSeconds(5));

        // An answer 10 s before the next check makes the connection not idle: that check waits for a whole idle interval.
        time.Advance(TimeSpan.FromSeconds(15));
        await client.SendAsync(Order, "busy"u8.ToArray()).WaitAsync(Hang);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, client.GetStatistics().PingsSent); // a Ping is counted as it is written, within Advance
        time.Advance(TimeSpan.FromSeconds(20));
        await ClientAssert.EventuallyAsync(() => client.GetStatistics().HealthChecks == 2, "the second health check");

        var statistics = client.GetStatistics();
        Assert.Equal(0, statistics.HealthCheckFailures);
        Assert.Equal(1, server.Accepted);
        Assert.Equal(2, Volatile.Read(ref pings));
    }

    [Fact]
    public async Task TCP_keepalive_is_set_when_asked_for()
    {
        await using var server = new FakeFramedServer();
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, new FramedClientOptions { TcpKeepAlive = TimeSpan.FromSeconds(7) });
        await using var without = await FramedClient.ConnectAsync(server.EndPoint);

        var socket = Assert.Single(client.Connections).Socket;
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(7, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(7, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(0, (int)Assert.Single(without.Connections).Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }
}
