using EchoHost.Configuration;
using EchoHost.ServiceManagers.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using LibraryNotifier = Microsoft.Extensions.Hosting.Systemd.SystemdNotifier;
using SystemdNotifier = EchoHost.ServiceManagers.Systemd.SystemdNotifier;

namespace EchoHost.ServiceManagers;

/// <summary>What the service does for the service manager that runs it (systemd, launchd); nothing under none.</summary>
internal static class ServiceManagerServiceCollectionExtensions
{
    /// <summary>
    /// Takes the sockets the service manager handed over (<see cref="InheritedSockets"/>, which throws
    /// <see cref="EchoHostConfigurationException"/> on sockets it cannot use) and, when <c>NOTIFY_SOCKET</c> is set,
    /// Microsoft.Extensions.Hosting.Systemd's lifetime (<c>READY=1</c> once the host has started, <c>STOPPING=1</c>
    /// when it stops, SIGTERM to stop) with EchoHost's notifier and watchdog on top. The library enables itself only
    /// when systemd is the parent process; like sd_notify, EchoHost follows <c>NOTIFY_SOCKET</c>, so that any
    /// supervisor speaking the protocol is told.
    /// </summary>
    public static IServiceCollection AddServiceManagers(this IServiceCollection services, EchoHostSettings settings)
    {
        services.AddSingleton(InheritedSockets.Load(settings.Endpoints));

        var notifySocket = Environment.GetEnvironmentVariable(SystemdNotifier.Variable);
        if (!string.IsNullOrEmpty(notifySocket))
        {
            services.AddSingleton<ISystemdNotifier>(provider => new SystemdNotifier(
                new LibraryNotifier(),
                notifySocket,
                settings,
                provider.GetRequiredService<ILogger<SystemdNotifier>>()));
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
            services.AddHostedService(provider => new SystemdWatchdog(
                Environment.GetEnvironmentVariable(SystemdWatchdog.WatchdogUsecVariable),
                Environment.GetEnvironmentVariable(SystemdWatchdog.WatchdogPidVariable),
                provider.GetRequiredService<ISystemdNotifier>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<SystemdWatchdog>>()));
        }

        return services;
    }
}
