using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal.Kqueue;

/// <summary>
/// One system's <c>struct kevent</c>, its <c>sys/event.h</c> values and its <c>kqueue</c> calls. macOS and FreeBSD
/// differ in the struct (32 and 64 bytes), in <c>EVFILT_USER</c> and in the library; the engine is generic over this
/// interface, so that each system's code is compiled for its struct with every value a constant and every call direct.
/// </summary>
internal unsafe interface IKevent<TSelf>
    where TSelf : unmanaged, IKevent<TSelf>
{
    static abstract short EVFILT_READ { get; }

    static abstract short EVFILT_WRITE { get; }

    static abstract short EVFILT_USER { get; }

    static abstract ushort EV_ADD { get; }

    static abstract ushort EV_DELETE { get; }

    static abstract ushort EV_CLEAR { get; }

    static abstract ushort EV_RECEIPT { get; }

    static abstract ushort EV_ERROR { get; }

    static abstract ushort EV_EOF { get; }

    static abstract uint NOTE_TRIGGER { get; }

    static abstract int ENOENT { get; }

    nuint Ident { get; }

    short Filter { get; }

    ushort Flags { get; }

    uint FilterFlags { get; }

    long Data { get; }

    ulong UserData { get; }

    static abstract TSelf Create(nuint ident, short filter, ushort flags, uint filterFlags, ulong userData);

    /// <summary><c>kqueue()</c>: a new queue, or -1 and errno.</summary>
    static abstract int Kqueue();

    /// <summary><c>kevent()</c>: applies the changes, then waits for events; returns how many were written, or -1 and errno.</summary>
    static abstract int Kevent(int kq, TSelf* changes, int changeCount, TSelf* events, int eventCount, TimeSpec* timeout);

    /// <summary><c>close()</c> of a queue, from the library that made it.</summary>
    static abstract int Close(int kq);
}
