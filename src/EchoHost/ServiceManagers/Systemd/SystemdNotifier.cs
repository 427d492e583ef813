using System.Globalization;
using System.Net.Sockets;
using System.Text;
using EchoHost.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.ServiceManagers.Systemd;

/// <summary>
/// Tells systemd how the service is doing (sd_notify(3)), for <c>Type=notify</c> units: <c>READY=1</c> once every
/// endpoint listens, <c>STOPPING=1</c> as soon as shutdown starts (before the drain), and <c>WATCHDOG=1</c> every half
/// of <c>WATCHDOG_USEC</c> when the unit has <c>WatchdogSec=</c>. The pings come from a thread-pool timer, so a
/// starved thread pool misses them and systemd restarts the service. Registered only when <c>NOTIFY_SOCKET</c> is
/// set; a notification that cannot be sent is logged once and never stops the service. No <c>MAINPID=</c> is sent:
/// the process systemd started is the one that notifies.
/// </summary>
/// <param name="notifySocket">The value of <c>NOTIFY_SOCKET</c>.</param>
/// <param name="watchdogUsec">The value of <c>WATCHDOG_USEC</c>, if any.</param>
/// <param name="watchdogPid">The value of <c>WATCHDOG_PID</c>, if any.</param>
internal sealed partial class SystemdNotifier(
    string notifySocket, string? watchdogUsec, string? watchdogPid, EchoHostSettings settings, IHostApplicationLifetime lifetime, ILogger<SystemdNotifier> logger)
    : IHostedLifecycleService, IDisposable
{
    public const string WatchdogUsecVariable = "WATCHDOG_USEC";
    public const string WatchdogPidVariable = "WATCHDOG_PID";

    private static readonly byte[] Stopping = "STOPPING=1\nSTATUS=Stopping: draining connections"u8.ToArray();
    private static readonly byte[] Watchdog = "WATCHDOG=1"u8.ToArray();

    private NotifySocket? _socket;
    private TimeSpan? _watchdogInterval;
    private CancellationTokenRegistration _stopping;
    private Timer? _watchdog;
    private int _failed;

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

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!NotifySocket.TryParse(notifySocket, out var endPoint, out var problem))
        {
            LogUnusable(logger, notifySocket, problem!);
            return Task.CompletedTask;
        }

        try
        {
            _socket = NotifySocket.Open(endPoint!, notifySocket);
        }
        catch (SocketException ex)
        {
            LogUnusable(logger, notifySocket, ex.Message);
            return Task.CompletedTask;
        }

        _watchdogInterval = WatchdogInterval(watchdogUsec, watchdogPid, Environment.ProcessId, out problem);
        if (problem is not null)
        {
            LogNoWatchdog(logger, problem);
        }

        // Registered before the host can stop, so that a SIGTERM during start-up is told too.
        _stopping = lifetime.ApplicationStopping.UnsafeRegister(static state => ((SystemdNotifier)state!).Send(Stopping), this);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every hosted service has started, Kestrel's included: every endpoint listens.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            return Task.CompletedTask;
        }

        var names = settings.Endpoints.Select(e => e.Name).ToList();
        Send(Encoding.UTF8.GetBytes($"READY=1\nSTATUS=Serving {names.Count} endpoint{(names.Count == 1 ? "" : "s")} ({string.Join(", ", names)})"));
        if (_watchdogInterval is { } interval)
        {
            LogWatchdog(logger, (long)interval.TotalMilliseconds);
            _watchdog = new Timer(static state => ((SystemdNotifier)state!).Send(Watchdog), this, interval, interval);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The watchdog keeps pinging through the drain, which systemd bounds with TimeoutStopSec=.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _watchdog?.Dispose();
        _socket?.Dispose();
    }

    private void Send(byte[] state)
    {
        if (!_socket!.TrySend(state, out var problem) && Interlocked.Exchange(ref _failed, 1) == 0)
        {
            LogSendFailed(logger, notifySocket, problem!);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "systemd watchdog: pinging every {IntervalMilliseconds} ms")]
    private static partial void LogWatchdog(ILogger logger, long intervalMilliseconds);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not notify systemd through {Socket}: {Reason}; later failures are not logged")]
    private static partial void LogSendFailed(ILogger logger, string socket, string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "NOTIFY_SOCKET '{Value}' cannot be used ({Problem}); systemd will not be notified")]
    private static partial void LogUnusable(ILogger logger, string value, string problem);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "{Problem}; the systemd watchdog is not pinged")]
    private static partial void LogNoWatchdog(ILogger logger, string problem);
}
