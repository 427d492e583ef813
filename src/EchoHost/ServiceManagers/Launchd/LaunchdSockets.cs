using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using EchoHost.Configuration;

namespace EchoHost.ServiceManagers.Launchd;

/// <summary>
/// The sockets of a launchd job's plist (<c>Sockets</c>, a dictionary keyed by name), asked for by endpoint name. A
/// name the plist does not have (ENOENT), or a process launchd does not manage (ESRCH), has none: that endpoint
/// binds its Url. launchd cannot list its sockets, so a plist socket that no endpoint asks for goes unnoticed.
/// </summary>
internal static class LaunchdSockets
{
    public const string Manager = "launchd";

    /// <summary>What one call of launch_activate_socket answered: its error number, and the descriptors on success.</summary>
    internal delegate int Activation(string name, out int[] descriptors);

    [SupportedOSPlatform("macos")]
    public static IReadOnlyList<InheritedSocket> Activate(IEnumerable<string> names) => Collect(names, ActivateSocket);

    /// <summary>Asks <paramref name="activate"/> for each name; stops asking once launchd says this process is not its job.</summary>
    internal static IReadOnlyList<InheritedSocket> Collect(IEnumerable<string> names, Activation activate)
    {
        var sockets = new List<InheritedSocket>();
        foreach (var name in names)
        {
            var error = activate(name, out var descriptors);
            switch (error)
            {
                case 0:
                    sockets.AddRange(descriptors.Select(descriptor => new InheritedSocket(name, descriptor, Manager)));
                    break;
                case Launch.ENOENT:
                    break;
                case Launch.ESRCH:
                    return sockets;
                default:
                    throw new EchoHostConfigurationException(
                        $"launchd could not hand over socket '{name}': {Marshal.GetPInvokeErrorMessage(error)} (launch_activate_socket error {error})");
            }
        }

        return sockets;
    }

    [SupportedOSPlatform("macos")]
    private static unsafe int ActivateSocket(string name, out int[] descriptors)
    {
        int* fds = null;
        nuint count = 0;
        var error = Launch.ActivateSocket(name, &fds, &count);
        descriptors = error == 0 ? new ReadOnlySpan<int>(fds, checked((int)count)).ToArray() : [];
        if (fds is not null)
        {
            Launch.Free(fds);
        }

        return error;
    }
}
