using System.Diagnostics;
using System.Runtime.InteropServices;
using EchoHost.LoadGen.Interop;
using EchoHost.LoadGen.Metrics;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;
using static EchoHost.LoadGen.Interop.ClientConstants;
using static EchoHost.Transport.Native.Interop.Linux.Epoll;
using static EchoHost.Transport.Native.Interop.Linux.Errno;
using static EchoHost.Transport.Native.Interop.Linux.SocketConstants;

namespace EchoHost.LoadGen.Engine;

/// <summary>
/// One thread, one level-triggered epoll set, many non-blocking connections. The worker moves bytes and verifies them
/// (through its <see cref="MessageFormat"/>); what to send when is its <see cref="Driver"/>'s. Nothing is allocated
/// per message; the counters and the histogram are this worker's own, merged when the run is over.
/// </summary>
internal sealed unsafe class Worker : IDisposable
{
    private const int MaxEvents = 512;
    // struct epoll_event is packed on x86-64 (data right after the 4-byte events) and naturally aligned elsewhere.
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = s_eventSize - 8;

    private readonly int _epoll;
    private readonly byte* _events;
    private readonly SockAddrIn _target;
    private readonly List<string> _firstErrors = [];

    public Worker(int index, IPv4Endpoint target, MessageFormat format, Driver driver, IReadOnlyList<Connection> connections)
    {
        Index = index;
        Format = format;
        Driver = driver;
        Connections = connections;
        _target = ToSockAddr(target);
        _epoll = Epoll.Create1(EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(MaxEvents * s_eventSize));
        foreach (var connection in connections)
        {
            format.Attach(connection);
        }
    }

    public int Index { get; }

    public MessageFormat Format { get; }

    public Driver Driver { get; }

    public IReadOnlyList<Connection> Connections { get; }

    /// <summary>Where raw echo's recv writes (its bytes are verified before the next recv).</summary>
    public byte[] Scratch { get; } = new byte[64 * 1024];

    public LatencyHistogram Histogram { get; } = new();

    /// <summary>The time of the last epoll_wait return, in <see cref="Stopwatch"/> ticks.</summary>
    public long Now { get; private set; }

    /// <summary>Connections connecting or open.</summary>
    public int Active { get; private set; }

    /// <summary>Every message that came back and was verified (read by the progress display).</summary>
    public long CompletedTotal;

    /// <summary>Connections established so far (read by the coordinating thread).</summary>
    public int OpenedTotal;

    /// <summary>Bytes received from the server, every one verified (read when the run is over).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Failures so far (read by the coordinating thread).</summary>
    public int FailedTotal;

    /// <summary>Messages that count for the result (those the driver measured).</summary>
    public long Measured { get; set; }

    public long[] Errors { get; } = new long[ErrorKinds.Count];

    /// <summary>The first few failures, described.</summary>
    public IReadOnlyList<string> FirstErrors => _firstErrors;

    public long ErrorTotal
    {
        get
        {
            long sum = 0;
            foreach (var count in Errors)
            {
                sum += count;
            }

            return sum;
        }
    }

    /// <summary>Runs the event loop until the driver says the work is done.</summary>
    public void Run()
    {
        Now = Stopwatch.GetTimestamp();
        Driver.Start(this);
        while (true)
        {
            var timeout = Driver.Tick(this);
            if (timeout < 0)
            {
                break;
            }

            var count = Epoll.Wait(_epoll, _events, MaxEvents, timeout);
            Now = Stopwatch.GetTimestamp();
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
            }

            for (var i = 0; i < count; i++)
            {
                var ev = _events + (i * s_eventSize);
                Dispatch(Connections[(int)*(ulong*)(ev + s_dataOffset)], *(uint*)ev);
            }
        }

        foreach (var connection in Connections)
        {
            if (connection.State is ConnectionState.Connecting or ConnectionState.Open)
            {
                if (connection.IsQuiet && connection.State == ConnectionState.Open)
                {
                    Close(connection);
                }
                else
                {
                    Fail(connection, ErrorKind.Timeout, null);
                }
            }
        }
    }

    /// <summary>Issues a non-blocking connect (bound to the connection's source address when it has one).</summary>
    public void Connect(Connection connection)
    {
        if (OpenSocket(connection) && IssueConnect(connection, Now))
        {
            Watch(connection);
        }
    }

    /// <summary>
    /// The first step of <see cref="Connect"/>: a non-blocking socket, bound to the connection's source address when it
    /// has one. False when that failed (counted, closed).
    /// </summary>
    public bool OpenSocket(Connection connection)
    {
        var fd = ClientLibc.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            Fail(connection, ErrorKinds.FromErrno(Marshal.GetLastPInvokeError()), null);
            return false;
        }

        connection.Fd = fd;
        connection.State = ConnectionState.Connecting;
        Active++;
        var one = 1;
        Libc.SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
        if (!connection.Source.IsAny)
        {
            // The port is chosen at connect, for the whole 4-tuple, rather than at bind for the address alone.
            Libc.SetSockOpt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(int));
            var source = ToSockAddr(connection.Source);
            if (ClientLibc.Bind(fd, &source, sizeof(SockAddrIn)) < 0)
            {
                Fail(connection, ErrorKinds.FromErrno(Marshal.GetLastPInvokeError()), $"bind to {connection.Source}");
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The second step: the <c>connect</c> call alone, at <paramref name="now"/> (ticks; the connection's start). False
    /// when it failed (counted, closed). The connection's <see cref="Connection.Interest"/> says whether it is already
    /// established.
    /// </summary>
    public bool IssueConnect(Connection connection, long now)
    {
        connection.StartTicks = now;
        var target = _target;
        var result = ClientLibc.Connect(connection.Fd, &target, sizeof(SockAddrIn));
        var errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (errno is not (0 or EINPROGRESS))
        {
            Fail(connection, ErrorKinds.FromErrno(errno), null);
            return false;
        }

        connection.Interest = errno == 0 ? EPOLLIN : EPOLLOUT;
        return true;
    }

    /// <summary>The last step: the connection joins the epoll set; one already established is opened now.</summary>
    public void Watch(Connection connection)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = connection.Interest;
        *(ulong*)(ev + s_dataOffset) = (ulong)IndexOf(connection);
        if (Epoll.Ctl(_epoll, EPOLL_CTL_ADD, connection.Fd, ev) < 0)
        {
            Fail(connection, ErrorKinds.FromErrno(Marshal.GetLastPInvokeError()), "epoll_ctl");
            return;
        }

        if (connection.Interest == EPOLLIN)
        {
            Opened(connection);
        }
    }

    /// <summary>Asks for <paramref name="count"/> more messages on <paramref name="connection"/> and writes what it can.</summary>
    public void Request(Connection connection, int count = 1)
    {
        connection.Due += count;
        Send(connection);
    }

    /// <summary>Writes the messages asked for, as far as the socket and the format's in-flight bound allow.</summary>
    public void Send(Connection connection)
    {
        var blocked = false;
        while (connection.State == ConnectionState.Open && connection.Sent < connection.Due && connection.Sent - connection.Received < Format.MaxInFlight)
        {
            var bytes = Format.Outgoing(connection, connection.Sent).Slice(connection.SendOffset);
            nint written;
            fixed (byte* p = bytes)
            {
                written = Libc.Send(connection.Fd, p, bytes.Length, MSG_NOSIGNAL);
            }

            if (written == bytes.Length)
            {
                connection.Sent++;
                connection.SendOffset = 0;
                continue;
            }

            if (written >= 0)
            {
                connection.SendOffset += (int)written;
                blocked = true;
                break;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EAGAIN)
            {
                blocked = true;
                break;
            }

            Fail(connection, ErrorKinds.FromErrno(errno), null);
            return;
        }

        if (connection.State == ConnectionState.Open)
        {
            SetInterest(connection, blocked ? EPOLLIN | EPOLLOUT : EPOLLIN);
        }
    }

    /// <summary>A message came back, verified: counted, then handed to the driver.</summary>
    public void Completed(Connection connection, long sequence)
    {
        connection.Completed++;
        Volatile.Write(ref CompletedTotal, CompletedTotal + 1);
        Driver.Completed(this, connection, sequence);
    }

    /// <summary>Closes a connection that is done.</summary>
    public void Close(Connection connection)
    {
        if (connection.Fd >= 0)
        {
            Libc.Close(connection.Fd);
            connection.Fd = -1;
        }

        if (connection.State is ConnectionState.Connecting or ConnectionState.Open)
        {
            Active--;
        }

        connection.State = ConnectionState.Closed;
    }

    /// <summary>Closes a connection that is done with a reset (RST) instead of a FIN: <c>SO_LINGER</c> 0, then close.</summary>
    public void Abort(Connection connection)
    {
        if (connection.Fd >= 0)
        {
            var linger = stackalloc int[2] { 1, 0 };
            Libc.SetSockOpt(connection.Fd, SOL_SOCKET, SO_LINGER, linger, 2 * sizeof(int));
        }

        Close(connection);
    }

    /// <summary>Counts a failure of <paramref name="kind"/> and closes the connection.</summary>
    public void Fail(Connection connection, ErrorKind kind, string? description)
    {
        Errors[(int)kind]++;
        Volatile.Write(ref FailedTotal, FailedTotal + 1);
        if (_firstErrors.Count < 5)
        {
            _firstErrors.Add($"{ErrorKinds.Name(kind)}: connection {connection.Number}{(description is null ? "" : $" ({description})")}");
        }

        Close(connection);
        Driver.Failed(this, connection);
    }

    public void Dispose()
    {
        foreach (var connection in Connections)
        {
            if (connection.Fd >= 0)
            {
                Libc.Close(connection.Fd);
                connection.Fd = -1;
            }
        }

        Libc.Close(_epoll);
        NativeMemory.Free(_events);
    }

    private void Dispatch(Connection connection, uint events)
    {
        if (connection.State == ConnectionState.Connecting)
        {
            int error = 0, length = sizeof(int);
            ClientLibc.GetSockOpt(connection.Fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0)
            {
                Fail(connection, ErrorKinds.FromErrno(error), null);
                return;
            }

            if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0)
            {
                SetInterest(connection, EPOLLIN);
                Opened(connection);
            }

            return;
        }

        if (connection.State != ConnectionState.Open)
        {
            return;
        }

        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0)
        {
            Receive(connection);
        }

        if (connection.State == ConnectionState.Open && (events & EPOLLOUT) != 0)
        {
            Send(connection);
        }
    }

    private void Opened(Connection connection)
    {
        connection.State = ConnectionState.Open;
        Volatile.Write(ref OpenedTotal, OpenedTotal + 1);
        Driver.Opened(this, connection);
    }

    private void Receive(Connection connection)
    {
        while (connection.State == ConnectionState.Open)
        {
            var buffer = Format.ReceiveBuffer(connection, this);
            if (buffer.IsEmpty)
            {
                Fail(connection, ErrorKind.Unexpected, "more bytes than any answer holds");
                return;
            }

            nint count;
            fixed (byte* p = buffer)
            {
                count = Libc.Recv(connection.Fd, p, buffer.Length, 0);
            }

            if (count > 0)
            {
                BytesReceived += count;
                Format.Received(connection, this, (int)count);

                // A short read has drained the socket (level-triggered epoll reports whatever is left).
                if (count < buffer.Length)
                {
                    return;
                }

                continue;
            }

            if (count == 0)
            {
                Fail(connection, ErrorKind.Eof, connection.IsQuiet ? "closed by the server" : "closed by the server with messages in flight");
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno != EAGAIN)
            {
                Fail(connection, ErrorKinds.FromErrno(errno), null);
            }

            return;
        }
    }

    private void SetInterest(Connection connection, uint interest)
    {
        if (connection.Interest == interest)
        {
            return;
        }

        connection.Interest = interest;
        var ev = stackalloc byte[16];
        *(uint*)ev = interest;
        *(ulong*)(ev + s_dataOffset) = (ulong)IndexOf(connection);
        Epoll.Ctl(_epoll, EPOLL_CTL_MOD, connection.Fd, ev);
    }

    /// <summary>A worker's connections are numbered consecutively from the first one's number.</summary>
    private int IndexOf(Connection connection) => connection.Number - Connections[0].Number;

    private static SockAddrIn ToSockAddr(IPv4Endpoint endpoint) => new()
    {
        Family = AF_INET,
        Port = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(endpoint.Port),
        Address = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(endpoint.Address),
    };
}
