namespace EchoHost.Transport.Native.Internal;

/// <summary>The engines the transport has, each an implementation (kqueue has one per <c>struct kevent</c> layout).</summary>
internal enum NativeEngine
{
    /// <summary>Linux's epoll.</summary>
    Epoll,

    /// <summary>Linux's io_uring.</summary>
    IoUring,

    /// <summary>kqueue with macOS's <c>struct kevent</c> (32 bytes) and values, from libSystem.</summary>
    KqueueMacOS,

    /// <summary>kqueue with FreeBSD 12+'s <c>struct kevent</c> (64 bytes) and values, from libc.so.7.</summary>
    KqueueFreeBsd,

    /// <summary>Windows' I/O completion ports.</summary>
    Iocp,
}
