namespace EchoHost.Transport.Native;

/// <summary>What the native transport can do on the running operating system.</summary>
public static class NativeTransport
{
    /// <summary>True where this operating system has an engine of the native transport.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The engine that runs here (<c>epoll</c>), or null where none does.</summary>
    public static string? EngineName => IsSupported ? "epoll" : null;
}
