using System.Net.WebSockets;

namespace EchoHost.Serving.WebSockets;

/// <summary>Bad input that closes one WebSocket; the label values of <c>echohost.websocket.errors</c> follow the order.</summary>
internal enum WebSocketFailure
{
    /// <summary>A message longer than <c>MaxMessageBytes</c> (after inflation): close status 1009.</summary>
    MessageTooBig,

    /// <summary>A text message that is not UTF-8: close status 1007.</summary>
    InvalidUtf8,

    /// <summary>A frame that breaks RFC 6455 (reserved bits, an unmasked frame, a control frame too long…): close status 1002.</summary>
    ProtocolError,

    /// <summary>With <c>echohost.framed</c>: a text message, or a binary one that is not exactly one frame: close status 1003 or 1007.</summary>
    NotAFrame,
}

internal static class WebSocketFailureNames
{
    public static readonly string[] All = ["message_too_big", "invalid_utf8", "protocol_error", "not_a_frame"];

    // What ManagedWebSocket throws after it closed with 1007 for bad UTF-8 carries the default message of its error
    // code; its protocol errors (closed with 1002) carry a message of their own. That is the only way to tell them apart.
    private static readonly string InvalidUtf8Message = new WebSocketException(WebSocketError.Faulted).Message;

    /// <summary>What the runtime's WebSocket closed the connection for, when <paramref name="exception"/> says it did.</summary>
    public static WebSocketFailure? Classify(WebSocketException exception) =>
        exception.WebSocketErrorCode != WebSocketError.Faulted ? null
        : string.Equals(exception.Message, InvalidUtf8Message, StringComparison.Ordinal) ? WebSocketFailure.InvalidUtf8
        : WebSocketFailure.ProtocolError;
}
