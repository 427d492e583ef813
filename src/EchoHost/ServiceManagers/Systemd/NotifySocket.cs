using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EchoHost.ServiceManagers.Systemd;

/// <summary>
/// The datagram socket that systemd reads service notifications from (sd_notify(3)): <c>NOTIFY_SOCKET</c> is a file
/// system path, or an abstract name written with a leading <c>@</c>. Each notification is one datagram of
/// newline-separated <c>KEY=VALUE</c> lines, sent from one unconnected socket, so that a socket systemd re-created
/// (after <c>systemctl daemon-reexec</c>) is reached again. Sending never throws: it says whether it worked.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly Socket _socket;
    private readonly SocketAddress _address;

    private NotifySocket(Socket socket, SocketAddress address, string name)
    {
        _socket = socket;
        _address = address;
        Name = name;
    }

    /// <summary>The socket as <c>NOTIFY_SOCKET</c> named it, for messages.</summary>
    public string Name { get; }

    /// <summary>
    /// The address of <paramref name="value"/>: <c>/path</c>, or <c>@name</c> for the abstract name <c>\0name</c>.
    /// Other forms (relative paths, systemd's <c>vsock:</c>) are not supported and give a reason instead.
    /// </summary>
    public static bool TryParse(string? value, out UnixDomainSocketEndPoint? endPoint, out string? problem)
    {
        endPoint = null;
        problem = null;
        if (string.IsNullOrEmpty(value))
        {
            problem = "it is empty";
            return false;
        }

        if (value[0] is not ('/' or '@') || value.Length == 1)
        {
            problem = "expected an absolute path or an abstract socket name starting with @";
            return false;
        }

        var path = value[0] == '@' ? "\0" + value[1..] : value;
        try
        {
            endPoint = new UnixDomainSocketEndPoint(path);
            return true;
        }
        catch (ArgumentException)
        {
            // The kernel's sockaddr_un holds 108 bytes, the terminating NUL of a path included.
            problem = $"longer than a Unix socket address can be ({Encoding.UTF8.GetByteCount(path)} bytes)";
            return false;
        }
    }

    /// <summary>Opens a socket to send to <paramref name="endPoint"/>; throws <see cref="SocketException"/> when none can be made.</summary>
    public static NotifySocket Open(UnixDomainSocketEndPoint endPoint, string name)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

        // systemd reads its socket promptly; should it not, a notification is given up rather than a thread held.
        socket.SendTimeout = 5000;
        return new NotifySocket(socket, endPoint.Serialize(), name);
    }

    /// <summary>Sends one notification; false with the reason when it could not be sent.</summary>
    public bool TrySend(ReadOnlySpan<byte> state, out string? problem)
    {
        try
        {
            _socket.SendTo(state, SocketFlags.None, _address);
            problem = null;
            return true;
        }
        catch (SocketException ex)
        {
            problem = ex.Message;
            return false;
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile: there is nobody left to tell.
            problem = null;
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();
}
