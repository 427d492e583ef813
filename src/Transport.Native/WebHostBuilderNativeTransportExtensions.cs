using EchoHost.Transport.Native;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Adds the native transport to a web host.</summary>
public static class WebHostBuilderNativeTransportExtensions
{
    /// <summary>
    /// Makes Kestrel listen through the native transport instead of its Sockets transport, on the engine of the running
    /// operating system: epoll on Linux, kqueue on macOS and FreeBSD, IOCP on Windows (<see cref="NativeTransport.EngineName"/>).
    /// Throws <see cref="PlatformNotSupportedException"/> at start-up on an operating system without an engine;
    /// check <see cref="NativeTransport.IsSupported"/> to fall back.
    /// </summary>
    public static IWebHostBuilder UseNativeTransport(this IWebHostBuilder builder, Action<NativeTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services =>
        {
            services.AddSingleton<IConnectionListenerFactory, NativeTransportFactory>();
            if (configure is not null)
            {
                services.Configure(configure);
            }
        });
    }
}
