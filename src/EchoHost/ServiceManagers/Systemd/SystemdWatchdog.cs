using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EchoHost.ServiceManagers.Systemd;

/// <summary>
/// Pings systemd's watchdog (<c>WATCHDOG=1</c>) every half of <c>WATCHDOG_USEC</c> when the unit has
/// <c>WatchdogSec=</c>, from the service's start to its end, the drain included (which systemd bounds with
/// <c>TimeoutStopSec=</c>). Microsoft.Extensions.Hosting.Systemd has no watchdog. The pings come from a thread-pool
/// timer, so a starved thread pool misses them and systemd restarts the service.
/// </summary>
/// <param name="watchdogUsec">The value of <c>WATCHDOG_USEC</c>, if any.</param>
/// <param name="watchdogPid">The value of <c>WATCHDOG_PID</c>, if any.</param>
internal sealed partial class SystemdWatchdog(string? watchdogUsec, string? watchdogPid, ISystemdNotifier notifier, TimeProvider time, ILogger<SystemdWatchdog> logger)
    : IHostedLifecycleService, IDisposable
{
    public const string WatchdogUsecVariable = "WATCHDOG_USEC";
    public const string WatchdogPidVariable = "WATCHDOG_PID";

    private static readonly ServiceState Ping = new("WATCHDOG=1");

    private ITimer? _timer;

    /// <summary>
    /// The watchdog's ping interval, half of <c>WATCHDOG_USEC</c> as sd_watchdog_enabled(3) advises; null when the
    /// watchdog is off or meant for another process (<c>WATCHDOG_PID</c>), or with the reason when the value is malformed.
    /// </summary>
    internal static TimeSpan? WatchdogInterval(string? watchdogUsec, string? watchdogPid, int processId, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(watchdogUsec))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(watchdogPid)
            && !(int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid == processId))
        {
            return null;
        }

        if (!long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0
            || microseconds > (long)TimeSpan.FromDays(24).TotalMicroseconds)
        {
            problem = $"{WatchdogUsecVariable} is '{watchdogUsec}', not a number of microseconds";
            return null;
        }

        // A timer's period is whole milliseconds, and a period of 0 would fire once.
        return TimeSpan.FromMilliseconds(Math.Max(1, microseconds / 2000));
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every hosted service has started, Kestrel's included; the first ping follows READY=1 by an interval.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var interval = WatchdogInterval(watchdogUsec, watchdogPid, Environment.ProcessId, out var problem);
        if (problem is not null)
        {
            LogNoWatchdog(logger, problem);
        }
        else if (interval is { } period)
        {
            LogWatchdog(logger, (long)period.TotalMilliseconds);
            _timer = time.CreateTimer(static state => ((ISystemdNotifier)state!).Notify(Ping), notifier, period, period);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "systemd watchdog: pinging every {IntervalMilliseconds} ms")]
    private static partial void LogWatchdog(ILogger logger, long intervalMilliseconds);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "{Problem}; the systemd watchdog is not pinged")]
    private static partial void LogNoWatchdog(ILogger logger, string problem);
}
