using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Interop.Unix;
using Microsoft.AspNetCore.Connections;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Opens the listening sockets of an endpoint. They are ordinary <see cref="Socket"/>s (the runtime's address handling,
/// dual mode and errors); the loops only need their descriptors.
/// </summary>
internal static class ListenSockets
{
    public static List<Socket> Open(EndPoint endPoint, NativeTransportOptions options, int loopCount, out EndPoint boundEndPoint, out string? unixSocketPath)
    {
        unixSocketPath = null;
        List<Socket> sockets;
        switch (endPoint)
        {
            case FileHandleEndPoint inherited:
                // A socket handed over by the service manager, already bound and listening.
                var socket = new Socket(new SafeSocketHandle((nint)inherited.FileHandle, ownsHandle: true));
                if (socket.ProtocolType == ProtocolType.Tcp)
                {
                    socket.NoDelay = options.NoDelay;
                }

                sockets = [socket];
                boundEndPoint = socket.LocalEndPoint ?? endPoint;
                break;
            case UnixDomainSocketEndPoint unix:
                sockets = [BindUnix(unix, options.Backlog, out unixSocketPath)];
                boundEndPoint = endPoint;
                break;
            case IPEndPoint ip:
                sockets = BindTcp(ip, options, options.ReusePort ? loopCount : 1, out boundEndPoint);
                break;
            default:
                throw new NotSupportedException($"The native transport does not listen on {endPoint.GetType().Name} endpoints.");
        }

        foreach (Socket socket in sockets)
        {
            socket.Blocking = false;
        }

        return sockets;
    }

    private static List<Socket> BindTcp(IPEndPoint endPoint, NativeTransportOptions options, int count, out EndPoint boundEndPoint)
    {
        var sockets = new List<Socket>(count);
        IPEndPoint target = endPoint;
        if (count > 1 && endPoint.Port != 0)
        {
            // SO_REUSEPORT would let this group join another process's group on the same port and split its traffic
            // silently; a plain bind first makes a port in use an error, as without the option.
            using var probe = CreateTcpSocket(endPoint);
            Bind(probe, endPoint);
        }

        try
        {
            for (int i = 0; i < count; i++)
            {
                var socket = CreateTcpSocket(endPoint);
                sockets.Add(socket);
                if (count > 1)
                {
                    socket.SetRawSocketOption(Sys.SOL_SOCKET, Sys.SO_REUSEPORT, BitConverter.GetBytes(1));
                }

                // Linux, macOS and FreeBSD copy TCP_NODELAY to the sockets a listener accepts: set once here, not per connection.
                socket.NoDelay = options.NoDelay;
                Bind(socket, target);
                socket.Listen(options.Backlog);

                // With port 0 the first socket picks the port; the others of a SO_REUSEPORT group share it.
                target = (IPEndPoint)socket.LocalEndPoint!;
            }
        }
        catch
        {
            sockets.ForEach(socket => socket.Dispose());
            throw;
        }

        boundEndPoint = target;
        return sockets;
    }

    /// <summary>A TCP socket for <paramref name="endPoint"/>; for [::], dual mode, so that IPv4 clients reach it too.</summary>
    private static Socket CreateTcpSocket(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        return socket;
    }

    private static Socket BindUnix(UnixDomainSocketEndPoint endPoint, int backlog, out string? path)
    {
        string name = endPoint.ToString();
        bool abstractName = name.Length == 0 || name[0] is '\0' or '@';
        path = abstractName ? null : name;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                Bind(socket, endPoint);
            }
            catch (AddressInUseException) when (path is not null && IsStale(endPoint))
            {
                // A file left by a process that is gone: nobody answers on it, so it may be replaced.
                File.Delete(path);
                Bind(socket, endPoint);
            }

            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsStale(UnixDomainSocketEndPoint endPoint)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    private static void Bind(Socket socket, EndPoint endPoint)
    {
        try
        {
            socket.Bind(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(ex.Message, ex);
        }
    }
}
