namespace EchoHost.Protocol;

/// <summary>What a frame's payload is (docs/protocol.md, "Frame").</summary>
public enum FrameKind : byte
{
    /// <summary>Client to server: one message.</summary>
    Request = 0x01,

    /// <summary>Server to client: the request's Id and Type, the handler's Data and Metadata.</summary>
    Response = 0x02,

    /// <summary>Server to client: Id and Type of the failed request, UTF-8 text, Metadata <c>code</c>.</summary>
    Error = 0x03,

    /// <summary>Client to server: any bytes.</summary>
    Ping = 0x04,

    /// <summary>Server to client: the Ping's payload, unchanged.</summary>
    Pong = 0x05,

    /// <summary>Server to client: UTF-8 reason; the server answers what it has read, then closes.</summary>
    GoAway = 0x06,
}
