using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Interop.Unix;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// Keeps accepting from taking the process's last descriptors. The runtime needs some to go on (starting a thread
/// pool thread fails without one, and the process dies of it), so the acceptor stops this far below the limit and
/// leaves the rest of the clients in the kernel's queue until connections close.
/// </summary>
internal static unsafe class DescriptorHeadroom
{
    /// <summary>Descriptors left to the rest of the process when accepting stops.</summary>
    public const int Size = 32;

    /// <summary>True when <paramref name="fd"/>, just handed out by the kernel, lies within the headroom.</summary>
    public static bool IsWithin(int fd) => IsWithin(fd, CurrentLimit());

    /// <summary>True when <paramref name="fd"/> lies within the headroom under <paramref name="limit"/>.</summary>
    public static bool IsWithin(int fd, ulong limit) => (ulong)fd + Size >= limit;

    /// <summary>
    /// The process's soft limit on descriptors, or no limit when it cannot be read. It can change while the process runs
    /// (prlimit, setrlimit), so callers read it once per batch of accepts rather than once for all.
    /// </summary>
    public static ulong CurrentLimit()
    {
        RLimit limit;
        return Libc.GetRLimit(Sys.RLIMIT_NOFILE, &limit) == 0 ? limit.Current : ulong.MaxValue;
    }

    /// <summary>
    /// True when the next descriptor the kernel would hand out lies below the headroom: probes with a duplicate of
    /// <paramref name="anyFd"/>, which takes the lowest free number, as an accept would.
    /// </summary>
    public static bool IsAvailable(int anyFd)
    {
        int next = Next(anyFd);
        return next >= 0 && !IsWithin(next);
    }

    /// <summary>
    /// The number the next descriptor would get (the lowest free one: a duplicate of <paramref name="anyFd"/>, closed at
    /// once), or -1 when there is none.
    /// </summary>
    public static int Next(int anyFd)
    {
        int probe = Libc.Dup(anyFd);
        if (probe >= 0)
        {
            Libc.Close(probe);
        }

        return probe;
    }

    /// <summary>
    /// True when <paramref name="accepts"/> accepts that take every connection in the kernel's queue at once (io_uring's
    /// multishot accept, which empties the queue, up to <c>net.core.somaxconn</c>, before its loop sees the first) would
    /// still leave the headroom, <paramref name="next"/> being the lowest free descriptor.
    /// </summary>
    public static bool AllowsBurst(int next, ulong limit, int accepts)
        => (ulong)next + Size + ((ulong)accepts * (ulong)s_kernelQueue.Value) < limit;

    /// <summary>The longest queue of a listening socket, 4,096 (Linux's default) where the setting cannot be read.</summary>
    private static readonly Lazy<int> s_kernelQueue = new(static () =>
        int.TryParse(KernelSetting.Read("net/core/somaxconn"), out int length) && length > 0 ? length : 4096);
}
