using EchoHost.Protocol;

namespace EchoHost.Serving.Framed.BuiltIn;

/// <summary>The built-in handlers, listed once: their Type, their name as a label value, and how each is made.</summary>
internal static class BuiltInHandlers
{
    public static readonly IReadOnlyList<BuiltInHandlerEntry> All =
    [
        new(MessageTypes.Echo, "echo", _ => new EchoHandler()),
        new(MessageTypes.Reverse, "reverse", _ => new ReverseHandler()),
        new(MessageTypes.Uppercase, "uppercase", _ => new UppercaseHandler()),
        new(MessageTypes.Stats, "stats", stats => new StatsHandler(stats)),
    ];
}

/// <summary>One built-in handler: its Type, its label value, and how it is made from the process's framed stats.</summary>
internal sealed record BuiltInHandlerEntry(byte Type, string Name, Func<FramedStats, FramedHandler> Create);
