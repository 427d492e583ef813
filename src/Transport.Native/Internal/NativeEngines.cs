using System.Runtime.InteropServices;
using EchoHost.Transport.Native.Internal.IoUring;
using EchoHost.Transport.Native.Internal.Iocp;
using EchoHost.Transport.Native.Internal.Kqueue;

namespace EchoHost.Transport.Native.Internal;

/// <summary>
/// One engine: what configuration calls it, the name it reports, whether it caps the bytes buffered over all
/// connections (<c>MaxTotalReadBufferSize</c>), why it cannot run here (null when it can), and how it starts.
/// </summary>
internal sealed record EngineDefinition(
    NativeEngine Engine, NativeTransportEngine Kind, string Name, bool CapsTotalRead, Func<string?> WhyUnavailable, Func<EngineContext, INativeEngine> Start);

/// <summary>The engine that runs, and why a better one for <see cref="NativeTransportEngine.Auto"/> did not (null when none was skipped).</summary>
internal sealed record EngineSelection(EngineDefinition Definition, string? FallbackReason);

/// <summary>The transport's engines, and the choice among them. Adding an engine is its folder and one line here.</summary>
internal static class NativeEngines
{
    public static IReadOnlyList<EngineDefinition> All { get; } =
    [
        new(NativeEngine.Epoll, NativeTransportEngine.Epoll, "epoll", true, () => OnlyOn(OSPlatform.Linux, "Linux"), c => new EventLoopGroup(c, static () => new EpollPoller(), NativeConnection.Start)),
        new(NativeEngine.IoUring, NativeTransportEngine.IoUring, "io_uring", true, IoUringProbe.WhyUnavailable, c => new EventLoopGroup(c, static () => new IoUringPoller(), IoUringConnection.Start)),
        new(NativeEngine.KqueueMacOS, NativeTransportEngine.Kqueue, "kqueue", true, () => OnlyOn(OSPlatform.OSX, "macOS and FreeBSD"), c => new EventLoopGroup(c, static () => new KqueuePoller<Interop.MacOS.KEvent>(), NativeConnection.Start)),
        new(NativeEngine.KqueueFreeBsd, NativeTransportEngine.Kqueue, "kqueue", true, () => OnlyOn(OSPlatform.FreeBSD, "macOS and FreeBSD"), c => new EventLoopGroup(c, static () => new KqueuePoller<Interop.FreeBsd.KEvent>(), NativeConnection.Start)),
        new(NativeEngine.Iocp, NativeTransportEngine.Iocp, "iocp", false, () => OnlyOn(OSPlatform.Windows, "Windows"), c => new CompletionEngine(c)),
    ];

    /// <summary>
    /// What <see cref="NativeTransportEngine.Auto"/> tries, in order. io_uring comes first on Linux: on this
    /// transport's benchmark (docs/transport.md) it is ahead of epoll at 50 and at 500 connections; where the kernel,
    /// a seccomp filter or a memory limit refuses it, epoll runs and the reason is logged.
    /// </summary>
    private static readonly NativeEngine[] s_autoOrder = [NativeEngine.IoUring, NativeEngine.Epoll, NativeEngine.KqueueMacOS, NativeEngine.KqueueFreeBsd, NativeEngine.Iocp];

    /// <summary>The definition of <paramref name="engine"/>.</summary>
    public static EngineDefinition Get(NativeEngine engine) => All.First(definition => definition.Engine == engine);

    /// <summary>
    /// The engine that runs for <paramref name="requested"/>, or null with <paramref name="error"/> (one line) when
    /// none can: an engine asked for by name that this system cannot run is an error, never a silent fallback.
    /// </summary>
    public static EngineSelection? Select(NativeTransportEngine requested, out string? error)
    {
        error = null;
        if (requested == NativeTransportEngine.Auto)
        {
            string? skipped = null;
            foreach (NativeEngine engine in s_autoOrder)
            {
                EngineDefinition definition = Get(engine);
                string? why = definition.WhyUnavailable();
                if (why is null)
                {
                    return new EngineSelection(definition, skipped);
                }

                // Only an engine of this operating system that could not start is worth a word; the others' absence is normal.
                if (!why.StartsWith(NotThisSystem, StringComparison.Ordinal))
                {
                    skipped ??= $"{definition.Name} cannot run: {why}";
                }
            }

            error = $"The native transport has no engine for {RuntimeInformation.OSDescription}; use the Sockets transport.";
            return null;
        }

        string? reason = null;
        foreach (EngineDefinition definition in All)
        {
            if (definition.Kind == requested)
            {
                reason = definition.WhyUnavailable();
                if (reason is null)
                {
                    return new EngineSelection(definition, null);
                }
            }
        }

        error = reason is null
            ? $"The native transport has no engine '{requested}'; expected Auto, Epoll, IoUring, Kqueue or Iocp."
            : $"The native transport's {requested} engine cannot run here: {reason}.";
        return null;
    }

    private const string NotThisSystem = "it runs on ";

    private static string? OnlyOn(OSPlatform platform, string systems)
        => RuntimeInformation.IsOSPlatform(platform) ? null : $"{NotThisSystem}{systems} only, not {RuntimeInformation.OSDescription}";
}
