using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal.Kqueue;

/// <summary>
/// The macOS and FreeBSD engine: one kqueue, a read and a write filter per descriptor with <c>EV_CLEAR</c> (reported
/// when readiness arrives, as the loop expects of every engine), and an <c>EVFILT_USER</c> event to wake it.
/// <typeparamref name="TEvent"/> is the system's <c>struct kevent</c>, which brings its values and calls.
/// </summary>
internal sealed unsafe class KqueuePoller<TEvent> : IPoller
    where TEvent : unmanaged, IKevent<TEvent>
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    // EVFILT_USER identifiers are their own namespace, apart from descriptors.
    private const nuint WakeIdent = 1;

    private readonly int _kq;
    private readonly TEvent* _events;

    public KqueuePoller()
    {
        // The queue is not inherited by fork(2) children on macOS and FreeBSD, so it needs no close-on-exec.
        _kq = TEvent.Kqueue();
        if (_kq < 0)
        {
            throw NativeErrors.Exception("kqueue", Marshal.GetLastPInvokeError());
        }

        _events = (TEvent*)NativeMemory.AllocZeroed(MaxEvents, (nuint)sizeof(TEvent));
        TEvent wake = TEvent.Create(WakeIdent, TEvent.EVFILT_USER, (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR | TEvent.EV_RECEIPT), 0, WakeToken);
        int errno = Apply(&wake, 1, ignoreMissing: false);
        if (errno != 0)
        {
            Dispose();
            throw NativeErrors.Exception("kevent", errno);
        }
    }

    public int Add(int fd, ulong token, Interest interest)
    {
        TEvent* changes = stackalloc TEvent[2];
        int count = 0;
        ushort flags = (ushort)(TEvent.EV_ADD | TEvent.EV_CLEAR | TEvent.EV_RECEIPT);
        if ((interest & Interest.Read) != 0)
        {
            changes[count++] = TEvent.Create((nuint)fd, TEvent.EVFILT_READ, flags, 0, token);
        }

        if ((interest & Interest.Write) != 0)
        {
            changes[count++] = TEvent.Create((nuint)fd, TEvent.EVFILT_WRITE, flags, 0, token);
        }

        int errno = Apply(changes, count, ignoreMissing: false);
        if (errno != 0)
        {
            // One filter may have been added before the other failed: no half registration stays behind.
            Remove(fd);
        }

        return errno;
    }

    /// <summary>
    /// Deletes both filters; one that was never added (a listening socket has no write filter) is no error. Closing
    /// the descriptor would delete them too, but the loop may reuse the slot before the descriptor is closed.
    /// </summary>
    public int Remove(int fd)
    {
        TEvent* changes = stackalloc TEvent[2];
        ushort flags = (ushort)(TEvent.EV_DELETE | TEvent.EV_RECEIPT);
        changes[0] = TEvent.Create((nuint)fd, TEvent.EVFILT_READ, flags, 0, 0);
        changes[1] = TEvent.Create((nuint)fd, TEvent.EVFILT_WRITE, flags, 0, 0);
        return Apply(changes, 2, ignoreMissing: true);
    }

    public int Wait(Span<PollEvent> events, int timeoutMilliseconds, out bool woken)
    {
        woken = false;
        TimeSpec timeout = new() { Seconds = timeoutMilliseconds / 1000, Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L };
        int n = TEvent.Kevent(_kq, null, 0, _events, Math.Min(events.Length, MaxEvents), timeoutMilliseconds < 0 ? null : &timeout);
        if (n < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        int count = 0;
        for (int i = 0; i < n; i++)
        {
            ref TEvent ev = ref _events[i];
            if (ev.Filter == TEvent.EVFILT_USER)
            {
                // EV_CLEAR resets the trigger as this event is returned.
                woken = true;
                continue;
            }

            events[count++] = new PollEvent(ev.UserData, ToReadiness(ev));
        }

        return count;
    }

    public void Wake()
    {
        // udata is given again: FreeBSD replaces a knote's udata with every change to it.
        TEvent trigger = TEvent.Create(WakeIdent, TEvent.EVFILT_USER, 0, TEvent.NOTE_TRIGGER, WakeToken);
        TEvent.Kevent(_kq, &trigger, 1, null, 0, null);
    }

    public void Dispose()
    {
        TEvent.Close(_kq);
        NativeMemory.Free(_events);
    }

    /// <summary>
    /// One event is one filter. The read filter's <c>EV_EOF</c> is the peer's FIN (<c>ReadClosed</c>); with an error
    /// in <c>fflags</c> (a reset), either filter's <c>EV_EOF</c> means both directions should try their call and read
    /// the result (<c>Closed</c>). The write filter's <c>EV_EOF</c> without an error (this side shut down, or the peer
    /// closed) stays <c>Writable</c>: the next send reports what happened.
    /// </summary>
    private static Readiness ToReadiness(in TEvent ev)
    {
        bool read = ev.Filter == TEvent.EVFILT_READ;
        Readiness readiness = read ? Readiness.Readable : Readiness.Writable;
        if ((ev.Flags & TEvent.EV_EOF) != 0)
        {
            if (read)
            {
                readiness |= Readiness.ReadClosed;
            }

            if (ev.FilterFlags != 0)
            {
                readiness |= Readiness.Closed;
            }
        }

        return readiness;
    }

    /// <summary>
    /// Applies changes made with <c>EV_RECEIPT</c>, which makes the kernel answer each one with an <c>EV_ERROR</c> entry
    /// (data 0 or errno) and wait for no event. Returns 0 or the first errno (ENOENT too, unless
    /// <paramref name="ignoreMissing"/>).
    /// </summary>
    private int Apply(TEvent* changes, int count, bool ignoreMissing)
    {
        TEvent* receipts = stackalloc TEvent[count];
        int n = TEvent.Kevent(_kq, changes, count, receipts, count, null);
        if (n < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        for (int i = 0; i < n; i++)
        {
            int errno = (receipts[i].Flags & TEvent.EV_ERROR) != 0 ? (int)receipts[i].Data : 0;
            if (errno != 0 && !(ignoreMissing && errno == TEvent.ENOENT))
            {
                return errno;
            }
        }

        return 0;
    }
}
