namespace EchoHost.Transport.Native;

/// <summary>The engines of the native transport, as configuration names them (<c>EchoHost:Native:Engine</c>).</summary>
public enum NativeTransportEngine
{
    /// <summary>
    /// The running operating system's engine: io_uring on Linux, or epoll where io_uring cannot run (with a logged
    /// reason); kqueue on macOS and FreeBSD; IOCP on Windows.
    /// </summary>
    Auto,

    /// <summary>Linux's epoll: readiness, then the transport's own system calls.</summary>
    Epoll,

    /// <summary>Linux's io_uring (kernel 6.1 or later): one ring per event loop, completions instead of readiness.</summary>
    IoUring,

    /// <summary>kqueue, on macOS and FreeBSD.</summary>
    Kqueue,

    /// <summary>Windows' I/O completion ports.</summary>
    Iocp,
}
