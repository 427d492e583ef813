using System.Diagnostics;

namespace EchoHost.LoadGen.Engine;

/// <summary>The stages a run goes through; each driver reads the ones it knows.</summary>
internal enum RunStage
{
    /// <summary>Connections are being opened (hold: opened and verified).</summary>
    Opening,

    /// <summary>Traffic flows: warm-up, then the measured window (times in <see cref="RunControl"/>).</summary>
    Running,

    /// <summary>Hold: the connections sit idle.</summary>
    Holding,

    /// <summary>Hold: each connection echoes once more.</summary>
    Checking,

    /// <summary>Everything still open is closed; what has not come back counts as a timeout.</summary>
    Stopped,
}

/// <summary>Shared by the coordinating thread (which writes) and the workers (which read).</summary>
internal sealed class RunControl
{
    private volatile RunStage _stage;
    private long _measureStart = long.MaxValue;
    private long _measureEnd = long.MaxValue;

    public RunStage Stage
    {
        get => _stage;
        set => _stage = value;
    }

    /// <summary>When traffic starts (warm-up included), in ticks.</summary>
    public long TrafficStart { get; private set; }

    public long MeasureStart => Volatile.Read(ref _measureStart);

    public long MeasureEnd => Volatile.Read(ref _measureEnd);

    /// <summary>Starts traffic now: <paramref name="warmup"/> unmeasured, then <paramref name="duration"/> measured.</summary>
    public void StartTraffic(TimeSpan warmup, TimeSpan duration)
    {
        TrafficStart = Stopwatch.GetTimestamp();
        var start = TrafficStart + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref _measureEnd, start + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        Volatile.Write(ref _measureStart, start);
        Stage = RunStage.Running;
    }
}
