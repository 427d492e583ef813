using EchoHost.Transport.Native.Internal;

namespace EchoHost.Transport.Native;

/// <summary>Options of the native transport, bound from configuration (<c>EchoHost:Native</c> in the service).</summary>
public sealed class NativeTransportOptions
{
    /// <summary>Event loops (threads), each owning its connections. Defaults to the number of processors.</summary>
    public int ThreadCount { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Bytes the transport buffers from a connection before it stops reading from it; reading resumes when the
    /// application has consumed half. Null or 0 means unlimited. Same meaning and default as Kestrel's Sockets transport.
    /// </summary>
    public long? MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes the transport buffers from all its connections together (read from sockets, not yet consumed by the
    /// applications) before connections whose application is behind stop reading; they resume when the total is under
    /// half. A connection whose application has examined all it was given keeps reading, up to
    /// <see cref="MaxReadBufferSize"/>. Null or 0 means unlimited. Epoll, io_uring and kqueue engines; IOCP does not cap the total.
    /// </summary>
    public long? MaxTotalReadBufferSize { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Bytes the application may have flushed and not yet sent before its flushes wait; they resume when half has
    /// been sent. Null or 0 means unlimited. Same meaning and default as Kestrel's Sockets transport.
    /// </summary>
    public long? MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Length of the kernel's queue of connections not yet accepted (<c>listen(2)</c>'s backlog), capped by the kernel
    /// at <c>net.core.somaxconn</c>. Large by default so that a burst of ten thousand clients meets no refusal.
    /// </summary>
    public int Backlog { get; set; } = 65535;

    /// <summary>Sets <c>TCP_NODELAY</c> on accepted TCP connections. On by default.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// Runs application code inline on the event loop thread instead of the thread pool. Faster for handlers that
    /// never block; a handler that blocks stalls every connection of its loop. Off by default.
    /// </summary>
    public bool UnsafePreferInlineScheduling { get; set; }

    /// <summary>
    /// For TCP endpoints, opens one listening socket per event loop with <c>SO_REUSEPORT</c> so that the kernel spreads
    /// connections over the loops, instead of one socket whose connections are handed round-robin to the loops.
    /// Unix domain sockets and inherited handles always use one socket.
    /// </summary>
    public bool ReusePort { get; set; }

    /// <summary>
    /// The engine: <see cref="NativeTransportEngine.Auto"/> (the default: the operating system's engine, io_uring on
    /// Linux with epoll where io_uring cannot run), or one by name. An engine this system cannot run stops the first
    /// bind with <see cref="PlatformNotSupportedException"/> (check <see cref="NativeTransport.TryGetEngineName"/> first).
    /// </summary>
    public NativeTransportEngine Engine { get; set; }

    /// <summary>
    /// An implementation to run whatever <see cref="Engine"/> says, unchecked: the tests' kqueue engines over Linux's
    /// kqueue emulation. Internal, so configuration cannot bind it.
    /// </summary>
    internal NativeEngine? EngineOverride { get; set; }
}
