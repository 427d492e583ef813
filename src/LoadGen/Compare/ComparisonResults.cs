using EchoHost.LoadGen.Output;

namespace EchoHost.LoadGen.Compare;

/// <summary>Everything one compare run produced: where and how it ran, every run, and the medians and ratios.</summary>
internal sealed class ComparisonResults
{
    public required string Started { get; init; }

    public required MachineInfo Machine { get; init; }

    public required string Baseline { get; init; }

    public int Rounds { get; init; }

    public IReadOnlyList<ServerEntry> Servers { get; init; } = [];

    public List<ComparisonRun> Runs { get; init; } = [];

    public List<SummaryRow> Summary { get; init; } = [];
}

internal sealed class MachineInfo
{
    public required string Cpu { get; init; }

    public int Cpus { get; init; }

    public required string Kernel { get; init; }

    public required string Runtime { get; init; }

    public required string LoadAverage { get; init; }

    public required string Pinning { get; init; }

    public required string Command { get; init; }
}

internal sealed class ServerEntry
{
    public required string Name { get; init; }

    public required string Command { get; init; }
}

/// <summary>One run: a scenario against one server (or, for the client check, one client against the C server).</summary>
internal sealed class ComparisonRun
{
    public int Round { get; init; }

    public required string Scenario { get; init; }

    public required string Participant { get; init; }

    /// <summary>ok, errors, server_died, failed (with <see cref="Detail"/>).</summary>
    public required string Status { get; init; }

    public string? Detail { get; init; }

    public RunResult? Result { get; init; }
}

/// <summary>One metric of one scenario: each participant's median over the rounds, and its ratio to the baseline.</summary>
internal sealed class SummaryRow
{
    public required string Scenario { get; init; }

    public required string Title { get; init; }

    public required string Metric { get; init; }

    public required string Unit { get; init; }

    public bool HigherIsBetter { get; init; }

    /// <summary>The row charted for the scenario (its headline figure).</summary>
    public bool Headline { get; init; }

    public required string Baseline { get; init; }

    public Dictionary<string, double> Medians { get; init; } = [];

    public Dictionary<string, double> Ratios { get; init; } = [];

    /// <summary>The per-round values, in round order.</summary>
    public Dictionary<string, List<double>> Values { get; init; } = [];

    public Dictionary<string, long> Errors { get; init; } = [];
}
