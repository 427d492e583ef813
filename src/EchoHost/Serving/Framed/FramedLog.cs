using Microsoft.Extensions.Logging;

namespace EchoHost.Serving.Framed;

/// <summary>What the framed protocol logs; source-generated, so that a disabled level costs a check and nothing else.</summary>
internal static partial class FramedLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Framed connection {ConnectionId} ended by the network: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Framed handler for Type 0x{Type:X2} failed on request {RequestId} of connection {ConnectionId}; answered handler_failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, byte type, ulong requestId, string connectionId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Framed handler for Type 0x{Type:X2} ran past {Timeout} on request {RequestId} of connection {ConnectionId}; answered timeout")]
    public static partial void HandlerTimedOut(ILogger logger, byte type, TimeSpan timeout, ulong requestId, string connectionId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Framed handler for Type 0x{Type:X2} answered request {RequestId} of connection {ConnectionId} with {Length} payload bytes, more than MaxFrameBytes ({MaxFrameBytes}); answered handler_failed")]
    public static partial void ResponseTooLarge(ILogger logger, byte type, ulong requestId, string connectionId, long length, int maxFrameBytes);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Framed connection {ConnectionId} sent a frame longer than MaxFrameBytes ({MaxFrameBytes}); closing it")]
    public static partial void FrameTooLarge(ILogger logger, string connectionId, int maxFrameBytes);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Framed connection {ConnectionId} asked to close; sent GoAway")]
    public static partial void GoAwaySent(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Framed request {RequestId} of connection {ConnectionId} could not be answered")]
    public static partial void AnswerFailed(ILogger logger, Exception exception, ulong requestId, string connectionId);
}
