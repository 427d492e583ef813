using EchoHost.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.Limits;

/// <summary>
/// The one timer of the limits: every <see cref="ConnectionLimits.SweepInterval"/> it visits every live connection
/// (idle and slow-frame timeouts), forgets idle addresses, and writes each endpoint's refusals as one line at most
/// every <see cref="ConnectionLimiter.LogInterval"/>, so that a flood of connections cannot flood the log.
/// </summary>
internal sealed class LimitsSweep(ConnectionLimits limits, TimeProvider time, ILogger<LimitsSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.SweepInterval, time);
        var watches = new List<ConnectionWatch>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = time.Milliseconds();
                foreach (var limiter in limits.Limiters)
                {
                    limiter.Sweep(now, watches, logger);
                    limiter.LogRejections(now, logger);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
