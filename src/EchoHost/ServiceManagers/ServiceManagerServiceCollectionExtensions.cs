using EchoHost.Configuration;
using EchoHost.ServiceManagers.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EchoHost.ServiceManagers;

/// <summary>What the service does for the service manager that runs it (systemd, launchd); nothing under none.</summary>
internal static class ServiceManagerServiceCollectionExtensions
{
    /// <summary>
    /// Takes the sockets the service manager handed over (<see cref="InheritedSockets"/>, which throws
    /// <see cref="EchoHostConfigurationException"/> on sockets it cannot use) and, when <c>NOTIFY_SOCKET</c> is set,
    /// adds the systemd notifications. Call after the hosted service that reports the endpoints, so that
    /// <c>READY=1</c> follows the lines that say where they listen.
    /// </summary>
    public static IServiceCollection AddServiceManagers(this IServiceCollection services, EchoHostSettings settings)
    {
        services.AddSingleton(InheritedSockets.Load(settings.Endpoints));

        var notifySocket = Environment.GetEnvironmentVariable(NotifySocket.Variable);
        if (notifySocket is not null)
        {
            services.AddHostedService(provider => new SystemdNotifier(
                notifySocket,
                Environment.GetEnvironmentVariable(SystemdNotifier.WatchdogUsecVariable),
                Environment.GetEnvironmentVariable(SystemdNotifier.WatchdogPidVariable),
                settings,
                provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILogger<SystemdNotifier>>()));
        }

        return services;
    }
}
