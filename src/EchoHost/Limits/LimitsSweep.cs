using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.Limits;

/// <summary>
/// The one timer of the limits: every <see cref="ConnectionLimits.SweepInterval"/> it visits every live connection
/// (idle and slow-frame timeouts), forgets idle addresses, and at most every <see cref="LogInterval"/> writes each
/// endpoint's refusals as one line, so that a flood of connections cannot flood the log.
/// </summary>
internal sealed class LimitsSweep(ConnectionLimits limits, ILogger<LimitsSweep> logger) : BackgroundService
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.SweepInterval);
        var watches = new List<ConnectionWatch>();
        var lastLog = long.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Environment.TickCount64;
                var log = now - lastLog >= (long)LogInterval.TotalMilliseconds;
                foreach (var limiter in limits.Limiters)
                {
                    limiter.Sweep(now, watches, logger);
                    if (log)
                    {
                        limiter.LogRejections(logger);
                    }
                }

                if (log)
                {
                    lastLog = now;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
