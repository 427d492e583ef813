using EchoHost.Protocol;

namespace EchoHost.Connections;

/// <summary>A framed connection's counters: besides bytes, frames by kind, requests answered by Type, errors by code.</summary>
internal sealed class FramedCounters(int messageTypeSlots) : ConnectionCounters
{
    /// <summary>Frames read, by <see cref="FramedCounterNames.ReceivedKinds"/>.</summary>
    public readonly long[] FramesReceived = new long[FramedCounterNames.ReceivedKinds.Length];

    /// <summary>Frames written, by <see cref="FramedCounterNames.SentKinds"/>.</summary>
    public readonly long[] FramesSent = new long[FramedCounterNames.SentKinds.Length];

    /// <summary>Requests answered (with a Response or an Error), by the registry's slot of their Type.</summary>
    public readonly long[] MessagesHandled = new long[messageTypeSlots];

    /// <summary>Error frames written, by <see cref="FramedCounterNames.ErrorCodes"/>.</summary>
    public readonly long[] Errors = new long[FramedCounterNames.ErrorCodes.Length];

    public void CountReceived(FrameKind kind) => FramesReceived[FramedCounterNames.ReceivedSlot(kind)]++;

    public void CountSent(FrameKind kind) => FramesSent[FramedCounterNames.SentSlot(kind)]++;

    public void CountError(string code) => Errors[FramedCounterNames.ErrorSlot(code)]++;

    /// <summary>Sets every count to 0, for a sum that is built anew.</summary>
    public void Clear()
    {
        BytesReceived = 0;
        BytesSent = 0;
        Array.Clear(FramesReceived);
        Array.Clear(FramesSent);
        Array.Clear(MessagesHandled);
        Array.Clear(Errors);
    }
}

/// <summary>The label values of the framed counters, and which slot each value counts in.</summary>
internal static class FramedCounterNames
{
    /// <summary>Kinds of frames read: the two a client may send, and everything else (answered with an Error).</summary>
    public static readonly string[] ReceivedKinds = ["request", "ping", "other"];

    public static readonly string[] SentKinds = ["response", "error", "pong", "goaway"];

    public static readonly string[] ErrorCodes =
    [
        Protocol.ErrorCodes.FrameTooLarge,
        Protocol.ErrorCodes.BadHeader,
        Protocol.ErrorCodes.UnknownKind,
        Protocol.ErrorCodes.MalformedMessage,
        Protocol.ErrorCodes.UnknownType,
        Protocol.ErrorCodes.InvalidUtf8,
        Protocol.ErrorCodes.HandlerFailed,
        Protocol.ErrorCodes.Timeout,
        Protocol.ErrorCodes.RateLimited,
        Protocol.ErrorCodes.FrameTimeout,
    ];

    public static int ReceivedSlot(FrameKind kind) => kind switch
    {
        FrameKind.Request => 0,
        FrameKind.Ping => 1,
        _ => 2,
    };

    public static int SentSlot(FrameKind kind) => kind switch
    {
        FrameKind.Response => 0,
        FrameKind.Error => 1,
        FrameKind.Pong => 2,
        FrameKind.GoAway => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "The server sends no such frame."),
    };

    public static int ErrorSlot(string code)
    {
        int slot = Array.IndexOf(ErrorCodes, code);
        return slot >= 0 ? slot : throw new ArgumentOutOfRangeException(nameof(code), code, "Not an error code of the protocol.");
    }
}
