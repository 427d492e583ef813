using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
using EchoHost.Transport.Native.Internal.Iocp;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EchoHost.Transport.Native;

/// <summary>Creates listeners of the native transport; registered by <c>UseNativeTransport</c>.</summary>
public sealed class NativeTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly NativeTransportOptions _options;
    private readonly ILogger _logger;
    private readonly TransportMetrics _metrics;
    private readonly ReadBudget? _budget;
    private readonly Lock _gate = new();
    private EventLoopGroup? _loops;
    private CompletionEngine? _completions;

    /// <summary>
    /// Creates the factory; its event loops start with the first bind. With <paramref name="meterFactory"/>, the
    /// transport publishes its instruments on the meter <c>EchoHost.Transport.Native</c>.
    /// </summary>
    public NativeTransportFactory(IOptions<NativeTransportOptions> options, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _logger = loggerFactory.CreateLogger("EchoHost.Transport.Native");
        // The IOCP engine does not cap the total (docs/transport.md): no budget, and no gauge that would read 0.
        _budget = OperatingSystem.IsWindows() ? null : ReadBudget.For(_options);
        _metrics = new TransportMetrics(meterFactory, _budget);
    }

    /// <inheritdoc />
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!NativeTransport.IsSupported)
        {
            throw new PlatformNotSupportedException($"The native transport has no engine for {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; use the Sockets transport.");
        }

        if (OperatingSystem.IsWindows())
        {
            CompletionEngine completions;
            lock (_gate)
            {
                completions = _completions ??= new CompletionEngine(_options, _metrics, _logger);
            }

            return new ValueTask<IConnectionListener>(IocpListener.Bind(endpoint, completions, _options, _logger));
        }

        EventLoopGroup loops;
        lock (_gate)
        {
            loops = _loops ??= new EventLoopGroup(_options, _metrics, _budget, _logger);
        }

        return new ValueTask<IConnectionListener>(NativeConnectionListener.Bind(endpoint, loops, _options, _logger));
    }

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint;

    /// <summary>Stops the event loops (or completion threads) once every listener and connection is gone.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _loops?.Dispose();
            _loops = null;
            _completions?.Dispose();
            _completions = null;
        }

        return ValueTask.CompletedTask;
    }
}
