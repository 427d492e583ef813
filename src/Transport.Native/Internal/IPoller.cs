namespace EchoHost.Transport.Native.Internal;

/// <summary>What a registered descriptor wants to hear about.</summary>
[Flags]
internal enum Interest
{
    Read = 1,
    Write = 2,
}

/// <summary>What happened to a registered descriptor.</summary>
[Flags]
internal enum Readiness
{
    None = 0,
    Readable = 1,
    Writable = 2,
    /// <summary>The peer hung up or the socket has an error: both directions should try their call and read the result.</summary>
    Closed = 4,
    /// <summary>The peer has sent FIN: the input ends after what is buffered.</summary>
    ReadClosed = 8,
}

/// <summary>
/// One event of a wait: the token given at registration and what happened. A ring engine's completions carry the
/// handler's operation (never 0), its result (a count or -errno) and the kernel's flags instead of a readiness.
/// </summary>
internal readonly record struct PollEvent(ulong Token, Readiness Readiness, byte Operation = 0, int Result = 0, uint Flags = 0);

/// <summary>
/// A readiness engine (epoll, kqueue) as the event loop sees it. Registrations are edge-triggered: an event is reported
/// when readiness arrives, not for as long as it lasts. Only the loop's thread waits; any thread may add, remove or wake.
/// </summary>
internal interface IPoller : IDisposable
{
    /// <summary>Registers <paramref name="fd"/>; returns 0 or errno.</summary>
    int Add(int fd, ulong token, Interest interest);

    /// <summary>Removes <paramref name="fd"/>; returns 0 or errno.</summary>
    int Remove(int fd);

    /// <summary>
    /// Waits for events (-1: no timeout) and writes them to <paramref name="events"/>; returns how many, or -errno.
    /// <paramref name="woken"/> says whether <see cref="Wake"/> was called since the last wait that reported it.
    /// </summary>
    int Wait(Span<PollEvent> events, int timeoutMilliseconds, out bool woken);

    /// <summary>Makes a current or the next <see cref="Wait"/> return.</summary>
    void Wake();
}
