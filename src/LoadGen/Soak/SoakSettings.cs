namespace EchoHost.LoadGen.Soak;

/// <summary>One soak run (<c>echohost-load soak</c>); the defaults are those of docs/soak.md.</summary>
internal sealed record SoakSettings
{
    /// <summary>The repository, whose built service is started.</summary>
    public required string Root { get; init; }

    /// <summary><c>native</c>, <c>native-epoll</c> or <c>sockets</c>: the service's transport (and engine).</summary>
    public string Server { get; init; } = "native";

    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Load before the start figures are taken: JIT, pools and the GC's heap reach their working size.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Raw echo connection slots (each one connection at a time, churned).</summary>
    public int RawConnections { get; init; } = 32;

    /// <summary>Framed connection slots.</summary>
    public int FramedConnections { get; init; } = 32;

    /// <summary>The most messages a connection asks for before it closes (a random count from 1).</summary>
    public int MaxMessages { get; init; } = 200;

    /// <summary>Framed: the most requests sent at once without waiting (pipelined).</summary>
    public int MaxPipeline { get; init; } = 16;

    /// <summary>Share of churned connections closed with a reset rather than a FIN.</summary>
    public double ResetShare { get; init; } = 0.3;

    /// <summary>Pause between hostile connections.</summary>
    public TimeSpan HostileInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Descriptors the server may hold at the end above the start.</summary>
    public int DescriptorMargin { get; init; } = 10;

    /// <summary>RSS the server may have at the end above the start: this many MiB plus <see cref="RssMarginPercent"/>.</summary>
    public int RssMarginMib { get; init; } = 32;

    public int RssMarginPercent { get; init; } = 10;

    /// <summary>The CPU the server is pinned to (taskset).</summary>
    public int ServerCpu { get; init; }

    public int Seed { get; init; } = 1;
}
