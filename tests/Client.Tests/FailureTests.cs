using System.Collections.Concurrent;
using System.Text;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests;

/// <summary>
/// Failures that the real server cannot be made to produce on demand, against the tests' own framed server:
/// answers that never come, connections dropped mid-request, GoAway at a chosen moment.
/// </summary>
public class FailureTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_request_without_answer_times_out_and_its_late_answer_is_dropped()
    {
        await using var server = new FakeFramedServer();
        var held = new TaskCompletionSource<FakeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = request =>
        {
            if (Encoding.UTF8.GetString(request.Data) == "hold")
            {
                held.TrySetResult(request);
            }
            else
            {
                request.Connection.Respond(request.Id, request.Type, request.Data);
            }
        };
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, new FramedClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });

        await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync(MessageTypes.Echo, "hold"u8.ToArray()));

        // The late answer arrives before the next request's own: the client must drop it, not confuse them.
        var late = await held.Task.WaitAsync(Hang);
        late.Connection.Respond(late.Id, late.Type, "late"u8);
        var response = await WithRetriesOnTimeout(() => client.SendAsync(MessageTypes.Echo, "next"u8.ToArray()));
        Assert.Equal("next", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(1, server.Accepted);
    }

    /// <summary>A short RequestTimeout may also catch a request that a busy machine is slow to answer: retried, not failed.</summary>
    private static async Task<FramedClientResponse> WithRetriesOnTimeout(Func<Task<FramedClientResponse>> send)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (TimeoutException) when (attempt < 20)
            {
            }
        }
    }

    [Fact]
    public async Task Cancelling_a_waiting_request_throws_and_the_connection_goes_on()
    {
        await using var server = new FakeFramedServer();
        var received = new TaskCompletionSource<FakeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = request =>
        {
            if (Encoding.UTF8.GetString(request.Data) == "hold")
            {
                received.TrySetResult(request);
            }
            else
            {
                request.Connection.Respond(request.Id, request.Type, request.Data);
            }
        };
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);
        using var cancel = new CancellationTokenSource();

        var waiting = client.SendAsync(MessageTypes.Echo, "hold"u8.ToArray(), cancellationToken: cancel.Token);
        var request = await received.Task.WaitAsync(Hang);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        request.Connection.Respond(request.Id, request.Type, "late"u8);
        var response = await client.SendAsync(MessageTypes.Echo, "next"u8.ToArray()).WaitAsync(Hang);
        Assert.Equal("next", Encoding.UTF8.GetString(response.Data.Span));
    }

    [Fact]
    public async Task A_dropped_connection_fails_its_pending_requests_and_the_next_request_reconnects()
    {
        await using var server = new FakeFramedServer();
        server.OnRequest = request =>
        {
            if (Encoding.UTF8.GetString(request.Data) == "drop")
            {
                request.Connection.Abort();
            }
            else
            {
                request.Connection.Respond(request.Id, request.Type, request.Data);
            }
        };
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);

        var failure = await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => client.SendAsync(MessageTypes.Echo, "drop"u8.ToArray()).WaitAsync(Hang));
        Assert.IsAssignableFrom<IOException>(failure);

        var response = await client.SendAsync(MessageTypes.Echo, "again"u8.ToArray()).WaitAsync(Hang);
        Assert.Equal("again", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(2, server.Accepted);
    }

    [Fact]
    public async Task Many_pending_requests_all_fail_when_the_connection_is_lost()
    {
        await using var server = new FakeFramedServer();
        var count = 0;
        server.OnRequest = request =>
        {
            // Holds the first 99, and drops the connection on the 100th.
            if (Interlocked.Increment(ref count) == 100)
            {
                request.Connection.Abort();
            }
        };
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);

        var requests = Enumerable.Range(0, 100).Select(i => client.SendAsync(MessageTypes.Echo, BitConverter.GetBytes(i))).ToArray();

        foreach (var request in requests)
        {
            await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => request.WaitAsync(Hang));
        }
    }

    [Fact]
    public async Task GoAway_lets_pending_requests_finish_and_new_ones_use_a_new_connection()
    {
        await using var server = new FakeFramedServer();
        var held = new ConcurrentQueue<FakeRequest>();
        var heldTwo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = request =>
        {
            if (Encoding.UTF8.GetString(request.Data).StartsWith("hold", StringComparison.Ordinal))
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
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);
        var first = await server.Connections.Reader.ReadAsync();
        var one = client.SendAsync(MessageTypes.Echo, "hold 1"u8.ToArray());
        var two = client.SendAsync(MessageTypes.Echo, "hold 2"u8.ToArray());
        await heldTwo.Task.WaitAsync(Hang);

        first.GoAway("shutting down");

        // The client honours it by sending nothing more: it shuts down its sending side.
        await first.ClientFinished.WaitAsync(Hang);
        var fresh = await client.SendAsync(MessageTypes.Echo, "new"u8.ToArray()).WaitAsync(Hang);
        Assert.Equal("new", Encoding.UTF8.GetString(fresh.Data.Span));
        Assert.Equal(2, server.Accepted);
        Assert.False(one.IsCompleted || two.IsCompleted);

        // The server answers what it had read, then closes.
        while (held.TryDequeue(out var request))
        {
            request.Connection.Respond(request.Id, request.Type, request.Data);
        }

        first.Close();
        Assert.Equal("hold 1", Encoding.UTF8.GetString((await one.WaitAsync(Hang)).Data.Span));
        Assert.Equal("hold 2", Encoding.UTF8.GetString((await two.WaitAsync(Hang)).Data.Span));
    }

    [Fact]
    public async Task Requests_unanswered_when_the_server_closes_after_GoAway_fail_with_its_reason()
    {
        await using var server = new FakeFramedServer();
        var received = new TaskCompletionSource<FakeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = request => received.TrySetResult(request);
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);

        var waiting = client.SendAsync(MessageTypes.Echo, "x"u8.ToArray());
        var request = await received.Task.WaitAsync(Hang);
        request.Connection.GoAway("maintenance");
        await request.Connection.ClientFinished.WaitAsync(Hang);
        request.Connection.Close();

        var failure = await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => waiting.WaitAsync(Hang));
        Assert.Contains("maintenance", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_frames_carry_code_id_type_and_text()
    {
        await using var server = new FakeFramedServer();
        server.OnRequest = request => request.Connection.Error(request.Id, request.Type, ErrorCodes.HandlerFailed, "the handler threw");
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);

        var error = await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(0x60, "x"u8.ToArray()).WaitAsync(Hang));

        Assert.Equal(ErrorCodes.HandlerFailed, error.Code);
        Assert.Equal(0x60, error.RequestType);
        Assert.Equal("the handler threw", error.Message);
        Assert.NotEqual(0UL, error.RequestId);
    }

    [Fact]
    public async Task A_pong_that_does_not_echo_the_ping_is_reported()
    {
        await using var server = new FakeFramedServer();
        await using var client = await FramedClient.ConnectAsync(server.EndPoint);
        Assert.True(await client.PingAsync("abc"u8.ToArray()).WaitAsync(Hang) > TimeSpan.Zero);

        server.OnPing = _ => "xyz"u8.ToArray();

        await Assert.ThrowsAsync<InvalidDataException>(() => client.PingAsync("abc"u8.ToArray()).WaitAsync(Hang));
    }

    [Fact]
    public async Task A_ping_that_times_out_keeps_its_place_so_that_its_late_pong_does_not_answer_the_next()
    {
        await using var server = new FakeFramedServer();
        var held = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnPing = payload =>
        {
            held.TrySetResult(payload);
            return null;
        };
        await using var client = await FramedClient.ConnectAsync(server.EndPoint, new FramedClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var connection = await server.Connections.Reader.ReadAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => client.PingAsync("first"u8.ToArray()));

        server.OnPing = payload => payload;
        connection.Pong(await held.Task.WaitAsync(Hang));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Matched to its own Pong, not to the late one (which would be an InvalidDataException).
                Assert.True(await client.PingAsync("second"u8.ToArray()) > TimeSpan.Zero);
                break;
            }
            catch (TimeoutException) when (attempt < 20)
            {
                // A busy machine may take longer than the short timeout: try again.
            }
        }
    }

    [Fact]
    public async Task Disposing_fails_pending_requests_and_refuses_new_ones()
    {
        await using var server = new FakeFramedServer();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = _ => received.TrySetResult();
        var client = await FramedClient.ConnectAsync(server.EndPoint);
        var waiting = client.SendAsync(MessageTypes.Echo, "x"u8.ToArray());
        await received.Task.WaitAsync(Hang);

        await client.DisposeAsync();

        await Assert.ThrowsAsync<FramedOutcomeUnknownException>(() => waiting.WaitAsync(Hang));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SendAsync(MessageTypes.Echo, "y"u8.ToArray()));
    }

    [Fact]
    public async Task Reconnecting_to_a_server_that_is_down_fails_then_succeeds_once_it_is_back()
    {
        var server = new FakeFramedServer();
        var endPoint = server.EndPoint;
        await using var client = await FramedClient.ConnectAsync(endPoint);
        var connection = await server.Connections.Reader.ReadAsync();
        await server.DisposeAsync();
        connection.Abort();

        // Until the client notices the loss, a request may still fail on the old connection; then connecting fails.
        await ClientAssert.ConnectionFailureAsync(() => client.SendAsync(MessageTypes.Echo, "a"u8.ToArray()).WaitAsync(Hang));
        await Assert.ThrowsAsync<FramedUnavailableException>(() => client.SendAsync(MessageTypes.Echo, "b"u8.ToArray()).WaitAsync(Hang));

        // Back on the same port: once the (bounded) backoff has passed, a request connects again. Until then requests
        // fail at once, so the test retries them.
        await using var back = new FakeFramedServer(endPoint.Port);
        var deadline = DateTime.UtcNow + Hang;
        FramedClientResponse? response = null;
        while (response is null)
        {
            try
            {
                response = await client.SendAsync(MessageTypes.Echo, "c"u8.ToArray()).WaitAsync(Hang);
            }
            catch (FramedConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal("c", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(1, back.Accepted);
    }
}
