using System.Net;
using EchoHost.LoadGen.Engine;
using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen.Tests;

/// <summary>Each workload against a real server on loopback; short runs, no assertion on speed.</summary>
public class WorkloadTests
{
    private static LoadSettings Settings(WorkloadKind workload, TestServer server, int connections = 8) => new()
    {
        Workload = workload,
        Target = IPv4Endpoint.Parse("127.0.0.1", server.Port),
        Connections = connections,
        Size = 64,
        Warmup = TimeSpan.FromMilliseconds(100),
        Duration = TimeSpan.FromMilliseconds(500),
        Workers = 2,
        Timeout = TimeSpan.FromSeconds(20),
    };

    private static RunResult Run(LoadSettings settings) => new LoadRunner(settings, null).Run();

    [Fact]
    public void PingPong_counts_verified_messages_and_no_errors()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.PingPong, server) with { Size = 300 });
        Assert.Equal(0, result.ErrorTotal);
        Assert.True(result.Messages > 0);
        Assert.Equal(result.Messages, result.Latency.Count);
        Assert.True(result.Latency.P50 > 0 && result.Latency.P50 <= result.Latency.P99 && result.Latency.P99 <= result.Latency.Max);
        Assert.Equal(8, result.Connections);
    }

    [Fact]
    public void Rtt_uses_one_connection()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.Rtt, server, connections: 50));
        Assert.Equal(1, result.Connections);
        Assert.Single(server.ClientAddresses);
        Assert.Equal(0, result.ErrorTotal);
        Assert.True(result.Messages > 0);
    }

    [Fact]
    public void Rate_sends_on_schedule_and_measures_every_message_due_in_the_window()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.Rate, server, connections: 4) with { Rate = 2000, Duration = TimeSpan.FromSeconds(1) });
        Assert.Equal(0, result.ErrorTotal);

        // 2,000 messages are due in the one-second window, one every 0.5 ms, and each must come back.
        Assert.InRange(result.Messages, 1990, 2010);
        Assert.Equal(2000, result.Rate);
    }

    [Fact]
    public void Burst_completes_every_client_once_from_each_source_address_in_turn()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.Burst, server, connections: 300) with { Size = 100, Warmup = TimeSpan.Zero, SourceAddresses = 4, ServerPid = Environment.ProcessId });
        Assert.Equal(0, result.ErrorTotal);
        Assert.Equal(300, result.Messages);
        Assert.Equal(300, server.ClientAddresses.Count);
        Assert.All(server.ClientAddresses.GroupBy(a => a.ToString()), g => Assert.Equal(75, g.Count()));
        Assert.Equal(4, server.ClientAddresses.Select(a => a.ToString()).Distinct().Count());
        Assert.True(result.WallMilliseconds > 0);

        // Every connect is issued before any client is driven, so all of them are in before the last client is done.
        Assert.InRange(result.ConnectsIssuedMilliseconds!.Value, 0, result.WallMilliseconds!.Value);
        Assert.NotNull(result.Kernel);
        Assert.NotNull(result.ServerCpuMicrosecondsPerMessage);
    }

    [Fact]
    public void Hold_verifies_each_connection_before_and_after_and_reads_the_server_memory()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.Hold, server, connections: 200) with
        {
            Warmup = TimeSpan.FromMilliseconds(200),
            Hold = TimeSpan.FromMilliseconds(200),
            ServerPid = Environment.ProcessId,
            Window = 32,
        });
        Assert.Equal(0, result.ErrorTotal + result.WarmupErrors);
        Assert.Equal(200, result.Messages);
        Assert.Equal(200, result.AliveAfterHold);
        Assert.True(result.IdleRssKib > 0);
        Assert.True(result.HeldRssKib > 0);
        Assert.NotNull(result.KibPerConnection);
    }

    [Fact]
    public void A_corrupted_byte_is_counted_as_a_mismatch()
    {
        using var server = new TestServer(ServerBehavior.CorruptEcho);
        var result = Run(Settings(WorkloadKind.PingPong, server, connections: 3));
        Assert.Equal(3, result.Mismatches);
        Assert.Contains(result.FirstErrors, e => e.Contains("message 1: byte 35 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Framed_pingpong_verifies_echo_responses()
    {
        using var server = new TestServer(ServerBehavior.FramedEcho);
        var result = Run(Settings(WorkloadKind.FramedPingPong, server));
        Assert.Equal(0, result.ErrorTotal);
        Assert.True(result.Messages > 0);
        Assert.Equal(87, result.WireSize);
    }

    [Fact]
    public void Framed_rate_verifies_echo_responses()
    {
        using var server = new TestServer(ServerBehavior.FramedEcho);
        var result = Run(Settings(WorkloadKind.FramedRate, server, connections: 2) with { Rate = 1000 });
        Assert.Equal(0, result.ErrorTotal);
        Assert.InRange(result.Messages, 490, 510);
    }

    [Fact]
    public void A_framed_response_to_an_id_not_in_flight_is_unexpected()
    {
        using var server = new TestServer(ServerBehavior.FramedWrongId);
        var result = Run(Settings(WorkloadKind.FramedPingPong, server, connections: 2));
        Assert.Equal(2, result.Errors["unexpected"]);
        Assert.Equal(0, result.Messages);
    }

    [Fact]
    public void A_raw_echo_server_is_no_framed_server()
    {
        using var server = new TestServer(ServerBehavior.Echo);
        var result = Run(Settings(WorkloadKind.FramedPingPong, server, connections: 2));
        Assert.Equal(2, result.ErrorTotal);
    }

    [Fact]
    public void Connections_come_from_each_source_address_in_turn()
    {
        using var server = new TestServer();
        var result = Run(Settings(WorkloadKind.PingPong, server, connections: 9) with { SourceAddresses = 3 });
        Assert.Equal(0, result.ErrorTotal);
        var counts = server.ClientAddresses.GroupBy(a => a.ToString()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["127.0.0.1"] = 3, ["127.0.0.2"] = 3, ["127.0.0.3"] = 3 }, counts);
    }

    [Fact]
    public void A_closed_port_counts_refused_connections()
    {
        int port;
        using (var server = new TestServer())
        {
            port = server.Port;
        }

        var result = Run(new LoadSettings { Workload = WorkloadKind.PingPong, Target = IPv4Endpoint.Parse("127.0.0.1", port), Connections = 3, Duration = TimeSpan.FromMilliseconds(100), Warmup = TimeSpan.Zero });
        Assert.Equal(3, result.Errors["refused"]);
        Assert.Equal(IPAddress.Loopback.ToString(), result.Target.Split(':')[0]);
    }
}
