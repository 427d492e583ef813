using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>One run of one workload against one server.</summary>
internal sealed record LoadSettings
{
    public required WorkloadKind Workload { get; init; }

    public required IPv4Endpoint Target { get; init; }

    public int Connections { get; init; } = 50;

    /// <summary>Bytes per message (raw) or Data bytes per Echo request (framed).</summary>
    public int Size { get; init; } = 64;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Open loop: messages per second over all connections.</summary>
    public double Rate { get; init; } = 10_000;

    /// <summary>Worker threads; each drives a share of the connections.</summary>
    public int Workers { get; init; } = Math.Max(1, Math.Min(Environment.ProcessorCount, 4));

    /// <summary>Source addresses to spread connections over (127.0.0.1 and up); 1 lets the kernel choose.</summary>
    public int SourceAddresses { get; init; } = 1;

    /// <summary>The server's process, for its CPU time (and RSS in hold).</summary>
    public int? ServerPid { get; init; }

    /// <summary>Hold: how long the connections are held before the server's memory is sampled.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Burst and hold: the deadline of each stage; in the others, how long the last answers are waited for.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Hold: connections being opened (or checked) at once, per worker.</summary>
    public int Window { get; init; } = 256;
}
