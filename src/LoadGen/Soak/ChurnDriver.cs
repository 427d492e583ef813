using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Soak;

/// <summary>
/// The soak's well-behaved clients: each connection asks for a random number of messages, a random batch at a time
/// (one: ping-pong; more: pipelined), then closes, with a FIN or (a share of them) a reset, and its slot connects
/// again at once, until the run's end. A slot whose connection failed waits a little before it connects again, so
/// that a server that refuses cannot make the worker spin.
/// </summary>
internal sealed class ChurnDriver(RunControl control, int seed, int maxMessages, int maxBatch, double resetShare) : Driver
{
    private static readonly long s_retryTicks = Ticks.FromSeconds(0.05);

    private readonly Random _random = new(seed);
    private long[] _targets = [];
    private long[] _retryAt = [];

    /// <summary>Connections this driver closed with a FIN.</summary>
    public long Graceful { get; private set; }

    /// <summary>Connections this driver closed with a reset.</summary>
    public long Resets { get; private set; }

    public override void Start(Worker worker)
    {
        _targets = new long[worker.Connections.Count];
        _retryAt = new long[worker.Connections.Count];
        foreach (var connection in worker.Connections)
        {
            worker.Connect(connection);
        }
    }

    public override void Opened(Worker worker, Connection connection)
    {
        _targets[Slot(worker, connection)] = _random.Next(1, maxMessages + 1);
        if (worker.Now < control.MeasureEnd)
        {
            RequestBatch(worker, connection);
        }
    }

    public override void Completed(Worker worker, Connection connection, long sequence)
    {
        worker.Measured++;
        if (!connection.IsQuiet)
        {
            return;
        }

        if (connection.Received >= _targets[Slot(worker, connection)] || worker.Now >= control.MeasureEnd)
        {
            End(worker, connection);
        }
        else
        {
            RequestBatch(worker, connection);
        }
    }

    public override void Failed(Worker worker, Connection connection) => _retryAt[Slot(worker, connection)] = worker.Now + s_retryTicks;

    public override int Tick(Worker worker)
    {
        if (control.Stage == RunStage.Stopped)
        {
            return -1;
        }

        if (worker.Now >= control.MeasureEnd)
        {
            // The end: what is in flight comes back and is verified, then its connection closes.
            foreach (var connection in worker.Connections)
            {
                if (connection.State == ConnectionState.Open && connection.IsQuiet)
                {
                    End(worker, connection);
                }
            }

            return worker.Active == 0 ? -1 : 10;
        }

        foreach (var connection in worker.Connections)
        {
            if (connection.State == ConnectionState.Closed && _retryAt[Slot(worker, connection)] <= worker.Now)
            {
                connection.Restart();
                worker.Connect(connection);
            }
        }

        return MillisecondsUntil(worker.Now, control.MeasureEnd, 10);
    }

    private void RequestBatch(Worker worker, Connection connection)
    {
        var left = _targets[Slot(worker, connection)] - connection.Due;
        worker.Request(connection, (int)Math.Min(left, _random.Next(1, maxBatch + 1)));
    }

    private void End(Worker worker, Connection connection)
    {
        _retryAt[Slot(worker, connection)] = worker.Now;
        if (_random.NextDouble() < resetShare)
        {
            Resets++;
            worker.Abort(connection);
        }
        else
        {
            Graceful++;
            worker.Close(connection);
        }
    }

    private static int Slot(Worker worker, Connection connection) => connection.Number - worker.Connections[0].Number;
}
