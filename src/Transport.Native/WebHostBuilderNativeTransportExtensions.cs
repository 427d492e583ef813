using EchoHost.Transport.Native;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Adds the native transport to a web host.</summary>
public static class WebHostBuilderNativeTransportExtensions
{
    /// <summary>
    /// Makes Kestrel listen through the native transport instead of its Sockets transport, on the engine of
    /// <see cref="NativeTransportOptions.Engine"/>: by default the operating system's (io_uring on Linux 6.1 or later,
    /// epoll where io_uring cannot run; kqueue on macOS and FreeBSD; IOCP on Windows), or one by name.
    /// Throws <see cref="PlatformNotSupportedException"/> at start-up where that engine cannot run, with the reason;
    /// check <see cref="NativeTransport.IsSupported"/> or <see cref="NativeTransport.TryGetEngineName"/> to fall back.
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
