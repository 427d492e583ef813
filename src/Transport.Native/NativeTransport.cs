using EchoHost.Transport.Native.Internal;

namespace EchoHost.Transport.Native;

/// <summary>What the native transport can do on the running operating system.</summary>
public static class NativeTransport
{
    /// <summary>True where this operating system has an engine of the native transport.</summary>
    public static bool IsSupported => EngineName is not null;

    /// <summary>
    /// The engine that <see cref="NativeTransportEngine.Auto"/> runs here (<c>io_uring</c> on Linux, or <c>epoll</c>
    /// where io_uring cannot run; <c>kqueue</c> on macOS and FreeBSD; <c>iocp</c> on Windows), or null where none does.
    /// </summary>
    public static string? EngineName { get; } = NativeEngines.Select(NativeTransportEngine.Auto, out _)?.Definition.Name;

    /// <summary>
    /// The name of the engine that runs when <paramref name="engine"/> is asked for (<c>epoll</c>, <c>io_uring</c>,
    /// <c>kqueue</c>, <c>iocp</c>); false with a one-line <paramref name="error"/> when this system cannot run it
    /// (another operating system's engine, or io_uring on a kernel that lacks it, turns it off or refuses its memory).
    /// </summary>
    public static bool TryGetEngineName(NativeTransportEngine engine, out string name, out string? error)
    {
        EngineSelection? selection = NativeEngines.Select(engine, out error);
        name = selection?.Definition.Name ?? "";
        return selection is not null;
    }
}
