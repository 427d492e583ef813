namespace EchoHost.Transport.Native.Internal;

/// <summary>The engines of the native transport; <see cref="Auto"/> is the running operating system's.</summary>
internal enum NativeEngine
{
    Auto,

    /// <summary>Linux's epoll.</summary>
    Epoll,

    /// <summary>kqueue with macOS's <c>struct kevent</c> (32 bytes) and values, from libSystem.</summary>
    KqueueMacOS,

    /// <summary>kqueue with FreeBSD 12+'s <c>struct kevent</c> (64 bytes) and values, from libc.so.7.</summary>
    KqueueFreeBsd,
}
