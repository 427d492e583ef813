namespace EchoHost.Transport.Native.Internal;

/// <summary>Picks the readiness engine of the running operating system.</summary>
internal static class PollerFactory
{
    public static IPoller Create()
    {
        if (OperatingSystem.IsLinux())
        {
            return new EpollPoller();
        }

        throw new PlatformNotSupportedException("The native transport has no engine for this operating system.");
    }
}
