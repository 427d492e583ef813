namespace EchoHost.ServiceManagers;

/// <summary>
/// A listening socket that a service manager opened for the service and handed over as a descriptor, with the name it
/// gave it: <c>FileDescriptorName=</c> in a systemd .socket unit, the key of launchd's <c>Sockets</c> dictionary.
/// </summary>
/// <param name="Name">The socket's name, which is the name of the endpoint that serves it.</param>
/// <param name="Descriptor">The open descriptor, already bound and listening.</param>
/// <param name="Manager">Who handed it over (<c>systemd</c>, <c>launchd</c>), for messages.</param>
internal sealed record InheritedSocket(string Name, int Descriptor, string Manager)
{
    /// <summary>How messages name it, e.g. <c>socket 'echo' from systemd (fd 3)</c>.</summary>
    public override string ToString() => $"socket '{Name}' from {Manager} (fd {Descriptor})";
}
