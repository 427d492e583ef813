using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Serves the framed protocol of docs/protocol.md on one endpoint: one <see cref="FramedServerConnection"/> per connection.
/// </summary>
internal sealed class FramedConnectionHandler : ConnectionHandler
{
    private readonly ConnectionTracker _tracker;
    private readonly FramedConnectionServices _services;
    private readonly Func<ConnectionContext, FramedCounters, LiveConnection, Task> _serve;

    public FramedConnectionHandler(ConnectionTracker tracker, FramedConnectionServices services)
    {
        _tracker = tracker;
        _services = services;
        _serve = ServeAsync;
    }

    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return _tracker.TrackAsync(connection, new FramedCounters(_services.MessageTypes.Names.Length), _serve);
    }

    private async Task ServeAsync(ConnectionContext connection, FramedCounters counters, LiveConnection live)
    {
        using var framed = new FramedServerConnection(connection, counters, live, _services);

        // On host shutdown Kestrel asks each connection to close and waits for its handler to return: the connection
        // then sends GoAway and answers what it has read. One registration per connection keeps reads allocation-free.
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var registration = closeRequested.UnsafeRegister(static state => ((FramedServerConnection)state!).RequestClose(), framed);

        await framed.RunAsync();
    }
}

/// <summary>What every framed connection of the process shares: handlers, limits, counters' meaning, logging.</summary>
internal sealed class FramedConnectionServices(
    FramedHandlerRegistry registry,
    HandlerLimiter limiter,
    FramedOptions options,
    ServiceMetrics metrics,
    MessageTypeSlots messageTypes,
    TimeProvider time,
    ILogger<FramedConnectionHandler> logger,
    AccessLog? accessLog = null)
{
    public FramedHandlerRegistry Registry => registry;

    public HandlerLimiter Limiter => limiter;

    public FramedOptions Options => options;

    public ServiceMetrics Metrics => metrics;

    public MessageTypeSlots MessageTypes => messageTypes;

    /// <summary>The clock of the handler timeout and the linger after the last answer.</summary>
    public TimeProvider Time => time;

    public AccessLog? AccessLog => accessLog;

    public ILogger Logger => logger;
}
