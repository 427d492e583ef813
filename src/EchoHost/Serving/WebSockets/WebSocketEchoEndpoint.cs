using System.Net.WebSockets;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Logging;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.WebSockets;

/// <summary>
/// The WebSockets of one http endpoint: their connections (the <c>websocket</c> protocol of the connection families),
/// their messages by direction and type, and the connections closed for bad input, summed up in at most one Warning
/// line per <see cref="LogInterval"/> so that a flood of bad clients cannot flood the log.
/// </summary>
internal sealed class WebSocketEchoEndpoint(EndpointDefinition definition, LiveConnections connections, TimeSpan idleTimeout, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    // Received text, received binary, sent text, sent binary: one addition per message, read by the metrics.
    private readonly long[] _messages = new long[4];
    private readonly long[] _failures = new long[WebSocketFailureNames.All.Length];
    private readonly CountsSinceLastLine _logged = new(WebSocketFailureNames.All);
    private readonly Lock _logGate = new();
    private long _lastLogged = long.MinValue;

    public EndpointDefinition Definition => definition;

    public LiveConnections Connections => connections;

    /// <summary>The endpoint's <c>IdleTimeout</c>: a WebSocket that receives no message for this long is closed; zero never.</summary>
    public TimeSpan IdleTimeout => idleTimeout;

    public TimeProvider Time => time;

    public ILogger Logger => logger;

    public void CountReceived(WebSocketMessageType type) => Interlocked.Increment(ref _messages[type == WebSocketMessageType.Text ? 0 : 1]);

    public void CountSent(WebSocketMessageType type) => Interlocked.Increment(ref _messages[type == WebSocketMessageType.Text ? 2 : 3]);

    /// <summary>Messages received so far, of both types.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messages[0]) + Interlocked.Read(ref _messages[1]);

    public long Messages(bool received, WebSocketMessageType type) =>
        Interlocked.Read(ref _messages[(received ? 0 : 2) + (type == WebSocketMessageType.Text ? 0 : 1)]);

    public long Failures(WebSocketFailure failure) => Interlocked.Read(ref _failures[(int)failure]);

    /// <summary>Counts a connection closed for bad input, and writes the summary line when it is due.</summary>
    public void Failed(WebSocketFailure failure, string connectionId)
    {
        Interlocked.Increment(ref _failures[(int)failure]);
        WebSocketLog.ClosedForBadInput(logger, connectionId, definition.Name, WebSocketFailureNames.All[(int)failure]);
        var now = time.GetTimestamp();

        // Bad input is the rare path: a lock per failure is cheap beside the connection it closes.
        lock (_logGate)
        {
            if (_lastLogged != long.MinValue && time.GetElapsedTime(_lastLogged, now) < LogInterval)
            {
                return;
            }

            if (_logged.Describe(_failures, out var total) is not { } reasons)
            {
                return;
            }

            _lastLogged = now;
            WebSocketLog.BadInputSummary(logger, definition.Name, total, reasons);
        }
    }
}
