using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>
/// Ping-pong (and RTT): each connection keeps one message in flight and asks for the next as soon as one comes back.
/// Latency is from asking to the last byte back; messages asked for in the measured window are counted.
/// </summary>
internal sealed class ClosedLoopDriver(RunControl control) : Driver
{
    private bool _started;

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

        if (!_started)
        {
            _started = true;
            foreach (var connection in worker.Connections)
            {
                if (connection.State == ConnectionState.Open)
                {
                    connection.StartTicks = worker.Now;
                    worker.Request(connection);
                }
            }
        }

        var end = control.MeasureEnd;
        if (worker.Now < end)
        {
            return MillisecondsUntil(worker.Now, end, 10);
        }

        // Past the window: what comes back is verified, then the connection is closed.
        foreach (var connection in worker.Connections)
        {
            if (connection.State == ConnectionState.Open && connection.IsQuiet)
            {
                worker.Close(connection);
            }
        }

        return worker.Active == 0 ? -1 : 10;
    }

    /// <summary>A connection that opens after traffic started (a slow connect) joins in at once.</summary>
    public override void Opened(Worker worker, Connection connection)
    {
        if (_started && worker.Now < control.MeasureEnd)
        {
            connection.StartTicks = worker.Now;
            worker.Request(connection);
        }
    }

    public override void Completed(Worker worker, Connection connection, long sequence)
    {
        var now = worker.Now;
        if (connection.StartTicks >= control.MeasureStart && now <= control.MeasureEnd)
        {
            worker.Histogram.Record(Ticks.ToNanoseconds(now - connection.StartTicks));
            worker.Measured++;
        }

        if (now < control.MeasureEnd)
        {
            connection.StartTicks = now;
            worker.Request(connection);
        }
        else if (connection.IsQuiet)
        {
            worker.Close(connection);
        }
    }
}
