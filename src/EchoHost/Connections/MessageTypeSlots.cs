namespace EchoHost.Connections;

/// <summary>
/// A small dense numbering of the message Types that have a handler, so that per-Type counters are a short array per
/// connection rather than 256 entries. Slot 0 counts the Types nobody serves.
/// </summary>
internal sealed class MessageTypeSlots
{
    private readonly byte[] _slotOfType = new byte[256];

    /// <summary>Numbers <paramref name="served"/> in their order, each Type with its label value.</summary>
    public MessageTypeSlots(IEnumerable<(byte Type, string Name)> served)
    {
        ArgumentNullException.ThrowIfNull(served);
        List<string> names = ["unknown"];
        foreach (var (type, name) in served)
        {
            _slotOfType[type] = (byte)names.Count;
            names.Add(name);
        }

        Names = [.. names];
    }

    /// <summary>The label value of each slot: <c>unknown</c>, the built-ins' names, then <c>0x50</c> and so on.</summary>
    public string[] Names { get; }

    public int SlotOf(byte type) => _slotOfType[type];
}
