using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>
/// Fixed rate, open loop: message <c>n</c> of connection <c>i</c> is due at
/// <c>start + (n × connections + i) / rate</c>, whatever happened to the earlier ones. Latency is measured from that
/// intended time, so a stall of the server shows in full in the latencies of every message that should have been sent
/// during it (no coordinated omission). Messages due in the measured window are counted.
/// </summary>
internal sealed class OpenLoopDriver(RunControl control, int totalConnections, double rate) : Driver
{
    private readonly double _interval = System.Diagnostics.Stopwatch.Frequency * (double)totalConnections / rate;
    private readonly double _stagger = System.Diagnostics.Stopwatch.Frequency / rate;

    public override void Start(Worker worker)
    {
        foreach (var connection in worker.Connections)
        {
            worker.Connect(connection);
        }
    }

    public override int Tick(Worker worker)
    {
        var stage = control.Stage;
        if (stage == RunStage.Stopped)
        {
            return -1;
        }

        if (stage != RunStage.Running)
        {
            return 10;
        }

        var now = worker.Now;
        var end = control.MeasureEnd;
        var next = long.MaxValue;
        foreach (var connection in worker.Connections)
        {
            if (connection.State != ConnectionState.Open)
            {
                continue;
            }

            var added = 0;
            long due;
            while ((due = Intended(connection, connection.Due + added)) <= now && due < end)
            {
                added++;
            }

            // Also when nothing new is due: messages held back by the in-flight bound go out as answers come in.
            if (added > 0 || connection.Sent < connection.Due)
            {
                worker.Request(connection, added);
            }

            if (due < end)
            {
                next = Math.Min(next, due);
            }
            else if (connection.State == ConnectionState.Open && connection.IsQuiet)
            {
                worker.Close(connection);
            }
        }

        if (next == long.MaxValue)
        {
            return worker.Active == 0 ? -1 : 10;
        }

        // Below a millisecond epoll_wait cannot sleep precisely: poll instead.
        return MillisecondsUntil(now, next, 10);
    }

    public override void Completed(Worker worker, Connection connection, long sequence)
    {
        var intended = Intended(connection, sequence);
        if (intended >= control.MeasureStart && intended < control.MeasureEnd)
        {
            worker.Histogram.Record(Ticks.ToNanoseconds(worker.Now - intended));
            worker.Measured++;
        }
    }

    private long Intended(Connection connection, long sequence) =>
        control.TrafficStart + (long)((connection.Number * _stagger) + (sequence * _interval));
}
