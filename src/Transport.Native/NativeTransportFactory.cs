using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using EchoHost.Transport.Native.Internal;
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
    private readonly EngineSelection? _selection;
    private readonly string? _selectionError;
    private readonly Lock _gate = new();
    private INativeEngine? _engine;

    /// <summary>
    /// Creates the factory; its engine (<see cref="NativeTransportOptions.Engine"/>) starts with the first bind. With
    /// <paramref name="meterFactory"/>, the transport publishes its instruments on the meter <c>EchoHost.Transport.Native</c>.
    /// </summary>
    public NativeTransportFactory(IOptions<NativeTransportOptions> options, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _logger = loggerFactory.CreateLogger("EchoHost.Transport.Native");
        _selection = _options.EngineOverride is { } engine
            ? new EngineSelection(NativeEngines.Get(engine), null)
            : NativeEngines.Select(_options.Engine, out _selectionError);

        // An engine that does not cap the total (IOCP, docs/transport.md) gets no budget, and no gauge that would read 0.
        _budget = _selection?.Definition.CapsTotalRead == true ? ReadBudget.For(_options) : null;
        _metrics = new TransportMetrics(meterFactory, _budget);
    }

    /// <inheritdoc />
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_selection is null)
        {
            throw new PlatformNotSupportedException(_selectionError);
        }

        INativeEngine engine;
        lock (_gate)
        {
            if (_engine is null)
            {
                if (_selection.FallbackReason is { } reason)
                {
                    NativeLog.EngineFallback(_logger, reason, _selection.Definition.Name);
                }

                _engine = _selection.Definition.Start(new EngineContext(_options, _metrics, _budget, _logger, _selection.Definition.Name));
            }

            engine = _engine;
        }

        return new ValueTask<IConnectionListener>(engine.Bind(endpoint));
    }

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint;

    /// <summary>Stops the engine's threads once every listener and connection is gone.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _engine?.Dispose();
            _engine = null;
        }

        return ValueTask.CompletedTask;
    }
}
