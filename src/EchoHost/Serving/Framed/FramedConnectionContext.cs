using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Metrics;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>
/// What the parts of one framed connection share: the process's framed services, and the connection's own id, output,
/// counters, live-connection entry, requests in flight and the token cancelled when the peer is gone.
/// </summary>
internal sealed class FramedConnectionContext(
    FramedConnectionServices services,
    string connectionId,
    ResponseWriter writer,
    FramedCounters counters,
    LiveConnection live,
    InFlightRequests inFlight,
    CancellationToken connectionLost)
{
    public string ConnectionId => connectionId;

    public ResponseWriter Writer => writer;

    public FramedCounters Counters => counters;

    public LiveConnection Live => live;

    public InFlightRequests InFlight => inFlight;

    /// <summary>Cancelled when the peer is gone, to stop the handlers of its requests.</summary>
    public CancellationToken ConnectionLost => connectionLost;

    public FramedHandlerRegistry Registry => services.Registry;

    public HandlerLimiter HandlerLimiter => services.Limiter;

    public FramedOptions Options => services.Options;

    public ServiceMetrics Metrics => services.Metrics;

    public MessageTypeSlots MessageTypes => services.MessageTypes;

    public TimeProvider Time => services.Time;

    public ILogger Logger => services.Logger;
}
