using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Internal.Kqueue;

namespace EchoHost.Transport.Native.Internal;

/// <summary>Picks the readiness engine: the one asked for, or the running operating system's.</summary>
internal static class PollerFactory
{
    /// <summary>
    /// The engine <see cref="NativeEngine.Auto"/> stands for on the platform that <paramref name="isPlatform"/> says
    /// is running; null where there is none.
    /// </summary>
    public static NativeEngine? DefaultFor(Func<OSPlatform, bool> isPlatform) =>
        isPlatform(OSPlatform.Linux) ? NativeEngine.Epoll :
        isPlatform(OSPlatform.OSX) ? NativeEngine.KqueueMacOS :
        isPlatform(OSPlatform.FreeBSD) ? NativeEngine.KqueueFreeBsd :
        null;

    /// <summary>The running operating system's engine; null where there is none.</summary>
    public static NativeEngine? Default { get; } = DefaultFor(RuntimeInformation.IsOSPlatform);

    /// <summary>The engine that <paramref name="engine"/> stands for here; null where there is none.</summary>
    public static NativeEngine? Resolve(NativeEngine engine) => engine == NativeEngine.Auto ? Default : engine;

    /// <summary>The name the transport reports for <paramref name="engine"/>; null where there is none.</summary>
    public static string? NameOf(NativeEngine engine) => Resolve(engine) switch
    {
        NativeEngine.Epoll => "epoll",
        NativeEngine.KqueueMacOS or NativeEngine.KqueueFreeBsd => "kqueue",
        _ => null,
    };

    public static IPoller Create(NativeEngine engine) => Resolve(engine) switch
    {
        NativeEngine.Epoll => new EpollPoller(),
        NativeEngine.KqueueMacOS => new KqueuePoller<Interop.MacOS.KEvent>(),
        NativeEngine.KqueueFreeBsd => new KqueuePoller<Interop.FreeBsd.KEvent>(),
        _ => throw new PlatformNotSupportedException("The native transport has no engine for this operating system."),
    };
}
