using System.Globalization;
using EchoHost.Protocol;

namespace EchoHost.Serving.Framed;

/// <summary>
/// A small dense numbering of the message Types that have a handler, so that per-Type counters are a short array per
/// connection rather than 256 entries. Slot 0 counts the Types nobody serves.
/// </summary>
internal sealed class MessageTypeSlots
{
    private readonly byte[] _slotOfType = new byte[256];

    public MessageTypeSlots(IEnumerable<FramedHandlerRegistration> registrations)
    {
        List<string> names = ["unknown"];
        Add(MessageTypes.Echo, "echo");
        Add(MessageTypes.Reverse, "reverse");
        Add(MessageTypes.Uppercase, "uppercase");
        Add(MessageTypes.Stats, "stats");
        foreach (var registration in registrations.OrderBy(r => r.Type))
        {
            Add(registration.Type, string.Create(CultureInfo.InvariantCulture, $"0x{registration.Type:X2}"));
        }

        Names = [.. names];

        void Add(byte type, string name)
        {
            _slotOfType[type] = (byte)names.Count;
            names.Add(name);
        }
    }

    /// <summary>The label value of each slot: <c>unknown</c>, the built-ins' names, then <c>0x50</c> and so on.</summary>
    public string[] Names { get; }

    public int SlotOf(byte type) => _slotOfType[type];
}
