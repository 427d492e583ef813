using System.Globalization;
using EchoHost.Configuration;

namespace EchoHost.ServiceManagers.Systemd;

/// <summary>
/// systemd's socket activation protocol (sd_listen_fds(3)): <c>LISTEN_FDS</c> descriptors starting at 3, meant for
/// the process <c>LISTEN_PID</c>, named by the colon-separated <c>LISTEN_FDNAMES</c>. The variables are left set:
/// the service starts no programs that could take them for their own, and the descriptors are close-on-exec.
/// </summary>
internal static class SystemdListenFds
{
    public const string Manager = "systemd";
    public const string PidVariable = "LISTEN_PID";
    public const string CountVariable = "LISTEN_FDS";
    public const string NamesVariable = "LISTEN_FDNAMES";

    /// <summary>SD_LISTEN_FDS_START: the first descriptor passed.</summary>
    public const int FirstDescriptor = 3;

    /// <summary>
    /// The sockets passed to process <paramref name="processId"/>: none when <c>LISTEN_PID</c> is unset or names
    /// another process (a parent's variables, inherited), as sd_listen_fds does. Malformed values throw
    /// <see cref="EchoHostConfigurationException"/>. A socket systemd did not name is called <c>unknown</c>, as
    /// sd_listen_fds_with_names calls it.
    /// </summary>
    public static IReadOnlyList<InheritedSocket> Parse(string? listenPid, string? listenFds, string? listenFdNames, int processId)
    {
        if (string.IsNullOrEmpty(listenPid))
        {
            return [];
        }

        if (!int.TryParse(listenPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            throw new EchoHostConfigurationException($"{PidVariable} is '{listenPid}', not a process id (systemd socket activation)");
        }

        if (pid != processId)
        {
            return [];
        }

        if (!int.TryParse(listenFds, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > int.MaxValue - FirstDescriptor)
        {
            throw new EchoHostConfigurationException($"{CountVariable} is '{listenFds}', not a number of descriptors (systemd socket activation)");
        }

        string[] names;
        if (string.IsNullOrEmpty(listenFdNames))
        {
            names = Enumerable.Repeat("unknown", count).ToArray();
        }
        else
        {
            names = listenFdNames.Split(':');
            if (names.Length != count)
            {
                throw new EchoHostConfigurationException(
                    $"{NamesVariable} names {names.Length} socket(s) ('{listenFdNames}') but {CountVariable} is {count} (systemd socket activation)");
            }
        }

        var sockets = new InheritedSocket[count];
        for (var i = 0; i < count; i++)
        {
            sockets[i] = new InheritedSocket(names[i], FirstDescriptor + i, Manager);
        }

        return sockets;
    }
}
