namespace EchoHost.LoadGen.Engine;

/// <summary>
/// What a workload does with a worker's connections: when to connect, when to ask for messages, what a completed
/// message means. One instance per worker, called on that worker's thread only.
/// </summary>
internal abstract class Driver
{
    /// <summary>Called once when the worker's loop starts.</summary>
    public virtual void Start(Worker worker)
    {
    }

    /// <summary>The connection is established.</summary>
    public virtual void Opened(Worker worker, Connection connection)
    {
    }

    /// <summary>Message <paramref name="sequence"/> came back and was verified.</summary>
    public abstract void Completed(Worker worker, Connection connection, long sequence);

    /// <summary>The connection failed (already counted and closed).</summary>
    public virtual void Failed(Worker worker, Connection connection)
    {
    }

    /// <summary>Called before each wait: does what is due and returns the wait in milliseconds, or −1 when the work is done.</summary>
    public abstract int Tick(Worker worker);

    /// <summary>Milliseconds from <paramref name="now"/> to <paramref name="then"/> (ticks), between 0 and <paramref name="cap"/>.</summary>
    protected static int MillisecondsUntil(long now, long then, int cap)
    {
        var ms = (then - now) * 1000 / System.Diagnostics.Stopwatch.Frequency;
        return (int)Math.Clamp(ms, 0, cap);
    }
}
