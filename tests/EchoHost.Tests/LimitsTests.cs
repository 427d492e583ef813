using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EchoHost.Limits;
using EchoHost.Protocol;
using EchoHost.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;


namespace EchoHost.Tests;

/// <summary>
/// EchoHost:Limits over real loopback sockets on both transports: what a client past a limit sees, and that everyone
/// else is still served. Clients of different addresses connect from 127.0.0.2, 127.0.0.3 and so on. Rates are set so
/// low that no token comes back during a test; the bounds asserted still allow for the ones that could.
/// </summary>
public class LimitsTests
{
    public static TheoryData<string> Transports => new() { "Sockets", "Native" };

    private static IPAddress Local(byte last) => new([127, 0, 0, last]);

    /// <summary>The most a bucket of <paramref name="burst"/> tokens refilled at <paramref name="perSecond"/> can give over the test so far.</summary>
    private static long Allowed(int burst, double perSecond, Stopwatch elapsed) => burst + (long)(elapsed.Elapsed.TotalSeconds * perSecond) + 1;

    /// <summary>True when the echo endpoint echoes a byte on <paramref name="socket"/>; false when the server closed it.</summary>
    private static async Task<bool> EchoesAsync(Socket socket)
    {
        try
        {
            await Loopback.SendAllAsync(socket, "x"u8.ToArray());
            var buffer = new byte[1];
            using var timeout = new CancellationTokenSource(Loopback.Timeout);
            return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 1 && buffer[0] == (byte)'x';
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            return false;
        }
    }

    private static async Task AssertUsableAsync(FramedTestClient client, ulong id = 424242)
    {
        var frame = await client.CallAsync(id, MessageTypes.Echo, "still here"u8.ToArray());
        Assert.True(frame.Kind == FrameKind.Response && frame.Id == id, $"expected the Response to {id}, got {frame}");
    }

    /// <summary>The client got GoAway with <paramref name="reason"/> and nothing else before the server closed.</summary>
    private static void AssertOnlyGoAway(List<ReceivedFrame> frames, string reason)
    {
        var frame = Assert.Single(frames);
        Assert.Equal(FrameKind.GoAway, frame.Kind);
        Assert.Equal(reason, Encoding.UTF8.GetString(frame.Payload));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Past_an_endpoints_MaxConnections_a_new_connection_is_closed_and_the_first_ones_still_echo(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Endpoints:echo:Limits:MaxConnections=3");
        using var metrics = new ServiceMeasurements(server);
        var echo = server.EndPointOf("echo");
        var open = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await Loopback.ConnectAsync(echo));
                Assert.True(await EchoesAsync(open[i]));
            }

            using (var fourth = await Loopback.ConnectAsync(echo))
            {
                Assert.False(await EchoesAsync(fourth));
            }

            foreach (var socket in open)
            {
                Assert.True(await EchoesAsync(socket));
            }

            Assert.Equal(1, metrics.Read("echohost.connections.rejected", ("endpoint", "echo"), ("reason", "endpoint_max_connections")));
            Assert.Equal(3, metrics.Read("echohost.connections.accepted", ("endpoint", "echo")));

            // A connection that ends gives its place to the next one.
            open[0].Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(open[0]));
            using var fifth = await Loopback.ConnectAsync(echo);
            Assert.True(await EchoesAsync(fifth));
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Past_the_servers_MaxConnections_a_framed_client_gets_GoAway_and_the_others_are_served(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Limits:MaxConnections=2");
        using var metrics = new ServiceMeasurements(server);
        using var echo = await Loopback.ConnectAsync(server.EndPointOf("echo"));
        Assert.True(await EchoesAsync(echo));
        using var first = await server.ConnectAsync();
        await AssertUsableAsync(first);

        using (var refused = await server.ConnectAsync())
        {
            AssertOnlyGoAway(await refused.ReadUntilClosedAsync(), "connection limit reached");
        }

        await AssertUsableAsync(first);
        Assert.True(await EchoesAsync(echo));
        Assert.Equal(1, metrics.Read("echohost.connections.rejected", ("endpoint", "framed"), ("reason", "max_connections")));
        Assert.Equal(1, metrics.Read("echohost.connections.accepted", ("endpoint", "framed")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_address_over_MaxConnectionsPerAddress_is_refused_while_another_address_is_served(string transport)
    {
        await using var server = await FramedServer.StartAsync(transport, "--EchoHost:Endpoints:framed:Limits:MaxConnectionsPerAddress=2");
        using var metrics = new ServiceMeasurements(server);
        using var a1 = await server.ConnectAsync(Local(2));
        using var a2 = await server.ConnectAsync(Local(2));
        await AssertUsableAsync(a1);
        await AssertUsableAsync(a2);

        using (var a3 = await server.ConnectAsync(Local(2)))
        {
            AssertOnlyGoAway(await a3.ReadUntilClosedAsync(), "connection limit reached for this address");
        }

        using var b1 = await server.ConnectAsync(Local(3));
        await AssertUsableAsync(b1);
        await AssertUsableAsync(a1);
        await AssertUsableAsync(a2);
        Assert.Equal(1, metrics.Read("echohost.connections.rejected", ("endpoint", "framed"), ("reason", "address_max_connections")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unix_socket_clients_are_not_limited_per_address_while_tcp_clients_are(string transport)
    {
        var path = Path.Combine(Path.GetTempPath(), $"echohost-limits-{Guid.NewGuid():N}.sock");
        try
        {
            await using var server = await FramedServer.StartAsync(
                transport,
                $"--EchoHost:Endpoints:local:Url=unix:{path}",
                "--EchoHost:Endpoints:local:Protocol=echo",
                "--EchoHost:Limits:MaxConnectionsPerAddress=1");
            using var unix1 = await Loopback.ConnectAsync(server.EndPointOf("local"));
            using var unix2 = await Loopback.ConnectAsync(server.EndPointOf("local"));
            Assert.True(await EchoesAsync(unix1));
            Assert.True(await EchoesAsync(unix2));

            using var tcp1 = await Loopback.ConnectAsync(server.EndPointOf("echo"));
            Assert.True(await EchoesAsync(tcp1));
            using var tcp2 = await Loopback.ConnectAsync(server.EndPointOf("echo"));
            Assert.False(await EchoesAsync(tcp2));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Connections_beyond_an_addresss_burst_are_refused_and_counted(string transport)
    {
        const int burst = 3;
        const double rate = 0.001;
        await using var server = await FramedServer.StartAsync(
            transport,
            "--EchoHost:Endpoints:echo:Limits:ConnectionsPerSecondPerAddress=0.001",
            $"--EchoHost:Endpoints:echo:Limits:ConnectionBurstPerAddress={burst}");
        using var metrics = new ServiceMeasurements(server);
        var echo = server.EndPointOf("echo");
        var elapsed = Stopwatch.StartNew();

        var served = new List<bool>();
        for (var i = 0; i < 8; i++)
        {
            using var socket = await Loopback.ConnectAsync(echo, Local(4));
            served.Add(await EchoesAsync(socket));
        }

        // The bucket starts full: the first connections take its tokens; the rest find it empty.
        Assert.All(served.Take(burst), Assert.True);
        var count = served.Count(s => s);
        Assert.InRange(count, burst, Allowed(burst, rate, elapsed));
        using (var other = await Loopback.ConnectAsync(echo, Local(5)))
        {
            Assert.True(await EchoesAsync(other));
        }

        Assert.Equal(8 - count, metrics.Read("echohost.connections.rejected", ("endpoint", "echo"), ("reason", "address_rate")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Requests_beyond_the_addresss_burst_are_answered_rate_limited_exactly_once_each(string transport)
    {
        const int burst = 10;
        const double rate = 0.001;
        await using var server = await FramedServer.StartAsync(
            transport,
            "--EchoHost:Endpoints:framed:Limits:RequestsPerSecondPerAddress=0.001",
            $"--EchoHost:Endpoints:framed:Limits:RequestBurstPerAddress={burst}");
        using var metrics = new ServiceMeasurements(server);
        using var client = await server.ConnectAsync();
        var elapsed = Stopwatch.StartNew();

        // Twenty requests in one write.
        var batch = Enumerable.Range(1, 20).SelectMany(id => FramedTestClient.Request((ulong)id, MessageTypes.Echo, "r"u8)).ToArray();
        await client.SendAsync(batch);
        var frames = new List<ReceivedFrame>();
        for (var i = 0; i < 20; i++)
        {
            frames.Add(await client.ReadFrameAsync());
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(id => (ulong)id), frames.Select(f => f.Id).Order());
        Assert.All(frames.Take(burst), f => Assert.Equal(FrameKind.Response, f.Kind));
        foreach (var frame in frames.Where(f => f.Kind != FrameKind.Response))
        {
            Assert.Equal(ErrorCodes.RateLimited, frame.Code);
            Assert.Equal(MessageTypes.Echo, frame.Type);
            Assert.NotEmpty(frame.Text);
        }

        // The bucket is the address's: a second connection from it shares what is left; another address has its own.
        using var same = await server.ConnectAsync();
        var sameFrame = await same.CallAsync(100, MessageTypes.Echo, "s"u8.ToArray());
        using var other = await server.ConnectAsync(Local(6));
        await AssertUsableAsync(other);

        var answered = frames.Append(sameFrame).ToList();
        var responses = answered.Count(f => f.Kind == FrameKind.Response);
        Assert.InRange(responses, burst, Allowed(burst, rate, elapsed));
        Assert.Equal(answered.Count - responses, answered.Count(f => f.Code == ErrorCodes.RateLimited));
        Assert.Equal(answered.Count - responses, metrics.Read("echohost.errors", ("endpoint", "framed"), ("code", ErrorCodes.RateLimited)));
        Assert.Equal(22, metrics.Read("echohost.messages.handled", ("endpoint", "framed")));

        // The connection stays open (a Ping is not a request: no token needed).
        await client.SendAsync(FramedTestClient.Frame((byte)FrameKind.Ping, "p"u8));
        Assert.Equal(FrameKind.Pong, (await client.ReadFrameAsync()).Kind);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_idle_connection_is_closed_framed_with_GoAway_first_and_an_active_one_is_left_alone(string transport)
    {
        var time = new FakeTimeProvider();
        await using var server = await FramedServer.StartAsync(transport, time, "--EchoHost:Limits:IdleTimeout=00:00:03");
        using var metrics = new ServiceMeasurements(server);
        using var idle = await server.ConnectAsync();
        using var idleEcho = await Loopback.ConnectAsync(server.EndPointOf("echo"));
        using var active = await server.ConnectAsync();

        // The clock moves until both idle connections are closed: the service may start watching the echo one a
        // moment after the framed ones (it is another endpoint's), so its timeout may end later on this clock.
        var idleClosed = idle.ReadUntilClosedAsync();
        var idleEchoClosed = Loopback.WaitForCloseAsync(idleEcho);
        ulong id = 1;
        while (!idleClosed.IsCompleted || !idleEchoClosed.IsCompleted)
        {
            await AssertUsableAsync(active, id++);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        AssertOnlyGoAway(await idleClosed, "idle timeout");
        Assert.True(await idleEchoClosed);
        await AssertUsableAsync(active, id);
        await metrics.WaitForAsync("echohost.connections.timed_out", ("endpoint", "echo"), 1);
        Assert.Equal(1, metrics.Read("echohost.connections.timed_out", ("endpoint", "framed"), ("reason", "idle_timeout")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_frame_trickling_in_gets_frame_timeout_and_is_closed_while_a_normal_client_is_served(string transport)
    {
        var time = new FakeTimeProvider();
        await using var server = await FramedServer.StartAsync(transport, time, "--EchoHost:Endpoints:framed:Limits:FrameGracePeriod=00:00:01");
        using var metrics = new ServiceMeasurements(server);
        using var slow = await server.ConnectAsync();
        using var normal = await server.ConnectAsync();

        // One byte every 100 ms of the service's clock: far below the 240 bytes a second the endpoint asks for, header
        // first. A round trip of the normal client between bytes lets the service read each before the clock moves.
        var frame = FramedTestClient.Request(1, MessageTypes.Echo, new byte[100]);
        var closed = slow.ReadUntilClosedAsync();
        ulong id = 1;
        for (var i = 0; i < frame.Length && !closed.IsCompleted; i++)
        {
            try
            {
                await slow.Socket.SendAsync(frame.AsMemory(i, 1), SocketFlags.None);
            }
            catch (SocketException)
            {
                break; // The server has closed the connection.
            }

            await AssertUsableAsync(normal, id++);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var frames = await closed;
        var error = Assert.Single(frames);
        Assert.Equal(ErrorCodes.FrameTimeout, error.Code);
        Assert.Equal(0UL, error.Id);
        Assert.Equal(0, error.Type);
        await AssertUsableAsync(normal, id);
        Assert.Equal(1, metrics.Read("echohost.connections.timed_out", ("endpoint", "framed"), ("reason", "frame_timeout")));
        Assert.Equal(1, metrics.Read("echohost.errors", ("endpoint", "framed"), ("code", ErrorCodes.FrameTimeout)));
    }

    [Fact]
    public async Task A_flood_of_refusals_is_logged_as_one_summary_line_per_interval()
    {
        var time = new FakeTimeProvider();
        await using var server = await FramedServer.StartAsync("Native", time, "--EchoHost:Endpoints:echo:Limits:MaxConnections=1");
        var echo = server.EndPointOf("echo");
        var elapsed = Stopwatch.StartNew();
        using var held = await Loopback.ConnectAsync(echo);
        Assert.True(await EchoesAsync(held));
        for (var i = 0; i < 20; i++)
        {
            using var refused = await Loopback.ConnectAsync(echo);
            Assert.False(await EchoesAsync(refused));
        }

        List<string> Lines() => server.Log.Entries
            .Where(e => e.Level == LogLevel.Warning && e.Message.Contains("refused", StringComparison.Ordinal))
            .Select(e => e.Message).ToList();

        var deadline = DateTime.UtcNow + Loopback.Timeout;
        while (Lines().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no line about the refused connections");
            // The sweep writes the line on its next tick, which comes as its time moves on.
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Run(Thread.Yield);
        }

        Assert.Contains("Endpoint echo refused", Lines()[0], StringComparison.Ordinal);
        Assert.Contains("endpoint_max_connections", Lines()[0], StringComparison.Ordinal);
        Assert.InRange(Lines().Count, 1, 1 + (int)(elapsed.Elapsed / ConnectionLimiter.LogInterval));
    }
}
