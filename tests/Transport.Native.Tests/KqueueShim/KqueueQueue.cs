using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Internal.Kqueue;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// A kqueue of the emulation, driven through the transport's own declarations of <c>kqueue</c> and <c>kevent</c>
/// (<typeparamref name="TEvent"/> picks macOS's or FreeBSD's), so that the tests see what the engine sees.
/// </summary>
internal sealed unsafe class KqueueQueue<TEvent> : IDisposable
    where TEvent : unmanaged, IKevent<TEvent>
{
    public KqueueQueue()
    {
        KqueueShim.Install();
        Descriptor = TEvent.Kqueue();
        Assert.True(Descriptor >= 0, $"kqueue() failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    public int Descriptor { get; }

    /// <summary>Calls kevent with <paramref name="changes"/> and room for <paramref name="room"/> events; returns the result, the events and errno.</summary>
    public (int Result, TEvent[] Events, int Errno) Kevent(TEvent[] changes, int room, int? timeoutMilliseconds)
    {
        var events = new TEvent[room];
        var timeout = new TimeSpec { Seconds = (timeoutMilliseconds ?? 0) / 1000, Nanoseconds = (timeoutMilliseconds ?? 0) % 1000 * 1_000_000L };
        fixed (TEvent* changeList = changes)
        fixed (TEvent* eventList = events)
        {
            int result = TEvent.Kevent(Descriptor, changeList, changes.Length, eventList, room, timeoutMilliseconds is null ? null : &timeout);
            int errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (result, events[..Math.Max(result, 0)], errno);
        }
    }

    /// <summary>Applies one change with EV_RECEIPT; returns the receipt's errno (0 for success).</summary>
    public int Change(nuint ident, short filter, ushort flags, uint fflags = 0, ulong udata = 0)
    {
        var (result, receipts, errno) = Kevent([TEvent.Create(ident, filter, (ushort)(flags | TEvent.EV_RECEIPT), fflags, udata)], 1, null);
        Assert.True(result == 1, $"kevent with one EV_RECEIPT change returned {result} (errno {errno}), not one receipt.");
        Assert.Equal(TEvent.EV_ERROR, receipts[0].Flags);
        Assert.Equal(ident, receipts[0].Ident);
        Assert.Equal(filter, receipts[0].Filter);
        return (int)receipts[0].Data;
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for events (never for ever: a hang becomes a failure).</summary>
    public TEvent[] Wait(int timeoutMilliseconds)
    {
        var (result, events, errno) = Kevent([], 16, timeoutMilliseconds);
        Assert.True(result >= 0, $"kevent failed: errno {errno}.");
        return events;
    }

    public void Dispose() => TEvent.Close(Descriptor);
}

/// <summary>A connected TCP pair on loopback: the client, and the server's end whose descriptor goes into a queue.</summary>
internal sealed class SocketPair : IDisposable
{
    public SocketPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Client.Connect(listener.LocalEndPoint!);
        Server = listener.Accept();
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public nuint ServerFd => (nuint)Server.Handle;

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
