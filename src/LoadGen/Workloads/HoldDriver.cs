using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>
/// Hold: opens the connections a window at a time, each echoing one message (verified); keeps them open and idle; on
/// <see cref="RunStage.Checking"/> has each echo once more, again a window at a time.
/// </summary>
internal sealed class HoldDriver(RunControl control, int window) : Driver
{
    private int _nextOpen;
    private int _opening;
    private int _nextCheck;
    private int _checking;
    private int _held;
    private int _alive;
    private bool _openingDone;
    private bool _checkDone;

    /// <summary>Connections opened and verified (read once the workers are done).</summary>
    public int Held => _held;

    /// <summary>True when every connection is held or failed.</summary>
    public bool OpeningDone => Volatile.Read(ref _openingDone);

    /// <summary>Connections that echoed again after the hold.</summary>
    public int Alive => _alive;

    public bool CheckDone => Volatile.Read(ref _checkDone);

    public override int Tick(Worker worker)
    {
        var connections = worker.Connections;
        switch (control.Stage)
        {
            case RunStage.Opening:
                while (_nextOpen < connections.Count && _opening < window)
                {
                    _opening++;
                    worker.Connect(connections[_nextOpen++]);
                }

                Volatile.Write(ref _openingDone, _nextOpen == connections.Count && _opening == 0);
                return 5;
            case RunStage.Checking:
                while (_nextCheck < connections.Count && _checking < window)
                {
                    var connection = connections[_nextCheck++];
                    if (connection.State == ConnectionState.Open && connection.IsQuiet)
                    {
                        _checking++;
                        connection.StartTicks = worker.Now;
                        worker.Request(connection);
                    }
                }

                Volatile.Write(ref _checkDone, _nextCheck == connections.Count && _checking == 0);
                return 5;
            case RunStage.Stopped:
                return -1;
            default:
                return 50;
        }
    }

    public override void Opened(Worker worker, Connection connection) => worker.Request(connection);

    public override void Completed(Worker worker, Connection connection, long sequence)
    {
        worker.Histogram.Record(Ticks.ToNanoseconds(worker.Now - connection.StartTicks));
        if (sequence == 0)
        {
            _opening--;
            _held++;
        }
        else
        {
            _checking--;
            _alive++;
        }
    }

    public override void Failed(Worker worker, Connection connection)
    {
        if (connection.Completed == 0)
        {
            _opening--;
        }
        else if (connection.Due > 1)
        {
            _checking--;
        }
    }
}
