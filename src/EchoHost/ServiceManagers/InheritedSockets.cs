using EchoHost.Configuration;
using EchoHost.ServiceManagers.Launchd;
using EchoHost.ServiceManagers.Systemd;

namespace EchoHost.ServiceManagers;

/// <summary>
/// The listening sockets a service manager handed over, by the endpoint that serves them: systemd's socket activation
/// (<c>LISTEN_FDS</c>) on Linux, the plist's <c>Sockets</c> under launchd on macOS. An endpoint with sockets here is
/// served on them, keeping its protocol, instead of binding its Url; an endpoint without binds its Url as usual.
/// </summary>
internal sealed class InheritedSockets
{
    private readonly IReadOnlyList<InheritedSocket> _sockets;

    private InheritedSockets(IReadOnlyList<InheritedSocket> sockets)
    {
        _sockets = sockets;
    }

    /// <summary>No socket handed over: every endpoint binds its Url.</summary>
    public static InheritedSockets None { get; } = new([]);

    /// <summary>Every socket handed over, each matched to an endpoint.</summary>
    public IReadOnlyList<InheritedSocket> All => _sockets;

    /// <summary>
    /// Takes the sockets the service manager this process runs under handed over, for <paramref name="endpoints"/>.
    /// Throws <see cref="EchoHostConfigurationException"/> when they cannot be used: malformed variables, a socket
    /// that no endpoint is named after, a descriptor that is not a listening stream socket.
    /// </summary>
    public static InheritedSockets Load(IReadOnlyList<EndpointDefinition> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        IReadOnlyList<InheritedSocket> sockets;
        if (OperatingSystem.IsMacOS())
        {
            // launchd cannot list its sockets; it is asked for each endpoint's name, so every answer has an endpoint.
            sockets = LaunchdSockets.Activate(endpoints.Select(e => e.Name));
        }
        else if (OperatingSystem.IsWindows())
        {
            return None;
        }
        else
        {
            sockets = SystemdListenFds.Parse(
                Environment.GetEnvironmentVariable(SystemdListenFds.PidVariable),
                Environment.GetEnvironmentVariable(SystemdListenFds.CountVariable),
                Environment.GetEnvironmentVariable(SystemdListenFds.NamesVariable),
                Environment.ProcessId);
        }

        var inherited = Match(sockets, endpoints);
        foreach (var socket in inherited._sockets)
        {
            SocketDescriptors.Prepare(socket);
        }

        return inherited;
    }

    /// <summary>Pairs each socket with the endpoint of its name (case-insensitive, as configuration keys are).</summary>
    internal static InheritedSockets Match(IReadOnlyList<InheritedSocket> sockets, IReadOnlyList<EndpointDefinition> endpoints)
    {
        if (sockets.Count == 0)
        {
            return None;
        }

        foreach (var socket in sockets)
        {
            if (!endpoints.Any(e => NameMatches(e, socket)))
            {
                var names = string.Join(", ", endpoints.Select(e => e.Name));
                throw new EchoHostConfigurationException(
                    $"The {socket} matches no endpoint; name it after one of {names} ({NameSetting(socket.Manager)}) or configure an endpoint of that name");
            }
        }

        return new InheritedSockets(sockets);
    }

    /// <summary>The sockets that <paramref name="endpoint"/> is served on; none when it binds its Url.</summary>
    public IEnumerable<InheritedSocket> For(EndpointDefinition endpoint) => _sockets.Where(s => NameMatches(endpoint, s));

    /// <summary>The socket of descriptor <paramref name="descriptor"/>, if one was handed over.</summary>
    public InheritedSocket? Find(ulong descriptor) => _sockets.FirstOrDefault(s => (ulong)s.Descriptor == descriptor);

    private static bool NameMatches(EndpointDefinition endpoint, InheritedSocket socket) =>
        string.Equals(endpoint.Name, socket.Name, StringComparison.OrdinalIgnoreCase);

    private static string NameSetting(string manager) => manager == LaunchdSockets.Manager
        ? "the key in the plist's Sockets"
        : "FileDescriptorName= in the .socket unit";
}
