using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Internal.Kqueue;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Interop.FreeBsd;

/// <summary>FreeBSD's kqueue calls, from libc; -1 and errno on failure, as <see cref="Libc"/>.</summary>
internal static unsafe partial class Kqueue
{
    /// <summary>libc by its soname: <c>kevent</c>'s default version there (FBSD_1.5) takes the 64-byte struct of FreeBSD 12+.</summary>
    public const string Library = "libc.so.7";

    [LibraryImport(Library, EntryPoint = "kqueue", SetLastError = true)]
    public static partial int Create();

    [LibraryImport(Library, EntryPoint = "kevent", SetLastError = true)]
    public static partial int Kevent(int kq, KEvent* changes, int changeCount, KEvent* events, int eventCount, TimeSpec* timeout);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}

/// <summary>FreeBSD 12+'s <c>struct kevent</c> (sys/event.h): 64 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KEvent : IKevent<KEvent>
{
    private nuint _ident;       // uintptr_t ident
    private short _filter;      // int16_t filter
    private ushort _flags;      // uint16_t flags
    private uint _fflags;       // uint32_t fflags
    private long _data;         // int64_t data
    private nuint _udata;       // void *udata
    private fixed ulong _ext[4]; // uint64_t ext[4]: filter-specific, then the caller's own; zero here

    public static short EVFILT_READ => KqueueConstants.EVFILT_READ;

    public static short EVFILT_WRITE => KqueueConstants.EVFILT_WRITE;

    public static short EVFILT_USER => KqueueConstants.EVFILT_USER;

    public static ushort EV_ADD => KqueueConstants.EV_ADD;

    public static ushort EV_DELETE => KqueueConstants.EV_DELETE;

    public static ushort EV_CLEAR => KqueueConstants.EV_CLEAR;

    public static ushort EV_RECEIPT => KqueueConstants.EV_RECEIPT;

    public static ushort EV_ERROR => KqueueConstants.EV_ERROR;

    public static ushort EV_EOF => KqueueConstants.EV_EOF;

    public static uint NOTE_TRIGGER => KqueueConstants.NOTE_TRIGGER;

    public static int ENOENT => Errno.ENOENT;

    public readonly nuint Ident => _ident;

    public readonly short Filter => _filter;

    public readonly ushort Flags => _flags;

    public readonly uint FilterFlags => _fflags;

    public readonly long Data => _data;

    public readonly ulong UserData => _udata;

    public static KEvent Create(nuint ident, short filter, ushort flags, uint filterFlags, ulong userData)
        => new() { _ident = ident, _filter = filter, _flags = flags, _fflags = filterFlags, _udata = (nuint)userData };

    public static int Kqueue() => FreeBsd.Kqueue.Create();

    public static int Kevent(int kq, KEvent* changes, int changeCount, KEvent* events, int eventCount, TimeSpec* timeout)
        => FreeBsd.Kqueue.Kevent(kq, changes, changeCount, events, eventCount, timeout);

    public static int Close(int kq) => FreeBsd.Kqueue.Close(kq);
}
