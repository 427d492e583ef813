using EchoHost.Protocol;

namespace EchoHost.Serving.Framed;

/// <summary>How an application handler's request ended, whichever path (synchronous or asynchronous) ran it.</summary>
internal enum HandlerOutcome
{
    /// <summary>The handler answered: its Response is sent, or <c>handler_failed</c> when it is larger than a frame may be.</summary>
    Answered,

    /// <summary>The handler threw: <c>handler_failed</c>.</summary>
    Failed,

    /// <summary>The handler did not answer within <c>HandlerTimeout</c>: <c>timeout</c>.</summary>
    TimedOut,

    /// <summary>The connection went away while the request waited or ran: answered <c>handler_failed</c> to nobody.</summary>
    Abandoned,
}

/// <summary>The Error frames that answer a handler's request in its stead: their codes (<see cref="ErrorCodes"/>) and texts, once.</summary>
internal static class HandlerErrors
{
    public const string FailedText = "the handler failed";
    public const string TooLargeText = "the handler's response is larger than MaxFrameBytes";
    public const string TimeoutText = "the handler did not answer in time";
}
