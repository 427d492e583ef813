namespace EchoHost.Protocol;

/// <summary>The values of an Error frame's <c>code</c> metadata (PROTOCOL.md, "Errors").</summary>
public static class ErrorCodes
{
    /// <summary>The metadata key that carries the code.</summary>
    public const string MetadataKey = "code";

    public const string FrameTooLarge = "frame_too_large";
    public const string BadHeader = "bad_header";
    public const string UnknownKind = "unknown_kind";
    public const string MalformedMessage = "malformed_message";
    public const string UnknownType = "unknown_type";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string HandlerFailed = "handler_failed";
    public const string Timeout = "timeout";

    /// <summary>EchoHost's extension: the request came faster than the server's rate limit for the client's address.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>EchoHost's extension: a frame arrived slower than the server's minimum rate; the connection is closed.</summary>
    public const string FrameTimeout = "frame_timeout";
}
