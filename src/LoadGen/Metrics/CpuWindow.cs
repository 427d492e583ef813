namespace EchoHost.LoadGen.Metrics;

/// <summary>The CPU time this process and the server used over a window: as a percentage of one CPU, and the server's in seconds.</summary>
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

    /// <summary>The server's user + system CPU time over the window, in seconds.</summary>
    public double? ServerSeconds { get; private set; }

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
            ServerSeconds = after - before;
            ServerPercent = 100 * ServerSeconds / seconds;
        }
    }

    /// <summary>
    /// The server's CPU time per message (or request, or client) of the window, in microseconds; null without a server
    /// reading or without messages.
    /// </summary>
    public static double? MicrosecondsPerMessage(double? serverSeconds, long messages) =>
        serverSeconds is double s && messages > 0 ? s * 1_000_000 / messages : null;
}
