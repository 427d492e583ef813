using EchoHost.Transport.Native;
using EchoHost.Transport.Native.Internal;
using Microsoft.AspNetCore.Hosting;

namespace EchoHost.Transport.Native.Tests;

/// <summary>
/// Picks the Kestrel transport that a test server runs on. The conformance suite is written once against this
/// abstraction and run once per selector, the way Kestrel's own functional tests are compiled per transport.
/// </summary>
public abstract class TransportSelector
{
    /// <summary>Kestrel's Sockets transport: the reference every other transport must behave like.</summary>
    public static TransportSelector Sockets { get; } = new SocketsSelector();

    /// <summary>The native transport, optionally with options set by <paramref name="configure"/>.</summary>
    public static TransportSelector Native(string name, Action<NativeTransportOptions>? configure = null) => new NativeSelector(name, configure);

    /// <summary>The native transport on its defaults: the engine <c>Auto</c> picks, io_uring on Linux.</summary>
    public static TransportSelector NativeDefaults { get; } = Native("Native");

    /// <summary>The native transport's epoll engine, asked for by name as configuration does.</summary>
    public static TransportSelector NativeEpoll { get; } = Native("Native epoll", o => o.Engine = NativeTransportEngine.Epoll);

    /// <summary>The epoll engine with one event loop for every connection.</summary>
    public static TransportSelector NativeEpollSingleLoop { get; } = Native("Native epoll (ThreadCount = 1)", o =>
    {
        o.Engine = NativeTransportEngine.Epoll;
        o.ThreadCount = 1;
    });

    /// <summary>The epoll engine with a listening socket per loop and application code run inline on the loops.</summary>
    public static TransportSelector NativeEpollReusePortInline { get; } = Native("Native epoll (ReusePort, inline)", o =>
    {
        o.Engine = NativeTransportEngine.Epoll;
        o.ReusePort = true;
        o.UnsafePreferInlineScheduling = true;
    });

    /// <summary>The native transport with a listening socket per loop and application code run inline on the loops.</summary>
    public static TransportSelector NativeReusePortInline { get; } = Native("Native (ReusePort, inline)", o =>
    {
        o.ReusePort = true;
        o.UnsafePreferInlineScheduling = true;
    });

    /// <summary>
    /// The native transport's kqueue engine with macOS's <c>struct kevent</c>, on Linux over the epoll-backed kqueue
    /// emulation (<see cref="KqueueShim"/>), with Linux's socket calls.
    /// </summary>
    public static TransportSelector NativeKqueueMacOS { get; } = Native("Native kqueue (macOS struct, emulated)", o =>
    {
        KqueueShim.Install();
        o.EngineOverride = NativeEngine.KqueueMacOS;
    });

    /// <summary>As <see cref="NativeKqueueMacOS"/> with FreeBSD's 64-byte <c>struct kevent</c>.</summary>
    public static TransportSelector NativeKqueueFreeBsd { get; } = Native("Native kqueue (FreeBSD struct, emulated)", o =>
    {
        KqueueShim.Install();
        o.EngineOverride = NativeEngine.KqueueFreeBsd;
    });

    /// <summary>The io_uring engine with one loop for every connection and application code run inline on it.</summary>
    public static TransportSelector NativeIoUringSingleLoopInline { get; } = Native("Native io_uring (ThreadCount = 1, inline)", o =>
    {
        o.Engine = NativeTransportEngine.IoUring;
        o.ThreadCount = 1;
        o.UnsafePreferInlineScheduling = true;
    });

    /// <summary>A short name for messages.</summary>
    public abstract string Name { get; }

    /// <summary>True when connections must come from the native transport (and so carry <see cref="INativeHandleFeature"/>).</summary>
    public abstract bool IsNative { get; }

    /// <summary>True when the transport runs application code inline on its I/O threads instead of the thread pool.</summary>
    public virtual bool InlineScheduling => false;

    /// <summary>Makes the web host's Kestrel use this transport.</summary>
    public abstract void Configure(IWebHostBuilder webHost);

    /// <summary>The same transport with another <c>MaxReadBufferSize</c> (both transports' option of that name and meaning).</summary>
    public abstract TransportSelector WithMaxReadBufferSize(long? size);

    /// <inheritdoc />
    public override string ToString() => Name;

    private sealed class SocketsSelector : TransportSelector
    {
        public override string Name => "Sockets";

        public override bool IsNative => false;

        public override void Configure(IWebHostBuilder webHost) => webHost.UseSockets();

        public override TransportSelector WithMaxReadBufferSize(long? size) => new SocketsWithReadBuffer(size);
    }

    private sealed class SocketsWithReadBuffer(long? size) : TransportSelector
    {
        public override string Name => $"Sockets (MaxReadBufferSize = {size})";

        public override bool IsNative => false;

        public override void Configure(IWebHostBuilder webHost) => webHost.UseSockets(o => o.MaxReadBufferSize = size);

        public override TransportSelector WithMaxReadBufferSize(long? other) => new SocketsWithReadBuffer(other);
    }

    private sealed class NativeSelector(string name, Action<NativeTransportOptions>? configure) : TransportSelector
    {
        public override string Name => name;

        public override bool IsNative => true;

        public override bool InlineScheduling
        {
            get
            {
                var options = new NativeTransportOptions();
                configure?.Invoke(options);
                return options.UnsafePreferInlineScheduling;
            }
        }

        public override void Configure(IWebHostBuilder webHost) => webHost.UseNativeTransport(configure);

        public override TransportSelector WithMaxReadBufferSize(long? size) => new NativeSelector($"{name} (MaxReadBufferSize = {size})", o =>
        {
            configure?.Invoke(o);
            o.MaxReadBufferSize = size;
        });
    }
}
