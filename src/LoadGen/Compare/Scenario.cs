using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen.Compare;

/// <summary>How a scenario is driven.</summary>
internal enum ScenarioKind
{
    /// <summary>A workload of this load generator against each server.</summary>
    Load,

    /// <summary><c>wrk</c> on <c>GET /healthz</c> of the servers with an HTTP endpoint.</summary>
    Http,

    /// <summary>Ping-pong against the C server, this load generator and the C client taking turns.</summary>
    ClientCheck,
}

/// <summary>A figure taken from each run of a scenario.</summary>
internal sealed record Metric(string Name, string Unit, bool HigherIsBetter, Func<RunResult, double?> Read);

/// <summary>One line of the comparison: a workload with its sizes, and the figures it is judged by (the first is charted).</summary>
internal sealed record Scenario(string Name, string Title, ScenarioKind Kind, WorkloadKind Workload, int Connections, int Size, IReadOnlyList<Metric> Metrics)
{
    private static readonly Metric s_throughput = new("throughput", "messages/s", true, r => r.MessagesPerSecond);
    private static readonly Metric s_p50 = new("p50 latency", "µs", false, r => r.Latency.P50);
    private static readonly Metric s_p99 = new("p99 latency", "µs", false, r => r.Latency.P99);
    private static readonly Metric s_p999 = new("p99.9 latency", "µs", false, r => r.Latency.P999);
    private static readonly Metric s_serverCpu = new("server CPU", "%", false, r => r.ServerCpuPercent);

    public bool NeedsFramed => WorkloadKinds.IsFramed(Workload);

    public bool NeedsHttp => Kind == ScenarioKind.Http;

    /// <summary>The scenarios of the published comparison, by name.</summary>
    public static IReadOnlyList<Scenario> All(int burstClients, int heldConnections) =>
    [
        new("pingpong-64", "ping-pong, 50 connections × 64 B", ScenarioKind.Load, WorkloadKind.PingPong, 50, 64, [s_throughput, s_p50, s_p99, s_serverCpu]),
        new("pingpong-4k", "ping-pong, 200 connections × 4 KiB", ScenarioKind.Load, WorkloadKind.PingPong, 200, 4096, [s_throughput, s_p50, s_p99, s_serverCpu]),
        new("rtt", "round trip, 1 connection × 64 B", ScenarioKind.Load, WorkloadKind.Rtt, 1, 64, [s_p50, s_p99, s_p999, s_throughput]),
        new("burst", $"burst: {burstClients:N0} clients connect at once, echo 100 B, close", ScenarioKind.Load, WorkloadKind.Burst, burstClients, 100,
            [new("wall time", "ms", false, r => r.WallMilliseconds), new("mean client latency", "µs", false, r => r.Latency.Mean), s_p99, s_serverCpu]),
        new("hold", $"{heldConnections:N0} held connections", ScenarioKind.Load, WorkloadKind.Hold, heldConnections, 64,
            [new("RSS per connection", "KiB", false, r => r.KibPerConnection), new("held RSS", "KiB", false, r => r.HeldRssKib)]),
        new("framed-64", "framed Echo, 50 connections × 64 B", ScenarioKind.Load, WorkloadKind.FramedPingPong, 50, 64, [s_throughput, s_p50, s_p99, s_serverCpu]),
        new("http", "HTTP GET /healthz, wrk, 50 connections", ScenarioKind.Http, WorkloadKind.PingPong, 50, 0, [new("throughput", "requests/s", true, r => r.MessagesPerSecond), s_p50, s_p99, s_serverCpu]),
        new("client-check", "client check: ping-pong 50 × 64 B on the C server", ScenarioKind.ClientCheck, WorkloadKind.PingPong, 50, 64, [s_throughput, s_serverCpu]),
    ];
}
