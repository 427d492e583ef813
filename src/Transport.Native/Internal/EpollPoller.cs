using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Linux;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>The Linux engine: one epoll instance and an eventfd to wake it.</summary>
internal sealed unsafe class EpollPoller : IPoller
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epfd;
    private readonly int _eventFd;
    private readonly byte* _events;

    public EpollPoller()
    {
        _epfd = Epoll.Create1(Epoll.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw NativeErrors.Exception("epoll_create1", Marshal.GetLastPInvokeError());
        }

        _eventFd = Epoll.EventFd(0, Epoll.EFD_NONBLOCK | Epoll.EFD_CLOEXEC);
        if (_eventFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.Close(_epfd);
            throw NativeErrors.Exception("eventfd", errno);
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(MaxEvents * s_eventSize));
        int result = Add(_eventFd, WakeToken, Interest.Read);
        if (result != 0)
        {
            Dispose();
            throw NativeErrors.Exception("epoll_ctl", result);
        }
    }

    public int Add(int fd, ulong token, Interest interest)
    {
        uint events = Epoll.EPOLLET | Epoll.EPOLLRDHUP;
        if ((interest & Interest.Read) != 0)
        {
            events |= Epoll.EPOLLIN;
        }

        if ((interest & Interest.Write) != 0)
        {
            events |= Epoll.EPOLLOUT;
        }

        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + s_dataOffset) = token;
        return Epoll.Ctl(_epfd, Epoll.EPOLL_CTL_ADD, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public int Remove(int fd)
    {
        byte* ev = stackalloc byte[16];
        return Epoll.Ctl(_epfd, Epoll.EPOLL_CTL_DEL, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public int Wait(Span<PollEvent> events, int timeoutMilliseconds, out bool woken)
    {
        woken = false;
        int n = Epoll.Wait(_epfd, _events, Math.Min(events.Length, MaxEvents), timeoutMilliseconds);
        if (n < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        int count = 0;
        for (int i = 0; i < n; i++)
        {
            byte* ev = _events + (i * s_eventSize);
            uint flags = *(uint*)ev;
            ulong token = *(ulong*)(ev + s_dataOffset);
            if (token == WakeToken)
            {
                ulong value;
                Libc.Read(_eventFd, (byte*)&value, sizeof(ulong));
                woken = true;
                continue;
            }

            events[count++] = new PollEvent(token, ToReadiness(flags));
        }

        return count;
    }

    public void Wake()
    {
        ulong one = 1;
        Libc.Write(_eventFd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        Libc.Close(_eventFd);
        Libc.Close(_epfd);
        NativeMemory.Free(_events);
    }

    /// <summary>What epoll's event bits (also a poll's, as io_uring reports them) say of a descriptor.</summary>
    internal static Readiness ToReadiness(uint flags)
    {
        Readiness readiness = Readiness.None;
        if ((flags & Epoll.EPOLLIN) != 0)
        {
            readiness |= Readiness.Readable;
        }

        if ((flags & Epoll.EPOLLRDHUP) != 0)
        {
            readiness |= Readiness.ReadClosed;
        }

        if ((flags & Epoll.EPOLLOUT) != 0)
        {
            readiness |= Readiness.Writable;
        }

        if ((flags & (Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0)
        {
            readiness |= Readiness.Closed;
        }

        return readiness;
    }
}
