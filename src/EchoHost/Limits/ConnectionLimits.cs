using System.Diagnostics.Metrics;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Metrics;

namespace EchoHost.Limits;

/// <summary>
/// The limits of every endpoint (<c>EchoHost:Limits</c>), the server-wide connection count, and their instruments on
/// the <c>EchoHost</c> meter: <c>echohost.connections.rejected</c> and <c>echohost.connections.timed_out</c>, by
/// endpoint and reason, each series written from its first count on.
/// </summary>
internal sealed class ConnectionLimits
{
    private static readonly TimeSpan LongestSweep = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ShortestSweep = TimeSpan.FromMilliseconds(50);

    private readonly ConnectionLimiter[] _limiters;

    public ConnectionLimits(EchoHostSettings settings, LiveConnectionRegistry live, IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(meterFactory);
        var server = new ServerConnectionCount(settings.Limits.MaxConnections);
        _limiters = settings.Endpoints.Select(e => new ConnectionLimiter(e, settings.Limits.For(e), server, live.For(e), time)).ToArray();
        SweepInterval = ChooseSweepInterval(_limiters);

        var meter = meterFactory.Create(ServiceMetrics.MeterName);
        meter.CreateObservableCounter(
            "echohost.connections.rejected",
            () => Read(l => l.Rejected, LimitNames.RejectReasons),
            "{connection}",
            "Connections refused by a limit before being served, by reason.");
        meter.CreateObservableCounter(
            "echohost.connections.timed_out",
            () => Read(l => l.TimedOut, LimitNames.Timeouts),
            "{connection}",
            "Connections ended for receiving nothing (idle_timeout) or a frame too slowly (frame_timeout).");
    }

    private delegate ReadOnlySpan<long> CountsOf(ConnectionLimiter limiter);

    public IReadOnlyList<ConnectionLimiter> Limiters => _limiters;

    /// <summary>How often the sweep runs: a quarter of the shortest timeout, from 50 ms to 1 s.</summary>
    public TimeSpan SweepInterval { get; }

    public ConnectionLimiter For(EndpointDefinition endpoint) =>
        Array.Find(_limiters, l => l.Endpoint.Name == endpoint.Name) ?? throw new ArgumentException($"Endpoint {endpoint.Name} is not configured.", nameof(endpoint));

    private static TimeSpan ChooseSweepInterval(ConnectionLimiter[] limiters)
    {
        var shortest = LongestSweep * 4;
        foreach (var limiter in limiters)
        {
            var limits = limiter.Limits;
            if (limits.IdleTimeout > TimeSpan.Zero && limits.IdleTimeout < shortest)
            {
                shortest = limits.IdleTimeout;
            }

            if (limits.MinFrameBytesPerSecond > 0 && limits.FrameGracePeriod < shortest)
            {
                shortest = limits.FrameGracePeriod;
            }
        }

        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, ShortestSweep.Ticks, LongestSweep.Ticks));
    }

    private List<Measurement<long>> Read(CountsOf counts, string[] reasons)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var limiter in _limiters)
        {
            var values = counts(limiter);
            for (var i = 0; i < values.Length; i++)
            {
                var value = Volatile.Read(in values[i]);
                if (value > 0)
                {
                    measurements.Add(new Measurement<long>(value, new("endpoint", limiter.Endpoint.Name), new("reason", reasons[i])));
                }
            }
        }

        return measurements;
    }
}
