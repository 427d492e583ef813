namespace EchoHost.LoadGen.Engine;

/// <summary>
/// The bytes a connection sends: a pseudo-random block of its own (seeded by the connection's number), of which message
/// <c>n</c> is the window starting at <c>n mod 256</c>. Bytes that come back from another connection, from an earlier
/// or later message (up to 255 apart), or shifted, differ from what is expected. Sending and checking are a slice and
/// a vectorised compare: nothing is generated per message.
/// </summary>
internal static class Pattern
{
    /// <summary>How many distinct windows a block holds.</summary>
    public const int Windows = 256;

    public static byte[] Create(int connection, int messageSize)
    {
        var block = new byte[messageSize + Windows];
        var x = ((uint)connection * 2654435761u) ^ 0x9E3779B9u;
        for (var i = 0; i < block.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            block[i] = (byte)x;
        }

        return block;
    }

    /// <summary>The bytes of message <paramref name="sequence"/> in <paramref name="block"/>.</summary>
    public static ReadOnlySpan<byte> Message(byte[] block, long sequence, int messageSize) => block.AsSpan((int)(sequence % Windows), messageSize);
}
