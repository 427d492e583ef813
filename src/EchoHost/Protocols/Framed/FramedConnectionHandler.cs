using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace EchoHost.Protocols.Framed;

/// <summary>Serves the framed protocol of PROTOCOL.md on a Kestrel endpoint: one <see cref="FramedConnection"/> per connection.</summary>
internal sealed class FramedConnectionHandler(
    FramedHandlerRegistry registry,
    HandlerLimiter limiter,
    FramedOptions options,
    FramedStats stats,
    ILogger<FramedConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var framed = new FramedConnection(connection, registry, limiter, options, stats, logger);

        // On host shutdown Kestrel asks each connection to close and waits for its handler to return: the connection
        // then sends GoAway and answers what it has read. One registration per connection keeps reads allocation-free.
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var registration = closeRequested.UnsafeRegister(static state => ((FramedConnection)state!).RequestClose(), framed);

        await framed.RunAsync();
    }
}
