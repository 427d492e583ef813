using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>
/// Burst: every connect is issued before any event is serviced; each connection sends one message, reads it back and
/// closes. Latency is from the connect to the last byte back.
/// </summary>
internal sealed class BurstDriver(RunControl control) : Driver
{
    /// <summary>When this worker issued its first connect, in ticks.</summary>
    public long FirstConnect { get; private set; }

    /// <summary>When this worker's last client finished, in ticks.</summary>
    public long LastCompletion { get; private set; }

    public override void Start(Worker worker)
    {
        FirstConnect = worker.Now;
        LastCompletion = FirstConnect;
        foreach (var connection in worker.Connections)
        {
            worker.Connect(connection);
        }
    }

    public override void Opened(Worker worker, Connection connection) => worker.Request(connection);

    public override void Completed(Worker worker, Connection connection, long sequence)
    {
        worker.Histogram.Record(Ticks.ToNanoseconds(worker.Now - connection.StartTicks));
        worker.Measured++;
        LastCompletion = worker.Now;
        worker.Close(connection);
    }

    public override int Tick(Worker worker) => control.Stage == RunStage.Stopped || worker.Active == 0 ? -1 : 50;
}
