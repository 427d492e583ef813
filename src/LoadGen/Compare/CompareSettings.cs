namespace EchoHost.LoadGen.Compare;

/// <summary>What a comparison runs, how often and where.</summary>
internal sealed record CompareSettings
{
    public required IReadOnlyList<ServerSpec> Servers { get; init; }

    public required IReadOnlyList<Scenario> Scenarios { get; init; }

    public int Rounds { get; init; } = 3;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(8);

    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Pause { get; init; } = TimeSpan.FromSeconds(1);

    public string Baseline { get; init; } = "sockets";

    public int ServerCpu { get; init; }

    public int ClientCpu { get; init; } = 1;

    /// <summary>The C client for the client check; null leaves the check out.</summary>
    public string? CClient { get; init; }

    /// <summary>Source addresses for burst and hold (spreads TIME_WAIT over several addresses across runs).</summary>
    public int SourceAddresses { get; init; } = 4;

    public int Workers { get; init; } = 1;

    /// <summary>The wrk script that pipelines requests (bench/wrk/pipeline.lua).</summary>
    public string PipelineScript { get; init; } = "bench/wrk/pipeline.lua";

    /// <summary>Where results.json, report.html and the servers' logs go.</summary>
    public required string OutputDirectory { get; init; }

    public string CommandLine { get; init; } = "";
}
