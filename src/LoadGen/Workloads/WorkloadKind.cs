namespace EchoHost.LoadGen.Workloads;

/// <summary>The workloads of <c>echohost-load</c>.</summary>
internal enum WorkloadKind
{
    PingPong,
    Rate,
    Burst,
    Hold,
    Rtt,
    FramedPingPong,
    FramedRate,
}

internal static class WorkloadKinds
{
    public static readonly IReadOnlyDictionary<string, WorkloadKind> ByName = new Dictionary<string, WorkloadKind>(StringComparer.Ordinal)
    {
        ["pingpong"] = WorkloadKind.PingPong,
        ["rate"] = WorkloadKind.Rate,
        ["burst"] = WorkloadKind.Burst,
        ["hold"] = WorkloadKind.Hold,
        ["rtt"] = WorkloadKind.Rtt,
        ["framed-pingpong"] = WorkloadKind.FramedPingPong,
        ["framed-rate"] = WorkloadKind.FramedRate,
    };

    public static string Name(WorkloadKind kind) => ByName.First(pair => pair.Value == kind).Key;

    public static bool IsFramed(WorkloadKind kind) => kind is WorkloadKind.FramedPingPong or WorkloadKind.FramedRate;

    public static bool IsOpenLoop(WorkloadKind kind) => kind is WorkloadKind.Rate or WorkloadKind.FramedRate;
}
