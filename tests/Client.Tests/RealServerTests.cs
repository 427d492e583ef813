using System.Text;
using System.Text.Json;
using EchoHost.Client.Tests.Support;
using EchoHost.Protocol;

namespace EchoHost.Client.Tests;

/// <summary>The client against the real EchoHost: what a user of the library sees.</summary>
[Collection(RealServerGroup.Name)]
public class RealServerTests(ServerFixture server)
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Echo_returns_data_and_metadata()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var response = await client.SendAsync(MessageTypes.Echo, "hello"u8.ToArray(), [new("trace", "abc"u8.ToArray()), new("empty", Array.Empty<byte>())]);

        Assert.Equal(MessageTypes.Echo, response.Type);
        Assert.Equal("hello", Encoding.UTF8.GetString(response.Data.Span));
        Assert.Equal(2, response.Metadata.Count);
        Assert.Equal("abc"u8.ToArray(), response.Metadata["trace"]);
        Assert.Empty(response.Metadata["empty"]);
    }

    [Fact]
    public async Task Host_name_resolves_and_connects()
    {
        await using var client = await FramedClient.ConnectAsync("localhost", server.EndPoint.Port);

        var response = await client.SendAsync(MessageTypes.Uppercase, "héllo"u8.ToArray());

        Assert.Equal("HÉLLO", Encoding.UTF8.GetString(response.Data.Span));
    }

    [Fact]
    public async Task Unix_socket_works()
    {
        await using var client = await FramedClient.ConnectUnixAsync(server.UnixSocketPath);

        var response = await client.SendAsync(MessageTypes.Reverse, "abc"u8.ToArray());

        Assert.Equal("cba", Encoding.UTF8.GetString(response.Data.Span));
    }

    [Fact]
    public async Task A_thousand_concurrent_requests_on_one_connection_each_get_their_own_answer()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var requests = Enumerable.Range(0, 1000).Select(async i =>
        {
            var payload = Loopback.Payload(1 + (i % 300), seed: i);
            var response = await client.SendAsync(MessageTypes.Echo, payload, [new("i", BitConverter.GetBytes(i))]);
            Assert.Equal(payload, response.Data.ToArray());
            Assert.Equal(i, BitConverter.ToInt32(response.Metadata["i"]));
        }).ToArray();

        await Task.WhenAll(requests).WaitAsync(Hang);
        Assert.Equal(1, client.OpenConnections);
    }

    [Fact]
    public async Task A_pool_spreads_requests_over_its_connections()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port, new FramedClientOptions { PoolSize = 4 });

        var requests = Enumerable.Range(0, 400).Select(async i =>
        {
            var payload = Loopback.Payload(64, seed: i);
            var response = await client.SendAsync(MessageTypes.Echo, payload);
            Assert.Equal(payload, response.Data.ToArray());
        }).ToArray();
        await Task.WhenAll(requests).WaitAsync(Hang);

        // While the first connection was busy, requests went to new ones; never more than the pool's size.
        Assert.InRange(client.OpenConnections, 2, 4);
    }

    [Fact]
    public async Task Unknown_type_is_a_FramedErrorException_with_its_code_and_the_connection_stays_usable()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var error = await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(0xF5, "x"u8.ToArray()));

        Assert.Equal(ErrorCodes.UnknownType, error.Code);
        Assert.Equal(0xF5, error.RequestType);
        Assert.NotEqual(0UL, error.RequestId);
        Assert.False(string.IsNullOrEmpty(error.Message));
        var response = await client.SendAsync(MessageTypes.Echo, "still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), response.Data.ToArray());
        Assert.Equal(1, client.OpenConnections);
    }

    [Fact]
    public async Task Invalid_utf8_for_uppercase_is_invalid_utf8()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var error = await Assert.ThrowsAsync<FramedErrorException>(() => client.SendAsync(MessageTypes.Uppercase, new byte[] { 0xC3, 0x28 }));

        Assert.Equal(ErrorCodes.InvalidUtf8, error.Code);
        Assert.Equal(MessageTypes.Uppercase, error.RequestType);
    }

    [Fact]
    public async Task Ping_measures_a_round_trip_with_or_without_payload()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var empty = await client.PingAsync();
        var withPayload = await client.PingAsync(Loopback.Payload(1000));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PingAsync(Loopback.Payload(i, i)))).WaitAsync(Hang);

        Assert.True(empty > TimeSpan.Zero);
        Assert.True(withPayload > TimeSpan.Zero);
        Assert.All(concurrent, rtt => Assert.True(rtt > TimeSpan.Zero));
    }

    [Fact]
    public async Task Stats_is_json_with_the_documented_counters()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);

        var response = await client.SendAsync(MessageTypes.Stats, ReadOnlyMemory<byte>.Empty);

        using var json = JsonDocument.Parse(response.Data);
        foreach (var field in new[] { "activeConnections", "totalConnections", "messagesHandled", "errors", "bytesReceived", "bytesSent", "uptimeSeconds" })
        {
            Assert.True(json.RootElement.TryGetProperty(field, out _), $"Stats has no '{field}': {json.RootElement}");
        }

        Assert.True(json.RootElement.GetProperty("activeConnections").GetInt64() >= 1);
    }

    [Fact]
    public async Task A_request_larger_than_MaxFrameBytes_is_refused_before_it_is_sent()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port, new FramedClientOptions { MaxFrameBytes = 1024 });

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(MessageTypes.Echo, new byte[1024]));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(MessageTypes.Echo, "x"u8.ToArray(), [new("k", "1"u8.ToArray()), new("k", "2"u8.ToArray())]));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(MessageTypes.Echo, "x"u8.ToArray(), [new("", "1"u8.ToArray())]));

        var largest = new byte[1024 - Message.MinimumSize];
        var response = await client.SendAsync(MessageTypes.Echo, largest);
        Assert.Equal(largest.Length, response.Data.Length);
    }

    [Fact]
    public async Task Cancelling_before_the_answer_throws_and_leaves_the_client_usable()
    {
        await using var client = await FramedClient.ConnectAsync("127.0.0.1", server.EndPoint.Port);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendAsync(MessageTypes.Echo, "x"u8.ToArray(), cancellationToken: cancelled.Token));

        var response = await client.SendAsync(MessageTypes.Echo, "y"u8.ToArray());
        Assert.Equal("y"u8.ToArray(), response.Data.ToArray());
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_FramedUnavailableException()
    {
        // A port that was just free: nothing listens on it.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var failure = await Assert.ThrowsAsync<FramedUnavailableException>(() => FramedClient.ConnectAsync("127.0.0.1", port));
        Assert.Equal(FramedUnavailableReason.Unreachable, failure.Reason);
    }
}
