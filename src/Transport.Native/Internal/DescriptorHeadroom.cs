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
        int probe = Libc.Dup(anyFd);
        if (probe < 0)
        {
            return false;
        }

        Libc.Close(probe);
        return !IsWithin(probe);
    }
}
