using System.Net;
using System.Net.Sockets;

namespace EchoHost.Tests.Support;

/// <summary>A client's side of EchoHost's protocols over real sockets. Timeouts only catch hangs: none measures speed.</summary>
internal static class Loopback
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The endpoint of an address as EchoHost logs it: <c>tcp://127.0.0.1:40123</c>, <c>http://[::1]:80</c>, <c>unix:/path</c>.</summary>
    public static EndPoint ParseAddress(string address)
    {
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            return new UnixDomainSocketEndPoint(address["unix:".Length..]);
        }

        var separator = address.IndexOf("://", StringComparison.Ordinal);
        return IPEndPoint.Parse(address[(separator + 3)..]);
    }

    public static Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default) =>
        ConnectAsync(endPoint, from: null, cancellationToken);

    /// <summary>Connects from the local address <paramref name="from"/> (say 127.0.0.2: every 127/8 address is this machine's).</summary>
    public static async Task<Socket> ConnectAsync(EndPoint endPoint, IPAddress? from, CancellationToken cancellationToken = default)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }

            using var timeout = Timed(cancellationToken);
            await socket.ConnectAsync(endPoint, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects, sends <paramref name="payload"/> while reading concurrently (so that a large payload cannot
    /// deadlock on full buffers), half-closes, and returns everything read until the server's FIN.
    /// </summary>
    public static async Task<byte[]> EchoAsync(EndPoint endPoint, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        using var socket = await ConnectAsync(endPoint, cancellationToken);
        using var timeout = Timed(cancellationToken);
        var reading = ReadToEndAsync(socket, timeout.Token);
        await SendAllAsync(socket, payload, timeout.Token);
        socket.Shutdown(SocketShutdown.Send);
        return await reading;
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        using var timeout = Timed(cancellationToken);
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, timeout.Token);
            data = data[sent..];
        }
    }

    /// <summary>Reads until the peer's FIN.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        using var timeout = Timed(cancellationToken);
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, read);
        }
    }

    public static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var timeout = Timed(cancellationToken);
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"The server closed the connection with {buffer.Length} bytes still expected.");
            }

            buffer = buffer[read..];
        }
    }

    /// <summary>
    /// Waits for the server to end the connection: true for a FIN (read returns 0) or a reset, once any bytes still
    /// in flight have been read.
    /// </summary>
    public static async Task<bool> WaitForCloseAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        using var timeout = Timed(cancellationToken);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>Bytes that no off-by-one, reordering or truncation leaves unchanged.</summary>
    public static byte[] Payload(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Closes with a reset (RST) instead of a FIN, as a crashed client would.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private static CancellationTokenSource Timed(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Timeout);
        return source;
    }
}
