namespace EchoHost.Transport.Native;

/// <summary>What the native transport can do on the running operating system.</summary>
public static class NativeTransport
{
    /// <summary>True where this operating system has an engine of the native transport.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsWindows();

    /// <summary>The engine that runs here (<c>epoll</c>, <c>iocp</c>), or null where none does.</summary>
    public static string? EngineName => OperatingSystem.IsWindows() ? "iocp" : OperatingSystem.IsLinux() ? "epoll" : null;
}
