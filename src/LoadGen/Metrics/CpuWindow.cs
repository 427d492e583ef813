namespace EchoHost.LoadGen.Metrics;

/// <summary>The CPU time this process and the server used over a window, as a percentage of one CPU.</summary>
internal sealed class CpuWindow
{
    private readonly int? _serverPid;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly TimeSpan _client0 = Environment.CpuUsage.TotalTime;
    private readonly double? _server0;

    private CpuWindow(int? serverPid)
    {
        _serverPid = serverPid;
        _server0 = serverPid is int pid ? ProcessStats.CpuSeconds(pid) : null;
    }

    public static CpuWindow None { get; } = new(null);

    public double ClientPercent { get; private set; }

    public double? ServerPercent { get; private set; }

    public static CpuWindow Start(int? serverPid) => new(serverPid);

    public void Stop()
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        ClientPercent = 100 * (Environment.CpuUsage.TotalTime - _client0).TotalSeconds / seconds;
        if (_serverPid is int pid && _server0 is double before && ProcessStats.CpuSeconds(pid) is double after)
        {
            ServerPercent = 100 * (after - before) / seconds;
        }
    }
}
