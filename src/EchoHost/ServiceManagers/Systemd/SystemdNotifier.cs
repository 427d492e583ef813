using System.Net.Sockets;
using EchoHost.Configuration;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EchoHost.ServiceManagers.Systemd;

/// <summary>
/// The <see cref="ISystemdNotifier"/> that <see cref="SystemdLifetime"/> and <see cref="SystemdWatchdog"/> notify
/// through: Microsoft.Extensions.Hosting.Systemd's notifier, with what the library does not do. <c>READY=1</c> and
/// <c>STOPPING=1</c> carry a <c>STATUS=</c> line in the same datagram (what <c>systemctl status</c> shows), and a
/// notification that cannot be sent (the library throws) is one Warning for the life of the process, never an error
/// that stops the service.
/// </summary>
/// <param name="library">The library's notifier, which sends one datagram to <c>NOTIFY_SOCKET</c> per notification.</param>
/// <param name="socket">The value of <c>NOTIFY_SOCKET</c>, for the warning.</param>
internal sealed partial class SystemdNotifier(ISystemdNotifier library, string socket, EchoHostSettings settings, ILogger<SystemdNotifier> logger)
    : ISystemdNotifier
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly string _readyStatus = ReadyStatus(settings.Endpoints.Select(e => e.Name).ToList());
    private int _failed;

    public bool IsEnabled => library.IsEnabled;

    public void Notify(ServiceState state)
    {
        var text = state.ToString();
        var withStatus = text switch
        {
            "READY=1" => new ServiceState($"READY=1\nSTATUS={_readyStatus}"),
            "STOPPING=1" => new ServiceState("STOPPING=1\nSTATUS=Stopping: draining connections"),
            _ => state,
        };

        try
        {
            library.Notify(withStatus);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref _failed, 1) == 0)
            {
                LogSendFailed(logger, socket, ex.Message);
            }
        }
    }

    private static string ReadyStatus(List<string> endpoints) =>
        $"Serving {endpoints.Count} endpoint{(endpoints.Count == 1 ? "" : "s")} ({string.Join(", ", endpoints)})";

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not notify systemd through {Socket}: {Reason}; later failures are not logged")]
    private static partial void LogSendFailed(ILogger logger, string socket, string reason);
}
