using EchoHost.Transport.Native.Internal;

namespace EchoHost.Transport.Native;

/// <summary>What the native transport can do on the running operating system.</summary>
public static class NativeTransport
{
    /// <summary>True where this operating system has an engine of the native transport.</summary>
    public static bool IsSupported => EngineName is not null;

    /// <summary>The engine that runs here (<c>epoll</c> on Linux, <c>kqueue</c> on macOS and FreeBSD), or null where none does.</summary>
    public static string? EngineName { get; } = PollerFactory.NameOf(NativeEngine.Auto);
}
