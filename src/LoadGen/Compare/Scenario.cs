using EchoHost.LoadGen.Output;
using EchoHost.LoadGen.Workloads;

namespace EchoHost.LoadGen.Compare;

/// <summary>How a scenario is driven.</summary>
internal enum ScenarioKind
{
    /// <summary>A workload of this load generator against each server.</summary>
    Load,

    /// <summary><c>wrk</c> on an HTTP path (<see cref="HttpRequest"/>) of the servers with that endpoint.</summary>
    Http,

    /// <summary>Ping-pong against the C server, this load generator and the C client taking turns.</summary>
    ClientCheck,
}

/// <summary>A figure taken from each run of a scenario.</summary>
internal sealed record Metric(string Name, string Unit, bool HigherIsBetter, Func<RunResult, double?> Read);

/// <summary>What an HTTP scenario asks <c>wrk</c> for: a path of an endpoint, and the requests sent in each write.</summary>
internal sealed record HttpRequest(ServerEndpoint Endpoint, string Path, int PipelineDepth);

/// <summary>One line of the comparison: a workload with its sizes, and the figures it is judged by (the first is charted).</summary>
internal sealed record Scenario(string Name, string Title, ScenarioKind Kind, WorkloadKind Workload, int Connections, int Size, IReadOnlyList<Metric> Metrics, HttpRequest? Http = null)
{
    /// <summary>Requests per write of the pipelined HTTP scenarios.</summary>
    public const int PipelineDepth = 16;

    private static readonly Metric s_throughput = new("throughput", "messages/s", true, r => r.MessagesPerSecond);
    private static readonly Metric s_p50 = new("p50 latency", "µs", false, r => r.Latency.P50);
    private static readonly Metric s_p99 = new("p99 latency", "µs", false, r => r.Latency.P99);
    private static readonly Metric s_p999 = new("p99.9 latency", "µs", false, r => r.Latency.P999);
    private static readonly Metric s_serverCpu = new("server CPU", "%", false, r => r.ServerCpuPercent);
    private static readonly Metric s_cpuPerMessage = new("server CPU per message", "µs", false, r => r.ServerCpuMicrosecondsPerMessage);

    // wrk corrects its latencies for coordinated omission, and where the correction leaves a percentile unplaced (seen
    // with pipelining) it prints 0: that is no figure.
    private static readonly Metric[] s_httpMetrics =
    [
        new("throughput", "requests/s", true, r => r.MessagesPerSecond),
        new("p50 latency", "µs", false, r => r.Latency.P50 > 0 ? r.Latency.P50 : null),
        new("p99 latency", "µs", false, r => r.Latency.P99 > 0 ? r.Latency.P99 : null),
        s_serverCpu,
        new("server CPU per request", "µs", false, r => r.ServerCpuMicrosecondsPerMessage),
    ];

    /// <summary>The endpoint a server needs to take part.</summary>
    public ServerEndpoint Endpoint => Http?.Endpoint ?? (WorkloadKinds.IsFramed(Workload) ? ServerEndpoint.Framed : ServerEndpoint.Echo);

    /// <summary>The scenarios of the published comparison, by name.</summary>
    public static IReadOnlyList<Scenario> All(int burstClients, int heldConnections) =>
    [
        new("pingpong-64", "ping-pong, 50 connections × 64 B", ScenarioKind.Load, WorkloadKind.PingPong, 50, 64, [s_throughput, s_p50, s_p99, s_serverCpu, s_cpuPerMessage]),
        new("pingpong-128-500", "ping-pong, 500 connections × 128 B", ScenarioKind.Load, WorkloadKind.PingPong, 500, 128, [s_throughput, s_p50, s_p99, s_serverCpu, s_cpuPerMessage]),
        new("pingpong-4k", "ping-pong, 200 connections × 4 KiB", ScenarioKind.Load, WorkloadKind.PingPong, 200, 4096, [s_throughput, s_p50, s_p99, s_serverCpu, s_cpuPerMessage]),
        new("rtt", "round trip, 1 connection × 64 B", ScenarioKind.Load, WorkloadKind.Rtt, 1, 64, [s_p50, s_p99, s_p999, s_throughput, s_cpuPerMessage]),
        new("burst", $"burst: {burstClients:N0} clients issue every connect at once, echo 100 B, close", ScenarioKind.Load, WorkloadKind.Burst, burstClients, 100,
        [
            new("wall time", "ms", false, r => r.WallMilliseconds), new("mean client latency", "µs", false, r => r.Latency.Mean), s_p99, s_serverCpu,
            new("server CPU per client", "µs", false, r => r.ServerCpuMicrosecondsPerMessage),
            new("listen overflows", "count", false, r => r.Kernel?.ListenOverflows), new("listen drops", "count", false, r => r.Kernel?.ListenDrops),
            new("SYN retransmits", "count", false, r => r.Kernel?.SynRetransmits), new("retransmitted segments", "count", false, r => r.Kernel?.RetransmittedSegments),
        ]),
        new("hold", $"{heldConnections:N0} held connections", ScenarioKind.Load, WorkloadKind.Hold, heldConnections, 64,
            [new("RSS per connection", "KiB", false, r => r.KibPerConnection), new("held RSS", "KiB", false, r => r.HeldRssKib)]),
        new("framed-64", "framed Echo, 50 connections × 64 B", ScenarioKind.Load, WorkloadKind.FramedPingPong, 50, 64, [s_throughput, s_p50, s_p99, s_serverCpu, s_cpuPerMessage]),
        Plaintext(50, 1),
        Plaintext(256, 1),
        Plaintext(50, PipelineDepth),
        Plaintext(256, PipelineDepth),
        EchoHostHttp("healthz"),
        EchoHostHttp("metrics"),
        new("client-check", "client check: ping-pong 50 × 64 B on the C server", ScenarioKind.ClientCheck, WorkloadKind.PingPong, 50, 64, [s_throughput, s_serverCpu, s_cpuPerMessage]),
    ];

    private static Scenario Plaintext(int connections, int depth) => new(
        depth == 1 ? $"http-plaintext-{connections}" : $"http-plaintext-{connections}-p{depth}",
        $"HTTP GET /plaintext, wrk, {connections} connections{(depth == 1 ? "" : $", {depth} requests pipelined")}",
        ScenarioKind.Http, WorkloadKind.PingPong, connections, 0, s_httpMetrics, new HttpRequest(ServerEndpoint.Plaintext, "/plaintext", depth));

    private static Scenario EchoHostHttp(string path) => new(
        $"http-{path}", $"HTTP GET /{path}, wrk, 50 connections",
        ScenarioKind.Http, WorkloadKind.PingPong, 50, 0, s_httpMetrics, new HttpRequest(ServerEndpoint.Http, "/" + path, 1));
}
