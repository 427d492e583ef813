using EchoHost.LoadGen.Metrics;

namespace EchoHost.LoadGen.Output;

/// <summary>What one run measured: the unit of the table and of the JSON output.</summary>
internal sealed record RunResult
{
    public required string Workload { get; init; }

    public required string Target { get; init; }

    public int Connections { get; init; }

    public int Size { get; init; }

    /// <summary>Bytes per message on the wire, each way.</summary>
    public int WireSize { get; init; }

    public int Workers { get; init; }

    public int SourceAddresses { get; init; }

    public double WarmupSeconds { get; init; }

    /// <summary>The measured window (burst: from the first connect to the last completion).</summary>
    public double Seconds { get; init; }

    /// <summary>Open loop: the rate asked for.</summary>
    public double? Rate { get; init; }

    /// <summary>Messages measured (burst: clients that completed; hold: connections held).</summary>
    public long Messages { get; init; }

    public double MessagesPerSecond { get; init; }

    public required LatencySummary Latency { get; init; }

    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    public long ErrorTotal { get; init; }

    public long Mismatches { get; init; }

    /// <summary>Burst and hold: errors of the ping-pong warm-up before them.</summary>
    public long WarmupErrors { get; init; }

    public IReadOnlyList<string> FirstErrors { get; init; } = [];

    public double ClientCpuPercent { get; init; }

    public double? ServerCpuPercent { get; init; }

    /// <summary>
    /// The server's user + system CPU time over the measured window divided by the messages (HTTP: requests; burst:
    /// clients) of the window, in microseconds.
    /// </summary>
    public double? ServerCpuMicrosecondsPerMessage { get; init; }

    /// <summary>Burst: from the first connect to the last client done, in milliseconds.</summary>
    public double? WallMilliseconds { get; init; }

    /// <summary>Burst: from the first connect to the last connect issued, in milliseconds.</summary>
    public double? ConnectsIssuedMilliseconds { get; init; }

    /// <summary>Burst: what the kernel's TCP counters grew by over the run (system-wide, as nstat shows them).</summary>
    public TcpCounters? Kernel { get; init; }

    /// <summary>Hold: the server's VmRSS before the connections were opened.</summary>
    public long? IdleRssKib { get; init; }

    /// <summary>Hold: the server's VmRSS with the connections held (median of five samples).</summary>
    public long? HeldRssKib { get; init; }

    /// <summary>Hold: (held − idle) / connections held.</summary>
    public double? KibPerConnection { get; init; }

    /// <summary>Hold: connections that echoed again after the hold.</summary>
    public long? AliveAfterHold { get; init; }
}

/// <summary>Latency percentiles of a run, in microseconds.</summary>
internal sealed class LatencySummary
{
    public long Count { get; init; }

    public double Mean { get; init; }

    public double Min { get; init; }

    public double P50 { get; init; }

    public double P90 { get; init; }

    public double P99 { get; init; }

    public double P999 { get; init; }

    public double Max { get; init; }

    public static LatencySummary From(Metrics.LatencyHistogram histogram) => new()
    {
        Count = histogram.Count,
        Mean = histogram.Mean / 1000,
        Min = histogram.Count == 0 ? 0 : histogram.Min / 1000.0,
        P50 = histogram.ValueAtPercentile(50) / 1000.0,
        P90 = histogram.ValueAtPercentile(90) / 1000.0,
        P99 = histogram.ValueAtPercentile(99) / 1000.0,
        P999 = histogram.ValueAtPercentile(99.9) / 1000.0,
        Max = histogram.Max / 1000.0,
    };
}
