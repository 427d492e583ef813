using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.WebSockets;

/// <summary>The WebSocket echo's log lines, in the connection log's category (<c>EchoHost.Connections</c>).</summary>
internal static partial class WebSocketLog
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} opened on {Endpoint} from {RemoteAddress} (subprotocol {SubProtocol}, compression {Compression})")]
    public static partial void Opened(ILogger logger, string connectionId, string endpoint, EndPoint? remoteAddress, string subProtocol, bool compression);

    [LoggerMessage(EventId = 61, Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} on {Endpoint} closed ({CloseStatus}): {BytesReceived} bytes received, {BytesSent} bytes sent")]
    public static partial void Closed(ILogger logger, string connectionId, string endpoint, WebSocketCloseStatus? closeStatus, long bytesReceived, long bytesSent);

    [LoggerMessage(EventId = 62, Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} on {Endpoint} closed for bad input: {Reason}")]
    public static partial void ClosedForBadInput(ILogger logger, string connectionId, string endpoint, string reason);

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "Endpoint {Endpoint} closed {Count} WebSocket connection(s) for bad input: {Reasons} (one line per 10 s at most)")]
    public static partial void BadInputSummary(ILogger logger, string endpoint, long count, string reasons);

    [LoggerMessage(EventId = 64, Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} ended: {Reason}")]
    public static partial void Ended(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 65, Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} on {Endpoint} idle for {IdleTimeout}: closing")]
    public static partial void IdleTimedOut(ILogger logger, string connectionId, string endpoint, TimeSpan idleTimeout);
}
