using System.Diagnostics;
using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Workloads;

/// <summary>
/// Burst: every connect is issued before any connection is serviced. Each worker first opens (and binds) all its
/// sockets; once every worker has, they issue their <c>connect</c> calls back to back, nothing in between; only then
/// do the connections join the epoll sets, and each sends one message, reads it back (verified) and closes. Latency is
/// from a client's connect to the last byte back.
/// </summary>
/// <param name="ready">Signalled by each worker once its sockets are open; shared by the workers of the run.</param>
internal sealed class BurstDriver(RunControl control, Barrier ready) : Driver
{
    /// <summary>When this worker issued its first connect, in ticks.</summary>
    public long FirstConnect { get; private set; }

    /// <summary>When this worker had issued its last connect, in ticks.</summary>
    public long LastConnect { get; private set; }

    /// <summary>When this worker's last client finished, in ticks.</summary>
    public long LastCompletion { get; private set; }

    public override void Start(Worker worker)
    {
        var connections = worker.Connections;
        var open = new bool[connections.Count];
        for (var i = 0; i < connections.Count; i++)
        {
            open[i] = worker.OpenSocket(connections[i]);
        }

        ready.SignalAndWait();
        FirstConnect = Stopwatch.GetTimestamp();
        for (var i = 0; i < connections.Count; i++)
        {
            open[i] = open[i] && worker.IssueConnect(connections[i], Stopwatch.GetTimestamp());
        }

        LastConnect = Stopwatch.GetTimestamp();
        LastCompletion = LastConnect;
        for (var i = 0; i < connections.Count; i++)
        {
            if (open[i])
            {
                worker.Watch(connections[i]);
            }
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
