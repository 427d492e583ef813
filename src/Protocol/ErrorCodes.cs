namespace EchoHost.Protocol;

/// <summary>The values of an Error frame's <c>code</c> metadata (docs/protocol.md, "Errors").</summary>
public static class ErrorCodes
{
    /// <summary>The metadata key that carries the code.</summary>
    public const string MetadataKey = "code";

    /// <summary>A frame's Length is over the server's MaxFrameBytes; the connection is closed after the answers due.</summary>
    public const string FrameTooLarge = "frame_too_large";
    /// <summary>A frame's Flags or Reserved are not 0 (version 1).</summary>
    public const string BadHeader = "bad_header";
    /// <summary>A client sent a frame of a kind a client may not send.</summary>
    public const string UnknownKind = "unknown_kind";
    /// <summary>A Request's payload is not exactly one valid message.</summary>
    public const string MalformedMessage = "malformed_message";
    /// <summary>No handler serves the request's Type.</summary>
    public const string UnknownType = "unknown_type";
    /// <summary>A text handler (Reverse, Uppercase) got Data that is not valid UTF-8.</summary>
    public const string InvalidUtf8 = "invalid_utf8";
    /// <summary>The handler failed, or its Response was larger than a frame may be.</summary>
    public const string HandlerFailed = "handler_failed";
    /// <summary>The handler did not answer within the server's handler timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>EchoHost's extension: the request came faster than the server's rate limit for the client's address.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>EchoHost's extension: a frame arrived slower than the server's minimum rate; the connection is closed.</summary>
    public const string FrameTimeout = "frame_timeout";
}
