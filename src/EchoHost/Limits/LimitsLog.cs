using Microsoft.Extensions.Logging;

namespace EchoHost.Limits;

/// <summary>What the limits log; source-generated.</summary>
internal static partial class LimitsLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Endpoint {Endpoint} refused {Count} connection(s) by its limits: {Reasons} (one line per 10 s at most)")]
    public static partial void Rejected(ILogger logger, string endpoint, long count, string reasons);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Connection {ConnectionId} on {Endpoint} ran out of time: {Reason}")]
    public static partial void TimedOut(ILogger logger, string connectionId, string endpoint, string reason);
}
